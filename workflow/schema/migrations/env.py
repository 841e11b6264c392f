"""Alembic environment: runs migrations on the connection the caller hands over."""

from alembic import context
from sqlmodel import SQLModel

import workflow.schema.tables  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from workflow.schema.db import make_engine

        engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite:///uppfoljning.db")
        with engine.begin() as connection:
            _run(connection)
        return
    _run(connection)


def _run(connection):  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
