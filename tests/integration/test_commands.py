"""Commands reach their one handler through the composition root, and refusals write nothing.

Every handler test here runs three ways: on the in-memory fake unit of work (``tests.fakes``),
and on the real one over SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from tests.fakes import InMemoryUnitOfWork
from tests.world import Clock, World, build_world
from workflow.bootstrap import Application
from workflow.engine.commands import FireTrigger, OpenCase, handler_for
from workflow.engine.errors import Conflict, NoMandate, WrongState
from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import CaseEvent
from workflow.settings import get_settings

pytestmark = pytest.mark.integration


@pytest.fixture(params=["real", "in_memory"])
def world(request: pytest.FixtureRequest, backend: str) -> World:
    """The world on the real database of ``backend``, or on an in-memory unit of work (then ``backend`` is moot)."""
    if request.param == "real":
        return build_world(request.getfixturevalue("engine"))
    clock = Clock()
    fake = InMemoryUnitOfWork(clock)
    w = build_world(fake.engine, clock)
    w.uow = fake  # type: ignore[attr-defined]
    return w


def application(world: World) -> Application:
    """The composition root over the world's unit of work: the fake one where the world has it."""
    return Application(
        get_settings(), world.engine, world.clock, getattr(world, "uow", None) or UnitOfWork(world.engine, world.clock)
    )


def events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(CaseEvent)).scalar_one())


def test_a_command_without_a_handler_is_named_in_the_error() -> None:
    with pytest.raises(LookupError, match="no handler for str"):
        handler_for("not a command")


def test_opening_and_firing_through_the_application_write_one_event_each(world: World) -> None:
    app = application(world)
    strategist = world.actor("NORTH", "contract_strategist")
    opened = app.execute(
        OpenCase("complaint", "a relative complains", kind="relative", provider_id=world.providers["Acme Care AB"]),
        strategist,
    )
    assert events(world.engine) == 1
    moved = app.execute(FireTrigger(opened.case_id, "investigate", "called the provider"), strategist)
    assert (moved.from_status, moved.to_status, moved.version) == ("received", "investigating", opened.version + 1)
    assert events(world.engine) == 2


def test_a_refused_command_writes_nothing(world: World) -> None:
    app = application(world)
    strategist = world.actor("NORTH", "contract_strategist")
    opened = app.execute(
        OpenCase("complaint", "a relative complains", kind="relative", provider_id=world.providers["Acme Care AB"]),
        strategist,
    )
    with pytest.raises(WrongState):
        app.execute(FireTrigger(opened.case_id, "resolve", "not investigated yet"), strategist)
    assert events(world.engine) == 1


DECIDE = {"reason_code": "credit_remark", "evidence": "credit report of 2026-03-01"}


def test_a_decision_without_a_mandate_is_refused_and_rolled_back(world: World) -> None:
    app = application(world)
    strategist = world.actor("NORTH", "contract_strategist")
    opened = app.execute(
        OpenCase(
            "call_off_suspension",
            "criminal-record hit",
            agreement_id=world.agreements["north_calloff"],
        ),
        strategist,
    )
    before = events(world.engine)
    with pytest.raises(NoMandate, match="temporary_exclusion"):
        app.execute(FireTrigger(opened.case_id, "decide", "exclude", "NOR-2026-00077", DECIDE), strategist)
    assert events(world.engine) == before
    head = world.actor("NORTH", "department_head")
    moved = app.execute(FireTrigger(opened.case_id, "decide", "exclude", "NOR-2026-00077", DECIDE), head)
    assert (moved.to_status, moved.version) == ("active", opened.version + 1)
    assert moved.mandate and "4.3" in moved.mandate
    assert events(world.engine) == before + 1


def test_a_stale_version_is_a_conflict_and_writes_nothing(world: World) -> None:
    app = application(world)
    strategist = world.actor("NORTH", "contract_strategist")
    opened = app.execute(
        OpenCase("complaint", "a relative complains", kind="relative", provider_id=world.providers["Acme Care AB"]),
        strategist,
    )
    app.execute(FireTrigger(opened.case_id, "investigate", "called", expected_version=opened.version), strategist)
    with pytest.raises(Conflict):
        app.execute(FireTrigger(opened.case_id, "resolve", "done", expected_version=opened.version), strategist)
    assert events(world.engine) == 2
