"""Migration 0009 gives existing events and decisions their dates and grounds without changing a hash."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import JSON, Column, Engine, MetaData, Table, insert, select, text

from tests.integration.conftest import migrated_to
from workflow.engine.audit import GENESIS, event_hash, verify
from workflow.schema.migrate import upgrade
from workflow.schema.types import UTCDateTime

pytestmark = pytest.mark.integration
BEFORE = "0012_board_matters"
T0 = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # 2026-01-01 00:30 in Stockholm


@pytest.fixture
def old_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A database migrated up to the revision before event dates."""
    with migrated_to(BEFORE, backend, tmp_path, request) as engine:
        yield engine


STEPS = [  # trigger, to status, params, decision kind
    ("open", "active", {}, None),
    ("suspend", "suspended", {"reason_code": "dormant", "evidence": "e"}, "temporary_exclusion"),
    ("reinstate", "active", {}, "lift_exclusion"),
    ("terminate", "terminated", {"termination_reason": "insolvency", "initiator": "provider"}, "terminate_agreement"),
]


def _old_case(engine: Engine) -> None:
    """One agreement case as the engine wrote it before 0009: four events, three decisions, one reason column."""
    with engine.begin() as conn:
        md = MetaData()
        org_t = Table("organisation", md, autoload_with=conn)
        case_t = Table(
            "case", md, Column("attributes", JSON), Column("opened_at", UTCDateTime()),
            Column("updated_at", UTCDateTime()), autoload_with=conn,
        )  # fmt: skip
        ev_t = Table("case_event", md, Column("params", JSON), Column("occurred_at", UTCDateTime()), autoload_with=conn)
        dec_t = Table("decision", md, Column("decided_at", UTCDateTime()), autoload_with=conn)
        conn.execute(insert(org_t).values(id=1, code="NORTH", name="North", kind="district_board"))
        conn.execute(
            insert(case_t).values(
                id=1, case_type="agreement", status="terminated", version=len(STEPS), organisation_id=1, title="",
                in_house=False, attributes={}, opened_at=T0, updated_at=T0, reason_code="insolvency",
            )
        )  # fmt: skip
        prev = GENESIS
        for seq, (trigger, to, params, kind) in enumerate(STEPS, start=1):
            event = {
                "organisation_id": 1, "seq": seq, "case_id": 1, "trigger": trigger, "from_status": None,
                "to_status": to, "actor_id": None, "actor_role": "board", "reason": trigger, "decision_kind": kind,
                "mandate": None, "registry_number": None, "params": params,
                "occurred_at": T0 + timedelta(days=seq - 1),
            }  # fmt: skip
            event["hash"] = event_hash(prev, event)
            conn.execute(insert(ev_t).values(id=seq, prev_hash=prev, **event))
            prev = event["hash"]
            if kind:
                conn.execute(
                    insert(dec_t).values(
                        organisation_id=1, case_id=1, event_id=seq, decision_kind=kind, role="board",
                        substitute=False, under_delegation=False, registry_number=f"X-{seq}",
                        decided_at=event["occurred_at"],
                    )
                )  # fmt: skip
        conn.execute(case_t.update().values(audit_hash=prev))


def test_existing_rows_get_their_dates_and_each_decision_its_own_grounds_and_every_chain_still_verifies(
    old_database: Engine,
) -> None:
    _old_case(old_database)
    upgrade(old_database)
    with old_database.connect() as conn:
        assert verify(conn) == []
        events = conn.execute(text("SELECT occurred_on, late_entry FROM case_event ORDER BY seq")).all()
        case = conn.execute(text('SELECT opened_on, last_occurred_on FROM "case"')).one()
        md = MetaData()
        dec_t = Table("decision", md, autoload_with=conn)
        decisions = conn.execute(
            select(dec_t.c.decision_kind, dec_t.c.decided_on, dec_t.c.reason_code, dec_t.c.initiator).order_by(
                dec_t.c.id
            )
        ).all()
    days = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3), date(2026, 1, 4)]
    assert [(_day(e[0]), bool(e[1])) for e in events] == [(d, False) for d in days]
    assert (_day(case[0]), _day(case[1])) == (days[0], days[-1])
    assert [tuple(d) for d in decisions] == [
        ("temporary_exclusion", days[1], "dormant", None),
        ("lift_exclusion", days[2], "dormant", None),
        ("terminate_agreement", days[3], "insolvency", "provider"),
    ]


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
