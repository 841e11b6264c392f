"""Staff sessions in the database (webbsessioner), shared by every worker process.

Litestar's in-memory store keeps a session in the process that created it, so behind
``uvicorn --workers 4`` a user was signed out whenever a request reached another worker.
:class:`DatabaseSessionStore` is a Litestar :class:`~litestar.stores.base.Store` over the
``web_session`` table: every worker reads the same rows. A row holds the session id (the
cookie's random value), the server-side data and when it expires; an expired row is never
returned and is purged now and then by the store itself (at most every
:data:`PURGE_EVERY`), or by :func:`purge_expired`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from litestar.stores.base import Store
from sqlalchemy import Connection, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from workflow.clock import utcnow
from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import SESSION

PURGE_EVERY = timedelta(minutes=10)
#: An unchanged session is written again only when its expiry would move by more than this. Litestar stores
#: the session after every response; rewriting an unchanged row cost a durable write per page view.
RENEW_GRACE = timedelta(minutes=5)
SECRET_PREFIX = "secret:"  # rows of installation secrets (no expiry), never answered as a session
#: Sessions read and not yet stored again that the store remembers (a request's read, then its store).
SEEN_LIMIT = 10_000


def _seconds(value: int | timedelta | None) -> timedelta | None:
    if value is None:
        return None
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def _live(now: datetime) -> Any:
    return or_(SESSION.c.expires_at.is_(None), SESSION.c.expires_at > now)


def purge_expired(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Delete the sessions that have expired by ``now`` (default: the wall clock); answers how many."""
    now = now or utcnow()
    return int(uow.write(lambda conn: conn.execute(delete(SESSION).where(SESSION.c.expires_at <= now)).rowcount))


def shared_secret(uow: UnitOfWork, name: str) -> str:
    """An installation secret every worker process shares (e.g. the CSRF key), made once at first use."""
    key = SECRET_PREFIX + name

    def read(conn: Connection) -> bytes | None:
        value = conn.execute(select(SESSION.c.value).where(SESSION.c.key == key)).scalar()
        return bytes(value) if value is not None else None

    found = uow.read(read)
    if found is None:
        fresh = secrets.token_urlsafe(48).encode()
        with contextlib.suppress(IntegrityError):  # another worker made it first: use theirs
            uow.write(lambda conn: conn.execute(insert(SESSION).values(key=key, value=fresh, expires_at=None)))
        found = uow.read(read)
    assert found is not None
    return found.decode()


def _session_key(key: str) -> bool:
    return not key.startswith(SECRET_PREFIX)


class DatabaseSessionStore(Store):
    """A Litestar store over ``web_session``; the work runs on a thread, off the event loop."""

    def __init__(self, uow: UnitOfWork, clock: Callable[[], datetime] = utcnow) -> None:
        self.uow = uow
        self.clock = clock  # wall time: a session lasts its hours whatever the application's clock says
        self._purged_at: datetime | None = None
        # What each session's row held when a request read it: storing it back unchanged at the end of the same
        # request needs no second read. A row another worker deleted meanwhile (signed out) is not brought back.
        self._seen: dict[str, tuple[bytes, datetime | None]] = {}

    # -- the blocking work ------------------------------------------------------------------------------------------

    def _set(self, key: str, value: bytes, expires_in: timedelta | None) -> None:
        now = self.clock()
        expires_at = now + expires_in if expires_in is not None else None
        if self._unchanged(key, value, expires_at, self._seen.pop(key, None)):
            return

        def work(conn: Connection) -> None:
            conn.execute(delete(SESSION).where(SESSION.c.key == key))
            conn.execute(insert(SESSION).values(key=key, value=value, expires_at=expires_at))

        self.uow.write(work)
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            self._purged_at = now
            purge_expired(self.uow, now)

    def _unchanged(
        self, key: str, value: bytes, expires_at: datetime | None, seen: tuple[bytes, datetime | None] | None
    ) -> bool:
        """Whether the row already holds ``value`` with an expiry within :data:`RENEW_GRACE` of ``expires_at``
        (as this request read it, ``seen``, else as the database has it)."""
        if seen is None:
            row = self.uow.read(
                lambda conn: conn.execute(
                    select(SESSION.c.value, SESSION.c.expires_at).where(SESSION.c.key == key)
                ).first()
            )
            if row is None:
                return False
            seen = (bytes(row.value), row.expires_at)
        held, held_until = seen
        if held != value:
            return False
        if expires_at is None or held_until is None:
            return expires_at is None and held_until is None
        return abs(expires_at - held_until) < RENEW_GRACE

    def _remember(self, key: str, value: bytes, expires_at: datetime | None) -> None:
        if len(self._seen) >= SEEN_LIMIT:  # reads whose request never stored the session (an error, a sign-out)
            self._seen.clear()
        self._seen[key] = (value, expires_at)

    def _get(self, key: str, renew_for: timedelta | None) -> bytes | None:
        if not _session_key(key):
            return None
        now = self.clock()
        row = self.uow.read(
            lambda conn: conn.execute(
                select(SESSION.c.value, SESSION.c.expires_at).where(SESSION.c.key == key, _live(now))
            ).first()
        )
        if row is None:
            return None
        expires_at = row.expires_at
        if renew_for is not None and expires_at is not None:
            expires_at = now + renew_for
            self.uow.write(
                lambda conn: conn.execute(update(SESSION).where(SESSION.c.key == key).values(expires_at=expires_at))
            )
        value = bytes(row.value)
        self._remember(key, value, expires_at)
        return value

    def _delete(self, key: str) -> None:
        if not _session_key(key):
            return
        self._seen.pop(key, None)
        self.uow.write(lambda conn: conn.execute(delete(SESSION).where(SESSION.c.key == key)))

    def _delete_all(self) -> None:
        self._seen.clear()
        self.uow.write(lambda conn: conn.execute(delete(SESSION).where(~SESSION.c.key.startswith(SECRET_PREFIX))))

    def _expires_at(self, key: str) -> tuple[bool, datetime | None]:
        if not _session_key(key):
            return (False, None)
        now = self.clock()
        row = self.uow.read(
            lambda conn: conn.execute(select(SESSION.c.expires_at).where(SESSION.c.key == key, _live(now))).first()
        )
        return (row is not None, row.expires_at if row is not None else None)

    # -- the Store interface ----------------------------------------------------------------------------------------

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        if not _session_key(key):
            raise ValueError("not a session id")
        data = value.encode() if isinstance(value, str) else value
        expires = _seconds(expires_in)
        seen = self._seen.get(key)
        if seen is not None:  # the common end of a page view: decided without the database, so without a thread
            expires_at = self.clock() + expires if expires is not None else None
            if self._unchanged(key, data, expires_at, seen):
                self._seen.pop(key, None)
                return
        await asyncio.to_thread(self._set, key, data, expires)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await asyncio.to_thread(self._get, key, _seconds(renew_for))

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)

    async def delete_all(self) -> None:
        await asyncio.to_thread(self._delete_all)

    async def exists(self, key: str) -> bool:
        found, _ = await asyncio.to_thread(self._expires_at, key)
        return found

    async def expires_in(self, key: str) -> int | None:
        found, expires_at = await asyncio.to_thread(self._expires_at, key)
        if not found or expires_at is None:
            return None
        return max(0, int((expires_at - self.clock()).total_seconds()))
