"""Process-wide wiring: the database engine from settings, migrated on first use."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, select

from workflow.schema.db import make_engine, read
from workflow.schema.migrate import upgrade
from workflow.schema.tables import Organisation
from workflow.settings import get_settings


@lru_cache(maxsize=4)
def engine_for(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: settings), with the schema migrated to head."""
    settings = get_settings()
    engine = make_engine(url or settings.database_url, synchronous=settings.sqlite_synchronous)
    upgrade(engine)
    return engine


def is_empty(engine: Engine) -> bool:
    """Whether the database holds no organisations yet."""
    with read(engine) as conn:
        return conn.execute(select(Organisation.id).limit(1)).first() is None  # type: ignore[call-overload]
