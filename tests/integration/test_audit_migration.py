"""Migration 0007 turns organisation-wide chains into per-case chains without losing or changing an event."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import JSON, Column, Engine, MetaData, Table, insert, select, text

from tests.integration.conftest import migrated_to
from workflow.engine.audit import GENESIS, event_hash, verify
from workflow.schema.migrate import upgrade
from workflow.schema.types import UTCDateTime

pytestmark = pytest.mark.integration
BEFORE = "0006_placement_registered_at"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def old_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A database migrated only up to the revision before per-case chains."""
    with migrated_to(BEFORE, backend, tmp_path, request) as engine:
        yield engine


def _old_history(engine: Engine) -> list[tuple[int, str]]:
    """Two boards; three cases whose events interleave in one organisation's chain, as the engine wrote them."""
    with engine.begin() as conn:
        md = MetaData()
        org_t = Table("organisation", md, autoload_with=conn)
        case_t = Table(
            "case", md, Column("attributes", JSON), Column("opened_at", UTCDateTime()),
            Column("updated_at", UTCDateTime()), autoload_with=conn,
        )  # fmt: skip
        ev_t = Table("case_event", md, Column("params", JSON), Column("occurred_at", UTCDateTime()), autoload_with=conn)
        head_t = Table("audit_head", md, autoload_with=conn)
        decision_t = Table("decision", md, Column("decided_at", UTCDateTime()), autoload_with=conn)
        orgs = []
        for code in ("NORTH", "SOUTH"):
            conn.execute(insert(org_t).values(code=code, name=code, kind="district_board"))
            orgs.append(conn.execute(select(org_t.c.id).where(org_t.c.code == code)).scalar_one())
        plan = [(orgs[0], 1), (orgs[0], 2), (orgs[1], 3), (orgs[0], 1), (orgs[0], 2), (orgs[0], 1), (orgs[0], 4)]
        versions: dict[int, int] = {}
        for org, case_no in plan:
            if case_no not in versions:
                conn.execute(
                    insert(case_t).values(
                        id=case_no, case_type="complaint", kind="client", status="received", version=0,
                        organisation_id=org, title="", in_house=False, attributes={}, opened_at=T0, updated_at=T0,
                    )
                )  # fmt: skip
            versions[case_no] = versions.get(case_no, 0) + 1
        heads: dict[int, tuple[int, str]] = {}
        written = []
        for n, (org, case_no) in enumerate(plan):
            seq, prev = heads.get(org, (0, GENESIS))
            event = {
                "organisation_id": org, "seq": seq + 1, "case_id": case_no, "trigger": f"t{n}",
                "from_status": None, "to_status": "received", "actor_id": None, "actor_role": "system",
                "reason": f"reason {n}", "decision_kind": None, "mandate": None, "registry_number": None,
                "params": {"n": n}, "occurred_at": T0 + timedelta(minutes=n),
            }  # fmt: skip
            event["hash"] = event_hash(prev, event)
            conn.execute(insert(ev_t).values(prev_hash=prev, **event))
            event_id = conn.execute(select(ev_t.c.id).where(ev_t.c.hash == event["hash"])).scalar_one()
            conn.execute(  # a decision refers to each event: the rebuilt event table must keep them valid
                insert(decision_t).values(
                    organisation_id=org, case_id=case_no, event_id=event_id, decision_kind="k", role="r",
                    substitute=False, under_delegation=True, registry_number="X-1", decided_at=T0,
                )
            )  # fmt: skip
            heads[org] = (seq + 1, event["hash"])
            written.append((case_no, f"reason {n}"))
        for org, (seq, digest) in heads.items():
            conn.execute(insert(head_t).values(organisation_id=org, seq=seq, hash=digest))
        for case_no, version in versions.items():
            conn.execute(case_t.update().where(case_t.c.id == case_no).values(version=version))
    return written


def test_existing_events_are_rechained_per_case_in_their_old_order_and_verify(old_database: Engine) -> None:
    written = _old_history(old_database)
    upgrade(old_database)
    with old_database.connect() as conn:
        assert verify(conn) == []
        rows = conn.execute(text("SELECT case_id, seq, reason FROM case_event ORDER BY case_id, seq")).all()
        heads = dict(conn.execute(text('SELECT id, version FROM "case"')).all())
        tables = set(conn.dialect.get_table_names(conn))
        orphans = conn.execute(
            text(
                "SELECT count(*) FROM decision d WHERE NOT EXISTS (SELECT 1 FROM case_event e WHERE e.id = d.event_id)"
            )
        ).scalar_one()
    by_case: dict[int, list[str]] = {}
    for case_no, reason in written:
        by_case.setdefault(case_no, []).append(reason)
    assert [tuple(r) for r in rows] == [
        (case_no, seq, reason) for case_no in sorted(by_case) for seq, reason in enumerate(by_case[case_no], start=1)
    ]
    assert heads == {case_no: len(reasons) for case_no, reasons in by_case.items()}
    assert "audit_head" not in tables and "audit_checkpoint" in tables and orphans == 0


def test_downgrading_restores_the_organisation_chains_the_engine_wrote(old_database: Engine) -> None:
    _old_history(old_database)
    with old_database.connect() as conn:
        before = conn.execute(text("SELECT id, seq, prev_hash, hash FROM case_event ORDER BY id")).all()
        heads_before = conn.execute(text("SELECT organisation_id, seq, hash FROM audit_head ORDER BY 1")).all()
    upgrade(old_database)
    from alembic import command

    from workflow.schema.migrate import config

    cfg = config(old_database)
    with old_database.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, BEFORE)
    with old_database.connect() as conn:
        after = conn.execute(text("SELECT id, seq, prev_hash, hash FROM case_event ORDER BY id")).all()
        heads_after = conn.execute(text("SELECT organisation_id, seq, hash FROM audit_head ORDER BY 1")).all()
    assert after == before and heads_after == heads_before
