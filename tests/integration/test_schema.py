"""The Alembic migrations and the SQLModel tables describe the same schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

import workflow.schema.tables  # noqa: F401
from tests.conftest import PG_URL
from workflow.engine.uow import UnitOfWork
from workflow.schema.db import make_engine
from workflow.schema.tables import ORG

pytestmark = pytest.mark.integration


def test_migrations_and_models_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == []


def test_a_read_can_be_the_first_thing_a_new_engine_does(engine: Engine, request: pytest.FixtureRequest) -> None:
    if engine.dialect.name == "postgresql":
        fresh = make_engine(PG_URL, schema=request.getfixturevalue("_pg_migrated").name, pool_size=1)
    else:
        fresh = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        assert UnitOfWork(fresh).read(lambda conn: conn.execute(select(func.count()).select_from(ORG)).scalar()) == 0
    finally:
        fresh.dispose()
