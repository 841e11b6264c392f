"""What most integration tests start from: the small test world (tests.world) and the application over it, and the
old databases the migration tests start from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import PG_URL
from tests.pg_schema import scratch_schema
from tests.world import World, build_world
from workflow.bootstrap import Application, bootstrap
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade
from workflow.settings import get_settings


@pytest.fixture
def world(engine: Engine) -> World:
    """Two boards with users, providers, agreements and placements (tests.world), on the parametrised database."""
    return build_world(engine)


@pytest.fixture
def app(world: World) -> Application:
    """The composition root over ``world``: settings, engine, its clock and the unit of work."""
    return bootstrap(get_settings(), world.engine, world.clock)


@contextmanager
def migrated_to(revision: str, backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A fresh database on ``backend`` migrated only up to ``revision`` (a migration test's starting point).

    PostgreSQL gets a schema of its own, dropped afterwards; SQLite a file in ``tmp_path``.
    """
    if backend == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        upgrade(eng, revision)
        yield eng
        eng.dispose()
        return
    request.getfixturevalue("_pg_schema")  # skips when PostgreSQL is not there (and fails under CI)
    with scratch_schema(PG_URL, "m") as schema:
        eng = make_engine(PG_URL, schema=schema, pool_size=2)
        try:
            upgrade(eng, revision)
            yield eng
        finally:
            eng.dispose()
