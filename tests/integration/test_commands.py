"""Commands reach their one handler through the composition root, and refusals write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from tests.world import World, build_world
from workflow.bootstrap import Application
from workflow.engine.commands import FireTrigger, OpenCase, handler_for
from workflow.engine.errors import WrongState
from workflow.schema.tables import CaseEvent
from workflow.settings import get_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(CaseEvent)).scalar_one())


def test_a_command_without_a_handler_is_named_in_the_error() -> None:
    with pytest.raises(LookupError, match="no handler for str"):
        handler_for("not a command")


def test_opening_and_firing_through_the_application_write_one_event_each(world: World) -> None:
    app = Application(get_settings(), world.engine, world.clock)
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
    app = Application(get_settings(), world.engine, world.clock)
    strategist = world.actor("NORTH", "contract_strategist")
    opened = app.execute(
        OpenCase("complaint", "a relative complains", kind="relative", provider_id=world.providers["Acme Care AB"]),
        strategist,
    )
    with pytest.raises(WrongState):
        app.execute(FireTrigger(opened.case_id, "resolve", "not investigated yet"), strategist)
    assert events(world.engine) == 1
