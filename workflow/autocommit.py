"""PostgreSQL connections the engine keeps in autocommit mode for its own transitions (autocommit-anslutningar).

A transition on PostgreSQL is two autocommitted statements (see ``workflow.hotpath``). Taking a
connection from SQLAlchemy's pool, switching it to autocommit and back, and returning it cost
about 80 µs of Python per transition, more than the engine's rules. So the engine keeps a few
connections checked out and in autocommit mode, at most half the pool (and eight), and gives
them back when the engine is disposed. A connection whose transition failed other than by a
refusal goes back to the pool, so a broken one is never reused.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Connection, Engine

from workflow.db import per_engine
from workflow.errors import WorkflowError


class AutocommitConnections:
    """Idle autocommit connections of one engine, taken and given back around each transition."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        size = getattr(engine.pool, "size", None)
        self.keep = max(1, min(8, (size() if callable(size) else 2) // 2))
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """An autocommit connection for one transition."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            yield conn
        except WorkflowError:  # a refusal: nothing wrong with the connection
            self._give_back(conn)
            raise
        except BaseException:
            conn.close()
            raise
        self._give_back(conn)

    def _give_back(self, conn: Connection) -> None:
        if conn.in_transaction():  # SQLAlchemy's bookkeeping only: nothing is open on the server
            conn.rollback()
        with self._lock:
            if len(self._idle) < self.keep and not conn.invalidated:
                self._idle.append(conn)
                return
        conn.close()

    def release(self) -> None:
        """Give every idle connection back to the pool (the engine is being disposed)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            with suppress(Exception):
                conn.close()


def autocommit_connections(engine: Engine) -> AutocommitConnections:
    """The engine's kept autocommit connections (one set per engine)."""
    return per_engine(engine, "autocommit", AutocommitConnections, AutocommitConnections.release)
