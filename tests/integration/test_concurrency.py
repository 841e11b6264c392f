"""Two sessions on the same case: one wins, the other gets a conflict, nothing is lost, nothing deadlocks."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from tests.world import NOW, World, build_world, next_due_of
from workflow.cases.opening import open_case
from workflow.deadlines import changes
from workflow.deadlines.calendar import local_date
from workflow.engine.errors import Conflict, InvalidInput, WrongState
from workflow.engine.firing import Actor
from workflow.schema.tables import Case, CaseEvent, Deadline

pytestmark = pytest.mark.integration


def _race_once(world: World, cid: int, actor: Actor, expected_version: bool) -> list[str]:
    """Fire two different triggers on one case from two threads released together."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def fire(trigger: str) -> None:
        barrier.wait()
        try:
            world.wf.fire(cid, trigger, actor, "race", expected_version=1 if expected_version else None)
            outcomes.append(f"ok:{trigger}")
        except Conflict:
            outcomes.append("conflict")
        except WrongState:
            outcomes.append("wrong_state")

    threads = [threading.Thread(target=fire, args=(t,)) for t in ("investigate", "reject")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return outcomes


def _race(engine: Engine, rounds: int, expected_version: bool) -> None:
    world = build_world(engine)
    actor = world.actor("NORTH", "contract_strategist")
    for _ in range(rounds):
        cid = open_case(
            world.wf,
            "complaint",
            actor,
            "complaint received",
            kind="relative",
            agreement_id=world.agreements["north_calloff"],
        ).case_id
        outcomes = _race_once(world, cid, actor, expected_version)
        wins = [o for o in outcomes if o.startswith("ok:")]
        assert len(wins) == 1, outcomes
        if expected_version:
            assert sorted(outcomes)[0] == "conflict", outcomes
        with engine.connect() as conn:
            c, e = Case.__table__, CaseEvent.__table__  # type: ignore[attr-defined]
            status, version = conn.execute(select(c.c.status, c.c.version).where(c.c.id == cid)).one()
            events = conn.execute(select(func.count()).select_from(e).where(e.c.case_id == cid)).scalar_one()
        winner = wins[0].split(":")[1]
        assert status == {"investigate": "investigating", "reject": "rejected"}[winner]
        assert (version, events) == (2, 2)


def test_two_sessions_with_the_same_version_one_wins_and_the_other_conflicts(engine: Engine) -> None:
    _race(engine, rounds=15, expected_version=True)


def test_two_sessions_without_a_version_never_both_succeed(engine: Engine) -> None:
    _race(engine, rounds=15, expected_version=False)


@pytest.mark.only_on("postgresql")  # the workers' bug: DuplicatePreparedStatement "uppf_transition_0"
def test_many_threads_on_fresh_engines_fire_concurrently_without_a_single_error(
    engine: Engine, backend: str, request: pytest.FixtureRequest
) -> None:
    from tests.conftest import PG_URL
    from workflow.engine.firing import Workflow
    from workflow.schema.db import make_engine

    world = build_world(engine)
    actor = world.actor("NORTH", "contract_strategist")
    threads_n, per_thread = 8, 6
    cases = [
        [
            open_case(
                world.wf, "complaint", actor, "received", kind="client", agreement_id=world.agreements["north_calloff"]
            ).case_id
            for _ in range(per_thread)
        ]
        for _ in range(threads_n)
    ]
    schema = request.getfixturevalue("_pg_schema")
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads_n)

    def worker(mine: list[int]) -> None:
        # A fresh engine per thread, as each worker process has; one shared connection pool would hide the bug.
        eng = make_engine(PG_URL, schema=schema, pool_size=2)
        try:
            wf = Workflow(eng, world.clock)
            barrier.wait()
            for cid in mine:  # 6 statements of each shape per connection: past psycopg's prepare threshold
                wf.fire(cid, "investigate", actor, "looking into it", params={"topic": "premises"})
                wf.fire(cid, "resolve", actor, "resolved with the provider")
        except BaseException as exc:  # counted below
            errors.append(exc)
        finally:
            eng.dispose()

    threads = [threading.Thread(target=worker, args=(mine,)) for mine in cases]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    with engine.connect() as conn:
        c = Case.__table__  # type: ignore[attr-defined]
        statuses = conn.execute(select(c.c.status, func.count()).group_by(c.c.status)).all()
        assert [tuple(s) for s in statuses] == [("resolved", threads_n * per_thread)]
        from workflow.engine.audit import verify

        assert verify(conn) == []


def _extend_while_moving_on(
    world: World, cid: int, deadline_id: int, due: datetime, actor: Actor
) -> list[BaseException]:
    """Extend a case's deadline and move the case out of the deadline's state, from two threads released together."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def extend() -> None:
        barrier.wait()
        try:
            with world.engine.begin() as conn:
                changes.extend(conn, deadline_id, actor, "more time", local_date(due) + timedelta(days=9), NOW)
        except InvalidInput:
            pass  # the case moved on first and closed the deadline: refused, nothing written
        except BaseException as exc:
            errors.append(exc)

    def move_on() -> None:
        barrier.wait()
        try:
            world.wf.fire(cid, "investigate", actor, "looking into it")
        except Conflict:
            pass  # the deadline changed after the case was read: reload and try again, nothing written
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=extend), threading.Thread(target=move_on)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return errors


def test_a_deadline_changed_while_its_case_moves_on_never_deadlocks_and_the_next_due_time_stays_true(
    engine: Engine,
) -> None:
    """An extension locks the case before the deadline, as a transition does, so the two queue and never deadlock;
    a transition that read the case before the extension is a conflict (the case's next due time is part of its
    compare-and-set), so the extended deadline never outlives the state it belongs to."""
    world = build_world(engine)
    actor = world.actor("NORTH", "contract_strategist")
    d = Deadline.__table__  # type: ignore[attr-defined]
    for _ in range(12):
        cid = open_case(
            world.wf, "complaint", actor, "complaint", kind="relative", agreement_id=world.agreements["north_calloff"]
        ).case_id
        with engine.connect() as conn:
            deadline_id, due = conn.execute(select(d.c.id, d.c.due_at).where(d.c.case_id == cid)).one()
        assert _extend_while_moving_on(world, cid, deadline_id, due, actor) == []
        stored, earliest = next_due_of(engine, cid)
        assert stored == earliest
