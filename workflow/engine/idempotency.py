"""Idempotency keys (idempotensnycklar): a retried creating request never creates twice.

The key row is written in the same transaction as what the request created, so a
crash or a concurrent retry either sees the stored response or creates nothing. A key
is kept for at least the retention period (``UPPF_IDEMPOTENCY_RETENTION_HOURS``, 24 h
by default) and then purged by the scheduler, after which it may be used again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Connection, Engine, delete, insert, select, update

from workflow.engine.errors import InvalidInput
from workflow.schema.tables import KEYS

log = structlog.get_logger("idempotency")


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The response a key's first request got, to replay."""

    status_code: int
    body: bytes


def fingerprint(*parts: bytes | str) -> str:
    """A digest of what the request asked for (method, path, body)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()


def find(conn: Connection, organisation_id: int, user_id: int, key: str, digest: str) -> StoredResponse | None:
    """The stored response for ``key``; refuse a key reused for a different request."""
    row = conn.execute(
        select(KEYS.c.fingerprint, KEYS.c.status_code, KEYS.c.response).where(
            KEYS.c.organisation_id == organisation_id, KEYS.c.user_id == user_id, KEYS.c.key == key
        )
    ).first()
    if row is None:
        return None
    if row.fingerprint != digest:
        raise InvalidInput(
            "this Idempotency-Key was already used for a different request; use a new key for a new request",
            rule="idempotency_key_reused",
        )
    return StoredResponse(row.status_code, bytes(row.response))


def store(
    conn: Connection,
    organisation_id: int,
    user_id: int,
    key: str,
    digest: str,
    response: StoredResponse,
    now: datetime,
) -> None:
    """Remember the response for ``key`` (in the creating transaction)."""
    conn.execute(
        insert(KEYS).values(
            organisation_id=organisation_id,
            user_id=user_id,
            key=key,
            fingerprint=digest,
            status_code=response.status_code,
            response=response.body,
            created_at=now,
        )
    )


def claim(conn: Connection, organisation_id: int, user_id: int, key: str, digest: str, now: datetime) -> None:
    """Take ``key`` before creating anything (a concurrent request with the same key waits on its row, then replays).

    :func:`fulfil` stores the response in the same transaction.
    """
    store(conn, organisation_id, user_id, key, digest, StoredResponse(0, b""), now)


def fulfil(conn: Connection, organisation_id: int, user_id: int, key: str, response: StoredResponse) -> None:
    """Store the response of the request that claimed ``key``."""
    conn.execute(
        update(KEYS)
        .where(KEYS.c.organisation_id == organisation_id, KEYS.c.user_id == user_id, KEYS.c.key == key)
        .values(status_code=response.status_code, response=response.body)
    )


def purge_expired(engine: Engine, now: datetime, retention: timedelta, batch: int = 1000) -> int:
    """Delete the keys older than ``retention``, ``batch`` rows per transaction; how many went.

    Safe on several scheduler instances at once: a row two of them pick is deleted once.
    """
    if retention <= timedelta(0):
        raise InvalidInput("the idempotency key retention must be positive")
    cutoff = now - retention
    purged = 0
    while True:
        with engine.begin() as conn:
            ids = select(KEYS.c.id).where(KEYS.c.created_at < cutoff).order_by(KEYS.c.created_at).limit(batch)
            n = conn.execute(delete(KEYS).where(KEYS.c.id.in_(ids.scalar_subquery()))).rowcount
        purged += n
        if n < batch:
            break
    if purged:
        log.info("idempotency.purged", keys=purged)
    return purged
