"""Two sessions firing on the same case: one wins, the other gets a conflict, nothing is lost."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select

from tests.world import World, build_world
from workflow.engine import Actor
from workflow.errors import Conflict, WrongState
from workflow.opening import open_case
from workflow.tables import Case, CaseEvent

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
