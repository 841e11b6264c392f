"""What most integration tests start from: the small test world (tests.world) and the application over it."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.world import World, build_world
from workflow.bootstrap import Application, bootstrap
from workflow.settings import get_settings


@pytest.fixture
def world(engine: Engine) -> World:
    """Two boards with users, providers, agreements and placements (tests.world), on the parametrised database."""
    return build_world(engine)


@pytest.fixture
def app(world: World) -> Application:
    """The composition root over ``world``: settings, engine, its clock and the unit of work."""
    return bootstrap(get_settings(), world.engine, world.clock)
