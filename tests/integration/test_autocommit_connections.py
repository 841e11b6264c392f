"""The PostgreSQL connections the engine keeps in autocommit mode for its transitions."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from tests.world import World, build_world
from workflow.autocommit import AutocommitConnections, autocommit_connections
from workflow.errors import WrongState
from workflow.opening import open_case

pytestmark = [pytest.mark.integration, pytest.mark.only_on("postgresql")]


def _complaint(world: World) -> int:
    actor = world.actor("NORTH", "contract_strategist")
    return open_case(
        world.wf, "complaint", actor, "received", kind="relative", agreement_id=world.agreements["north_calloff"]
    ).case_id


def _backend_pid(kept: AutocommitConnections) -> int:
    with kept.connection() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_transitions_reuse_a_kept_connection_in_autocommit_mode(engine: Engine) -> None:
    world = build_world(engine)
    actor = world.actor("NORTH", "contract_strategist")
    kept = autocommit_connections(engine)
    world.wf.fire(_complaint(world), "investigate", actor, "first")
    pid = _backend_pid(kept)
    world.wf.fire(_complaint(world), "investigate", actor, "second")
    assert _backend_pid(kept) == pid
    with kept.connection() as conn:
        # Autocommit: nothing is left open on the server between statements.
        assert conn.connection.driver_connection.autocommit is True  # type: ignore[union-attr]
        conn.execute(text("SELECT 1"))
        assert conn.connection.driver_connection.info.transaction_status == 0  # type: ignore[union-attr]


def test_a_refusal_keeps_the_connection_and_a_failure_gives_it_back(engine: Engine) -> None:
    world = build_world(engine)
    actor = world.actor("NORTH", "contract_strategist")
    cid = _complaint(world)
    kept = autocommit_connections(engine)
    pid = _backend_pid(kept)
    with pytest.raises(WrongState):
        world.wf.fire(cid, "resolve", actor, "not investigated yet")
    assert _backend_pid(kept) == pid
    with pytest.raises(ZeroDivisionError), kept.connection():
        raise ZeroDivisionError
    assert kept._idle == []  # the failed one went back to the pool, not to the kept ones


def test_never_more_than_half_the_pool_is_kept_and_disposing_gives_them_back(engine: Engine) -> None:
    kept = autocommit_connections(engine)
    assert kept.keep == engine.pool.size() // 2  # type: ignore[attr-defined]
    with kept.connection(), kept.connection(), kept.connection():
        pass
    assert len(kept._idle) == kept.keep
    engine.dispose()
    assert kept._idle == []


def test_a_transition_still_lands_after_the_server_forgot_its_prepared_statements(engine: Engine) -> None:
    world = build_world(engine)
    actor = world.actor("NORTH", "contract_strategist")
    kept = autocommit_connections(engine)
    world.wf.fire(_complaint(world), "investigate", actor, "first")
    with kept.connection() as conn:
        conn.execute(text("DEALLOCATE ALL"))
    result = world.wf.fire(_complaint(world), "investigate", actor, "second")
    assert result.to_status == "investigating"
