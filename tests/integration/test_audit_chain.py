"""Tampering with any audit row (change, delete, reorder) is detected by verify-audit."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, func, select, update

from tests.world import World, build_world
from workflow.audit import verify
from workflow.cli import main
from workflow.opening import open_case
from workflow.tables import CaseEvent

pytestmark = pytest.mark.integration
EV = CaseEvent.__table__  # type: ignore[attr-defined]


def _history(engine: Engine) -> World:
    world = build_world(engine)
    a = world.actor("NORTH", "contract_strategist")
    for _ in range(3):
        cid = open_case(
            world.wf, "complaint", a, "received", kind="client", agreement_id=world.agreements["north_calloff"]
        ).case_id
        world.wf.fire(cid, "investigate", a, "looking into it", params={"topic": "premises"})
        world.wf.fire(cid, "resolve", a, "resolved with the provider")
    cid = open_case(
        world.wf,
        "complaint",
        world.actor("SOUTH", "unit_manager"),
        "received",
        kind="client",
        agreement_id=world.agreements["south_individual"],
    ).case_id
    return world


def _seq_id(engine: Engine, org: int, seq: int) -> int:
    with engine.connect() as conn:
        return conn.execute(select(EV.c.id).where(EV.c.organisation_id == org, EV.c.seq == seq)).scalar_one()


def test_an_untouched_chain_verifies(engine: Engine) -> None:
    _history(engine)
    with engine.connect() as conn:
        assert verify(conn) == []


@pytest.mark.parametrize(
    "column,value",
    [("reason", "nothing to see"), ("to_status", "rejected"), ("actor_id", None), ("registry_number", "X-1")],
)
def test_changing_any_field_of_an_event_is_detected_at_that_event(engine: Engine, column: str, value: object) -> None:
    world = _history(engine)
    org = world.orgs["NORTH"]
    target = _seq_id(engine, org, 4)
    with engine.begin() as conn:
        conn.execute(update(EV).where(EV.c.id == target).values({column: value}))
    with engine.connect() as conn:
        breaks = verify(conn)
    assert [(b.organisation_id, b.seq, b.event_id) for b in breaks] == [(org, 4, target)]


def test_deleting_an_event_in_the_middle_is_detected(engine: Engine) -> None:
    world = _history(engine)
    org = world.orgs["NORTH"]
    target = _seq_id(engine, org, 5)
    with engine.begin() as conn:
        conn.execute(delete(EV).where(EV.c.id == target))
    with engine.connect() as conn:
        (b,) = verify(conn)
    assert (b.organisation_id, b.seq) == (org, 5) and "missing" in b.problem


def test_deleting_the_last_event_is_detected_by_the_chain_head(engine: Engine) -> None:
    world = _history(engine)
    org = world.orgs["NORTH"]
    with engine.begin() as conn:
        last = conn.execute(select(func.max(EV.c.seq)).where(EV.c.organisation_id == org)).scalar_one()
        conn.execute(delete(EV).where(EV.c.organisation_id == org, EV.c.seq == last))
    with engine.connect() as conn:
        (b,) = verify(conn)
    assert b.organisation_id == org and "chain head" in b.problem


def test_swapping_two_events_is_detected(engine: Engine) -> None:
    world = _history(engine)
    org = world.orgs["NORTH"]
    a, b = _seq_id(engine, org, 2), _seq_id(engine, org, 3)
    with engine.begin() as conn:
        conn.execute(update(EV).where(EV.c.id == a).values(seq=-1))
        conn.execute(update(EV).where(EV.c.id == b).values(seq=2))
        conn.execute(update(EV).where(EV.c.id == a).values(seq=3))
    with engine.connect() as conn:
        (brk,) = verify(conn)
    assert (brk.organisation_id, brk.seq, brk.event_id) == (org, 2, b)


def test_the_command_names_the_first_broken_event_and_fails(engine: Engine) -> None:
    world = _history(engine)
    org = world.orgs["NORTH"]
    target = _seq_id(engine, org, 6)
    with engine.begin() as conn:
        conn.execute(update(EV).where(EV.c.id == target).values(reason="edited"))
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    import workflow.runtime as rt

    rt.engine_for.cache_clear()
    original = rt.engine_for
    rt.engine_for = lambda _url=None: engine  # type: ignore[assignment]
    try:
        result = runner.invoke(main, ["--database-url", url, "--log-level", "WARNING", "verify-audit"])
    finally:
        rt.engine_for = original
    assert result.exit_code == 1
    assert f"organisation {org}: first broken at seq 6 (event id {target})" in result.output
