"""``uppfoljning retention``: load, show and run the purge from the command line, in Swedish or English."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from tests.world import build_world
from workflow.cases.access import record_reads
from workflow.cli import main
from workflow.schema.db import make_engine, new_id
from workflow.schema.migrate import upgrade
from workflow.schema.tables import ACCESS_LOG, PLACEMENT, PURGE

pytestmark = pytest.mark.integration


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A world whose NORTH board has a placement that ended in 2000 (past its time) and one still running."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    w = build_world(engine)
    with engine.begin() as conn:
        for ref, ends in (("KL-ENDED-2000", date(2000, 6, 30)), ("KL-RUNNING", None)):
            new_id(
                conn.execute(
                    insert(PLACEMENT).values(
                        organisation_id=w.orgs["NORTH"],
                        agreement_id=w.agreements["north_calloff"],
                        provider_id=w.providers["Acme Care AB"],
                        client_ref=ref,
                        starts_on=date(1999, 1, 1),
                        ends_on=ends,
                    )
                )
            )
        old_read = datetime(2001, 1, 8, 10, 0, tzinfo=UTC)
        record_reads(conn, w.actor("NORTH", "social_worker"), "placement", [1, 2], "detail", old_read)
    engine.dispose()
    return url


def _cli(url: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--database-url", url, "retention", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _last(output: str) -> str:
    """The last line (the command's own; the log lines, JSON, come before it)."""
    return output.strip().splitlines()[-1]


def _refs(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(PLACEMENT.c.client_ref).order_by(PLACEMENT.c.id)).scalars())
    finally:
        engine.dispose()


def test_the_schedule_is_loaded_and_shown_in_swedish_and_english(db_url: str) -> None:
    assert _last(_cli(db_url, "load")) == "3 version(er) av gallringsplanen sparade"
    assert _last(_cli(db_url, "load")) == "0 version(er) av gallringsplanen sparade"
    shown = _cli(db_url, "show", "--org", "NORTH")
    assert "NORTH: gallringsplan 2026-1 (SCN-2025-00502), gäller från 1 jan. 2026" in shown
    assert "Klientreferenser i placeringar: pseudonymisera 5 år efter att placeringen upphört (SoL 12 kap." in shown
    assert "inget gallrat än" in shown
    english = _cli(db_url, "show", "--org", "NORTH", "--lang", "en")
    assert "Client references of placements: pseudonymise 5 years after the placement ended" in english


def test_a_board_without_a_schedule_is_told_nothing_is_purged(db_url: str) -> None:
    assert _last(_cli(db_url, "run", "--org", "NORTH")) == "NORTH: ingen gallringsplan gäller; inget gallras"
    assert _refs(db_url)[-2:] == ["KL-ENDED-2000", "KL-RUNNING"]


def test_a_dry_run_says_what_would_go_and_a_run_purges_it_and_logs_it(db_url: str) -> None:
    _cli(db_url, "load")
    dry = _cli(db_url, "run", "--dry-run", "--org", "NORTH", "--lang", "en")
    assert "NORTH: would purge under schedule 2026-1:" in dry
    assert "  - Client references of placements: 1 pseudonymised (before " in dry
    assert "  - Log entries of reads of individual-level records: 2 deleted" in dry
    assert _refs(db_url)[-2:] == ["KL-ENDED-2000", "KL-RUNNING"]
    done = _cli(db_url, "run", "--org", "NORTH")
    assert "NORTH: gallrat enligt gallringsplan 2026-1:" in done
    assert "  - Klientreferenser i placeringar: 1 pseudonymiserade (före " in done
    assert _refs(db_url)[-2:] == ["[gallrad]", "KL-RUNNING"]
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(select(ACCESS_LOG)).all() == []
        assert {r.record_kind: r.records for r in conn.execute(select(PURGE))} == {
            "placement_client_ref": 1,
            "access_log_entries": 2,
        }
    engine.dispose()
    shown = _cli(db_url, "show", "--org", "NORTH")
    assert "Klientreferenser i placeringar: 1 pseudonymiserade, före " in shown
    assert "KL-" not in shown
