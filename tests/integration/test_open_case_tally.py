"""The count of open cases (open_case_tally) that triggers keep: always what counting the cases would give.

The overview reads its per-type open and overdue figures from the tally instead of counting the board's open
cases. These tests hold the tally to a count of the ``case`` table made in Python after any mix of writes made
directly in SQL (so no writer of the product can miss it), to the old way of counting for the overview at times
across week boundaries, and show the migration counting the cases already there.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    case,
    delete,
    func,
    insert,
    select,
    union_all,
    update,
)

from tests.integration.conftest import migrated_to
from tests.world import Clock
from workflow.cases import scoping
from workflow.cases.queries import open_per_type, overdue_condition
from workflow.cases.tally import fold, fold_changes
from workflow.engine.firing import Actor
from workflow.schema.migrate import upgrade
from workflow.schema.tables import CASE, NO_DEADLINE, ORG, PLACEMENT, TALLY, TALLY_CHANGE, USER
from workflow.schema.types import UTCDateTime

pytestmark = pytest.mark.integration
T0 = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)  # a Thursday
STATES = ("reported", "investigating", "overdue", "rectification")
TYPES = ("deviation", "complaint", "implementation_plan")


def _key(row: Any) -> tuple[Any, ...]:
    """The tally's key of an open case, computed here in Python (the triggers compute it in SQL)."""
    due = row.next_due_at
    if due is None:
        week = NO_DEADLINE
    else:
        day = due.astimezone(UTC).date()
        week = day - timedelta(days=day.weekday())
    overdue = row.status == "overdue"
    return (row.organisation_id, row.case_type, row.placement_id is not None, overdue, week)


def counted(conn: Connection) -> Counter[tuple[Any, ...]]:
    """The open cases counted per key, from the case table itself."""
    rows = conn.execute(select(CASE).where(CASE.c.closed_at.is_(None))).all()
    return Counter(_key(r) for r in rows)


def tallied(conn: Connection) -> Counter[tuple[Any, ...]]:
    """The tally's counts with the changes not yet folded into it, where not 0 (a row that fell to 0 stays)."""
    key = ("organisation_id", "case_type", "with_placement", "overdue_state", "due_week")
    parts = [select(*(t.c[k] for k in key), t.c.n) for t in (TALLY, TALLY_CHANGE)]
    rows = union_all(*parts).subquery()
    summed = conn.execute(select(*(rows.c[k] for k in key), func.sum(rows.c.n)).group_by(*(rows.c[k] for k in key)))
    return Counter({(o, t, bool(p), bool(od), w): int(n) for o, t, p, od, w, n in summed if n})


write = st.one_of(
    st.tuples(
        st.just("open"),
        st.sampled_from(TYPES),
        st.sampled_from(STATES),
        st.booleans(),  # about a placement
        st.one_of(st.none(), st.integers(-30 * 24, 30 * 24)),  # next deadline, hours from T0
    ),
    st.tuples(st.just("status"), st.integers(0, 10_000), st.sampled_from(STATES)),
    st.tuples(st.just("due"), st.integers(0, 10_000), st.one_of(st.none(), st.integers(-30 * 24, 30 * 24))),
    st.tuples(st.just("close"), st.integers(0, 10_000)),
    st.tuples(st.just("reopen"), st.integers(0, 10_000)),
    st.tuples(st.just("placement"), st.integers(0, 10_000), st.booleans()),
    st.tuples(st.just("move"), st.integers(0, 10_000)),  # to another organisation
    st.tuples(st.just("delete"), st.integers(0, 10_000)),  # only cases the example opened (no history)
    st.tuples(st.just("all_due"), st.integers(-30 * 24, 30 * 24)),  # one statement, many rows
    st.tuples(st.just("fold"), st.just(0)),  # what the schedulers do now and then
)


def _apply(conn: Connection, op: tuple[Any, ...], opened: list[int], orgs: list[int], placement: int) -> None:
    ids = [r[0] for r in conn.execute(select(CASE.c.id).order_by(CASE.c.id))]
    pick = ids[op[1] % len(ids)] if isinstance(op[1], int) and ids else None
    at = CASE.c.id == pick
    match op:
        case ("open", case_type, status, with_placement, hours):
            due = None if hours is None else T0 + timedelta(hours=hours)
            new = conn.execute(
                insert(CASE).values(
                    case_type=case_type, status=status, version=1, organisation_id=orgs[len(opened) % len(orgs)],
                    placement_id=placement if with_placement else None, title="", in_house=False, attributes={},
                    opened_at=T0, updated_at=T0, opened_on=T0.date(), last_occurred_on=T0.date(), next_due_at=due,
                )
            ).inserted_primary_key  # fmt: skip
            assert new is not None
            opened.append(int(new[0]))
        case ("status", _, status):
            conn.execute(update(CASE).where(at).values(status=status))
        case ("due", _, hours):
            conn.execute(
                update(CASE).where(at).values(next_due_at=None if hours is None else T0 + timedelta(hours=hours))
            )
        case ("close", _):
            conn.execute(update(CASE).where(at).values(closed_at=T0))
        case ("reopen", _):
            conn.execute(update(CASE).where(at).values(closed_at=None))
        case ("placement", _, with_placement):
            conn.execute(update(CASE).where(at).values(placement_id=placement if with_placement else None))
        case ("move", _):
            conn.execute(update(CASE).where(at).values(organisation_id=orgs[(op[1] + 1) % len(orgs)]))
        case ("delete", _):
            if opened:
                gone = opened.pop(op[1] % len(opened))
                conn.execute(delete(CASE).where(CASE.c.id == gone))
        case ("fold", _):
            fold_changes(conn)
            assert conn.execute(select(func.count()).select_from(TALLY_CHANGE)).scalar() == 0
        case ("all_due", hours):
            conn.execute(update(CASE).where(CASE.c.id.in_(opened)).values(next_due_at=T0 + timedelta(hours=hours)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=st.lists(write, max_size=25))
def test_after_any_mix_of_writes_the_tally_counts_exactly_the_open_cases(
    demo_engine: tuple[Engine, Clock], writes: list[tuple[Any, ...]]
) -> None:
    engine, _ = demo_engine
    with engine.connect() as conn:
        outer = conn.begin()  # each example's writes are rolled back, the tally's with them
        try:
            assert tallied(conn) == counted(conn)
            orgs = [r[0] for r in conn.execute(select(ORG.c.id).order_by(ORG.c.id))]
            placement = conn.execute(select(func.min(PLACEMENT.c.id))).scalar_one()
            opened: list[int] = []
            for op in writes:
                _apply(conn, op, opened, orgs, placement)
            assert tallied(conn) == counted(conn)
        finally:
            outer.rollback()


def _live(conn: Connection, viewer: Actor, now: datetime) -> list[dict[str, Any]]:
    """The overview's figures counted from every open case (as the overview counted them before the tally)."""
    rows = conn.execute(
        select(CASE.c.case_type, func.count(), func.sum(case((overdue_condition(now), 1), else_=0)))
        .where(scoping.cases(viewer), CASE.c.closed_at.is_(None))
        .group_by(CASE.c.case_type)
        .order_by(CASE.c.case_type)
    ).all()
    return [{"case_type": t, "open": n, "overdue": int(o or 0)} for t, n, o in rows]


@pytest.mark.parametrize("role", ["contract_strategist", "board_secretary"])
def test_the_overview_counts_per_type_what_counting_every_open_case_gives_at_any_time(
    demo_engine: tuple[Engine, Clock], role: str
) -> None:
    engine, clock = demo_engine
    start = clock()
    with engine.connect() as conn:
        for org, user in conn.execute(select(USER.c.organisation_id, USER.c.id).where(USER.c.active)).all()[:6]:
            viewer = Actor(user, org, (role,))
            # Before, at and after the demo's deadlines, across week starts (Monday 00:00 UTC) and the end of a week.
            monday = start.date() - timedelta(days=start.weekday())
            edges = [datetime.combine(monday + timedelta(weeks=w), datetime.min.time(), UTC) for w in (-1, 0, 1, 2)]
            times = [start + timedelta(days=d) for d in (-40, -3, 0, 1, 5, 12, 30, 90)]
            for now in times + edges + [e - timedelta(microseconds=1) for e in edges]:
                assert open_per_type(conn, viewer, now) == _live(conn, viewer, now), (org, role, now)


@pytest.fixture
def old_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A database migrated up to the revision before the tally."""
    with migrated_to("0018_agreement_cases_at_head", backend, tmp_path, request) as engine:
        yield engine


def test_the_upgrade_counts_the_open_cases_already_there(old_database: Engine) -> None:
    with old_database.begin() as conn:
        md = MetaData()
        org_t = Table("organisation", md, autoload_with=conn)
        case_t = Table(
            "case", md, Column("attributes", JSON), Column("opened_at", UTCDateTime()),
            Column("updated_at", UTCDateTime()), Column("closed_at", UTCDateTime()),
            Column("next_due_at", UTCDateTime()), autoload_with=conn,
        )  # fmt: skip
        conn.execute(insert(org_t).values(id=1, code="NORTH", name="North", kind="district_board"))
        cases = [  # id, status, closed, next deadline
            (1, "investigating", None, T0 + timedelta(days=1)),  # Friday: this week
            (2, "investigating", None, T0 + timedelta(days=5)),  # next Tuesday
            (3, "overdue", None, None),
            (4, "closed", T0, None),
            (9, "investigating", None, T0 + timedelta(days=4)),  # next Monday
        ]
        for cid, status, closed, due in cases:
            conn.execute(
                insert(case_t).values(
                    id=cid, case_type="deviation", status=status, version=1, organisation_id=1, title="",
                    in_house=False, attributes={}, opened_at=T0, updated_at=T0, closed_at=closed, next_due_at=due,
                    opened_on=date(2026, 12, 3), last_occurred_on=date(2026, 12, 3),
                )
            )  # fmt: skip
    upgrade(old_database)
    with old_database.connect() as conn:
        found = tallied(conn)
    this_week, next_week = date(2026, 11, 30), date(2026, 12, 7)
    assert found == Counter(
        {
            (1, "deviation", False, False, this_week): 1,
            (1, "deviation", False, False, next_week): 2,
            (1, "deviation", False, True, NO_DEADLINE): 1,
        }
    )
    with old_database.begin() as conn:  # and the triggers keep it from there
        conn.execute(update(CASE).where(CASE.c.id == 2).values(closed_at=T0))
        conn.execute(update(CASE).where(CASE.c.id == 3).values(status="rectification"))
        found = tallied(conn)
    assert found == Counter(
        {
            (1, "deviation", False, False, this_week): 1,
            (1, "deviation", False, False, next_week): 1,
            (1, "deviation", False, False, NO_DEADLINE): 1,
        }
    )


def test_folds_by_two_schedulers_beside_writers_add_each_change_once(demo_engine: tuple[Engine, Clock]) -> None:
    engine, _ = demo_engine
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(CASE.c.id).where(CASE.c.closed_at.is_(None)).order_by(CASE.c.id))]
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(40):
                with engine.begin() as conn:  # several cases per transaction, as a sweep moves them
                    for k in range(3):
                        due = T0 + timedelta(days=(i * 7 + k * 3 + offset) % 40 - 20)
                        conn.execute(update(CASE).where(CASE.c.id == ids[(i * 5 + k + offset) % len(ids)]).values(
                            next_due_at=due, status=STATES[(i + k) % len(STATES)]
                        ))  # fmt: skip
        except BaseException as exc:
            failures.append(exc)

    def folder() -> None:
        try:
            while not stop.is_set():
                fold(engine)
        except BaseException as exc:
            failures.append(exc)

    writers = [threading.Thread(target=writer, args=(n,)) for n in (0, 11)]
    folders = [threading.Thread(target=folder) for _ in range(2)]
    for t in writers + folders:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in folders:
        t.join()
    assert failures == []
    fold(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(TALLY_CHANGE)).scalar() == 0
        assert tallied(conn) == counted(conn)
