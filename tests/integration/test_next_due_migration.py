"""Migration 0017 puts each case's earliest pending deadline on its row, and the overdue index covers it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import JSON, Column, Engine, MetaData, Table, insert, inspect, select

from tests.integration.conftest import migrated_to
from workflow.schema.migrate import upgrade
from workflow.schema.types import UTCDateTime

pytestmark = pytest.mark.integration
BEFORE = "0016_page_indexes"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def old_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A database migrated up to the revision before ``case.next_due_at``."""
    with migrated_to(BEFORE, backend, tmp_path, request) as engine:
        yield engine


def _old_cases(engine: Engine) -> None:
    """Four cases as they stood before 0017: two pending deadlines and a closed earlier one; only a suspended one;
    only closed ones; none."""
    with engine.begin() as conn:
        md = MetaData()
        org_t = Table("organisation", md, autoload_with=conn)
        case_t = Table(
            "case", md, Column("attributes", JSON), Column("opened_at", UTCDateTime()),
            Column("updated_at", UTCDateTime()), Column("closed_at", UTCDateTime()), autoload_with=conn,
        )  # fmt: skip
        dl_t = Table(
            "deadline", md, Column("due_at", UTCDateTime()), Column("opened_at", UTCDateTime()),
            Column("next_action_at", UTCDateTime()), autoload_with=conn,
        )  # fmt: skip
        conn.execute(insert(org_t).values(id=1, code="NORTH", name="North", kind="district_board"))
        for cid in (1, 2, 3, 4):
            conn.execute(
                insert(case_t).values(
                    id=cid, case_type="deviation", status="investigating", version=1, organisation_id=1, title="",
                    in_house=False, attributes={}, opened_at=T0, updated_at=T0, opened_on=date(2026, 3, 2),
                    last_occurred_on=date(2026, 3, 2),
                )
            )  # fmt: skip
        deadlines = [  # case, due in days, status
            (1, 9, "pending"), (1, 4, "pending"), (1, 1, "closed"), (2, 3, "suspended"), (3, 2, "closed"),
        ]  # fmt: skip
        for cid, days, status in deadlines:
            conn.execute(
                insert(dl_t).values(
                    case_id=cid, organisation_id=1, kind="investigation", state="investigating",
                    due_at=T0 + timedelta(days=days), status=status, next_rung=0, next_action_at=None,
                    rule_version="v1", working_days=False, opened_at=T0,
                )
            )  # fmt: skip


def test_the_upgrade_gives_each_case_the_due_time_of_its_earliest_pending_deadline(old_database: Engine) -> None:
    _old_cases(old_database)
    upgrade(old_database)
    with old_database.connect() as conn:
        md = MetaData()
        case_t = Table("case", md, Column("next_due_at", UTCDateTime()), autoload_with=conn)
        found = dict(conn.execute(select(case_t.c.id, case_t.c.next_due_at).order_by(case_t.c.id)).all())
        indexes = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("deadline")}
        case_indexes = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("case")}
    assert found == {1: T0 + timedelta(days=4), 2: None, 3: None, 4: None}
    assert "next_due_at" in case_indexes["ix_case_open"]
    assert case_indexes["ix_case_org_next_due"] == ["organisation_id", "next_due_at", "id"]
    assert case_indexes["ix_case_org_opened"] == ["organisation_id", "opened_at", "id"]
    assert "ix_deadline_pending_org_due" not in indexes
