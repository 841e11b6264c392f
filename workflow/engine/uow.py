"""The unit of work (arbetsenhet): one command's transaction, with the database's strategy.

Every write of the product runs through :meth:`UnitOfWork.write` and every screen or list
read through :meth:`UnitOfWork.read`; nothing outside ``workflow`` opens a connection.
On SQLite concurrent writers share durable COMMITs (``workflow.engine.group_commit``), each in its
own savepoint; on PostgreSQL each write is its own transaction on a pooled connection.
A transition (``Workflow.fire``) is one such write: the transition writer
(``workflow.engine.writers``) runs inside the transaction this class owns and never begins or
commits one itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine

from workflow.clock import utcnow
from workflow.engine.group_commit import commit_group
from workflow.schema.db import read_committed

T = TypeVar("T")


class UnitOfWork:
    """Begin, commit and rollback for the commands and queries of one database."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def write(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in one write transaction; its result once committed. An error rolls back all of it."""
        if self.engine.dialect.name == "sqlite":
            return commit_group(self.engine).run(work)
        with self.engine.begin() as conn:
            return work(conn)

    def read(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)``, which only reads: in a read-only transaction on SQLite (never its write lock), on
        PostgreSQL statement by statement at READ COMMITTED (each sees its own snapshot either way)."""
        with read_committed(self.engine) as conn:
            return work(conn)
