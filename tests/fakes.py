"""An in-memory unit of work: the handlers' contract without a database file or server.

It keeps one private in-memory SQLite database (one connection, shared by every thread under
a lock), migrated like a real one, and runs each unit of work as one transaction on it that
an error rolls back. Handler tests run against it as well as against the real unit of work
on SQLite and PostgreSQL, so a handler that relies on more than ``write`` and ``read`` (its
own connection, the engine's commit mode, a second transaction) fails here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, create_engine
from sqlalchemy.pool import StaticPool

from workflow.engine.uow import UnitOfWork
from workflow.schema.db import _configure_sqlite
from workflow.schema.migrate import upgrade

T = TypeVar("T")


class InMemoryUnitOfWork(UnitOfWork):
    """A unit of work over a private in-memory database; each ``write`` is one transaction, all or nothing."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
        _configure_sqlite(engine, "OFF")
        upgrade(engine)
        super().__init__(engine, clock)
        self._lock = threading.RLock()
        self.writes = 0
        self.rollbacks = 0

    def write(self, work: Callable[[Connection], T]) -> T:
        with self._lock, self.engine.connect() as conn:
            tx = conn.begin()
            try:
                result = work(conn)
            except BaseException:
                tx.rollback()
                self.rollbacks += 1
                raise
            tx.commit()
            self.writes += 1
            return result

    def read(self, work: Callable[[Connection], T]) -> T:
        with self._lock, self.engine.connect() as conn, conn.begin():
            return work(conn)
