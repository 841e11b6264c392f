"""Kept case rows: a transition on a case this process moved last needs no read, and is never decided on a stale row."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.world import World, build_world
from workflow import hotpath
from workflow.case_cache import case_cache
from workflow.engine import Workflow
from workflow.errors import Conflict, WrongState
from workflow.opening import open_case
from workflow.tables import Case, CaseEvent

pytestmark = pytest.mark.integration

CASE = Case.__table__  # type: ignore[attr-defined]
EVENT = CaseEvent.__table__  # type: ignore[attr-defined]


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def _complaint(world: World) -> int:
    actor = world.actor("NORTH", "contract_strategist")
    return open_case(
        world.wf, "complaint", actor, "received", kind="relative", agreement_id=world.agreements["north_calloff"]
    ).case_id


def _status(engine: Engine, cid: int) -> tuple[str, int]:
    with engine.connect() as conn:
        row = conn.execute(select(CASE.c.status, CASE.c.version).where(CASE.c.id == cid)).one()
        return row.status, row.version


def _events(engine: Engine, cid: int, trigger: str) -> int:
    with engine.connect() as conn:
        q = select(func.count()).select_from(EVENT).where(EVENT.c.case_id == cid, EVENT.c.trigger == trigger)
        return int(conn.execute(q).scalar_one())


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    for store in (hotpath.SqliteStore, hotpath.PostgresStore):
        original = store.load

        def load(self: Any, conn: Any, case_id: int, _original: Any = original) -> Any:
            reads.append(case_id)
            return _original(self, conn, case_id)

        monkeypatch.setattr(store, "load", load)
    return reads


def test_the_next_transition_on_a_case_this_process_moved_reads_nothing_first(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor = world.actor("NORTH", "contract_strategist")
    cid = _complaint(world)
    reads = _count_reads(monkeypatch)
    world.wf.fire(cid, "investigate", actor, "looking into it")
    world.wf.fire(cid, "resolve", actor, "settled with the provider")
    assert reads == [cid]
    assert _status(world.engine, cid) == ("resolved", 3)


def test_without_the_cache_every_transition_reads_its_case(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    actor = world.actor("NORTH", "contract_strategist")
    wf = Workflow(world.engine, world.clock, case_cache=False)
    cid = _complaint(world)
    reads = _count_reads(monkeypatch)
    wf.fire(cid, "investigate", actor, "looking into it")
    wf.fire(cid, "resolve", actor, "settled with the provider")
    assert reads == [cid, cid]


def test_a_case_moved_meanwhile_by_another_writer_is_decided_on_its_state_in_the_database(world: World) -> None:
    actor = world.actor("NORTH", "contract_strategist")
    cid = _complaint(world)
    world.wf.fire(cid, "investigate", actor, "looking into it")  # kept: investigating, version 2
    Workflow(world.engine, world.clock, case_cache=False).fire(cid, "resolve", actor, "settled elsewhere")
    with pytest.raises(WrongState):  # the kept row would have allowed it
        world.wf.fire(cid, "escalate", actor, "escalate")
    assert _status(world.engine, cid) == ("resolved", 3)
    assert _events(world.engine, cid, "escalate") == 0


def test_an_expected_version_is_compared_with_the_database_not_with_a_kept_row(world: World) -> None:
    actor = world.actor("NORTH", "contract_strategist")
    cid = _complaint(world)
    world.wf.fire(cid, "investigate", actor, "looking into it")
    Workflow(world.engine, world.clock, case_cache=False).fire(cid, "resolve", actor, "settled elsewhere")
    with pytest.raises(Conflict):
        world.wf.fire(cid, "escalate", actor, "escalate", expected_version=2)
    assert _status(world.engine, cid) == ("resolved", 3)


def test_a_transition_inside_a_callers_transaction_is_never_kept(world: World) -> None:
    actor = world.actor("NORTH", "contract_strategist")
    cid = _complaint(world)
    world.wf.fire(cid, "investigate", actor, "looking into it")
    assert case_cache(world.engine).get(cid) is not None
    with world.engine.connect() as conn:
        tx = conn.begin()
        world.wf.fire(cid, "resolve", actor, "settled", conn=conn)
        tx.rollback()
    assert case_cache(world.engine).get(cid) is None
    assert _status(world.engine, cid) == ("investigating", 2)
    world.wf.fire(cid, "escalate", actor, "escalate after all")
    assert _status(world.engine, cid) == ("escalated", 3)
