"""The follow-up report queries can use the partial plan-year index (only follow-ups have a plan year)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event

from tests.world import build_world
from workflow.reports.annual_follow_ups import planned_follow_ups
from workflow.reports.coverage import Area, special_follow_ups
from workflow.reports.scope import Period

pytestmark = pytest.mark.integration
INDEX = "ix_case_org_type_plan_year"


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def _plan(conn: Connection, statement: str, params: Any) -> str:
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
        return "\n".join(str(r[-1]) for r in rows)
    # Empty tables would make a sequential scan cheapest: forbid it, so the plan says which index can serve. Other
    # indexes of the case table that lead with the organisation tie with it on a tiny table, and which one wins
    # then depends on statistics earlier tests left: they are dropped inside this transaction (rolled back), so
    # the plan answers "can the query use the index" and nothing else.
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    rivals = conn.exec_driver_sql(
        "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
        " WHERE t.relname = 'case' AND t.relnamespace = to_regnamespace(current_schema())::oid"
        " AND NOT x.indisunique AND i.relname <> %(keep)s",
        {"keep": INDEX},
    ).scalars()
    for name in list(rivals):
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, params).all())


QUERIES: dict[str, Callable[[Connection, int], Any]] = {
    "planned versus performed follow-ups": lambda c, org: planned_follow_ups(
        c, org, Period(date(2025, 1, 1), date(2025, 12, 31))
    ),
    "special follow-ups per contract area": lambda c, org: special_follow_ups(
        c, org, {1: Area(1, "Area", "LOU", None, None, None)}
    ),
}


@pytest.mark.parametrize("query", QUERIES)
def test_a_follow_up_report_query_can_use_the_partial_plan_year_index(engine: Engine, query: str) -> None:
    w = build_world(engine)
    with _statements(engine) as seen, engine.connect() as conn:
        QUERIES[query](conn, w.orgs["CENTRAL"])
    statement, params = next((s, p) for s, p in seen if "plan_year" in s)
    with engine.connect() as conn, conn.begin() as tx:
        plan = _plan(conn, statement, params)
        tx.rollback()
    assert INDEX in plan, plan
