"""Leader lock (ledarlås): only one scheduler instance runs the recurring-control job at a time.

PostgreSQL: a session-level advisory lock held on a dedicated connection; it is released
when the process or its connection dies. SQLite: a lease row in ``scheduler_lease`` with an
expiry that the holder renews on every tick; a crashed holder's lease simply runs out.
Sweeps and outbox delivery need no leader: row claims keep them apart.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from workflow.clock import utcnow
from workflow.schema.db import write
from workflow.schema.tables import LEASE

log = structlog.get_logger("workflow.deadlines.leader")


class LeaderLock:
    """A named lock one instance holds; ``acquire`` is cheap to call on every tick."""

    def __init__(
        self,
        engine: Engine,
        name: str = "recurring_controls",
        *,
        lease_seconds: float = 120.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.name = name
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock
        self.holder = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._conn: Connection | None = None
        self.held = False

    def acquire(self) -> bool:
        """Take or renew the lock; True when this instance is the leader now."""
        if self.engine.dialect.name == "sqlite":
            self.held = self._lease()
        else:
            self.held = self._advisory()
        return self.held

    def release(self) -> None:
        """Give the lock up (on shutdown)."""
        if self.engine.dialect.name == "sqlite":
            with write(self.engine) as conn:
                conn.execute(delete(LEASE).where(LEASE.c.name == self.name, LEASE.c.holder == self.holder))
        elif self._conn is not None:
            with contextlib.suppress(DBAPIError):
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(hashtext(current_schema() || ':' || :n))"), {"n": self.name}
                )
                self._conn.commit()
            self._conn.close()
            self._conn = None
        self.held = False

    def _lease(self) -> bool:
        now = self.clock()
        with write(self.engine) as conn:
            row = conn.execute(select(LEASE).where(LEASE.c.name == self.name)).first()
            if row is None:
                conn.execute(insert(LEASE).values(name=self.name, holder=self.holder, expires_at=now + self.lease))
                return True
            if row.holder == self.holder or row.expires_at <= now:
                conn.execute(
                    update(LEASE)
                    .where(LEASE.c.name == self.name)
                    .values(holder=self.holder, expires_at=now + self.lease)
                )
                return True
            return False

    def _advisory(self) -> bool:
        if self.held and self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                self._conn.commit()
                return True
            except DBAPIError:
                log.warning("leader.connection_lost", name=self.name)
                self._conn = None
        if self._conn is None:
            self._conn = self.engine.connect()
        got = bool(
            self._conn.execute(
                text("SELECT pg_try_advisory_lock(hashtext(current_schema() || ':' || :n))"), {"n": self.name}
            ).scalar_one()
        )
        self._conn.commit()  # the lock is held by the session, not by a transaction
        if not got:
            self._conn.close()
            self._conn = None
        return got
