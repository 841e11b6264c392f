"""A PostgreSQL schema of one's own (eget schema): tests and benchmarks share the local database side by side."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from workflow.schema.db import make_engine


@contextmanager
def scratch_schema(url: str, prefix: str) -> Iterator[str]:
    """A new, empty schema on ``url`` (``prefix`` and a random part), dropped with everything in it afterwards.

    No connection is held while the caller works: a session-long schema must not keep one of the server's
    connections idle for the whole run.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url, pool_size=1)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        admin.dispose()
        yield name
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()
