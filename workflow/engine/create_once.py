"""Creating once per idempotency key (idempotensnyckel): a retried creating command never creates twice.

:class:`CreateOnce` wraps a creating command. Its handler runs the command and stores the key
with the response in the same transaction, so a crash or a concurrent retry either finds the
stored response or creates nothing. The same key with the same request replays the stored
response; with another request it is refused (``idempotency_key_reused``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from workflow.engine import idempotency
from workflow.engine.commands import handler_for, handles
from workflow.engine.errors import InvalidInput
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork

T = TypeVar("T")
KEY = re.compile(r"[\x21-\x7e]{1,200}")


@dataclass(frozen=True, slots=True)
class CreateOnce:
    """Run ``command`` once per ``key`` of the actor.

    ``request`` is a fingerprint of what was asked (:func:`workflow.engine.idempotency.fingerprint` of the
    entry point's method, path and body). ``respond`` makes the entry point's response from the
    command's result, reading what it shows through the unit of work it is given (inside the
    creating transaction); that response is stored for replays.
    """

    command: object
    key: str
    request: str
    respond: Callable[[Any, UnitOfWork], bytes]
    status_code: int = 201


@dataclass(frozen=True, slots=True)
class Created:
    """The response of a creating command: made now, or replayed from the key's first request."""

    body: bytes
    status_code: int
    replayed: bool


class JoinedUnitOfWork(UnitOfWork):
    """The unit of work of a command run inside another command's open transaction: it joins that transaction."""

    def __init__(self, conn: Connection, outer: UnitOfWork) -> None:
        super().__init__(outer.engine, outer.clock)
        self._conn = conn

    def write(self, work: Callable[[Connection], T]) -> T:
        return work(self._conn)

    def read(self, work: Callable[[Connection], T]) -> T:
        return work(self._conn)


@handles(CreateOnce)
def create_once(cmd: CreateOnce, actor: Actor, uow: UnitOfWork) -> Created:
    """The stored response for the key, or the command run and its response stored, in one unit of work."""
    if actor.user_id is None:
        raise InvalidInput("idempotency keys belong to a user; the actor has none", rule="idempotency_key")
    if not KEY.fullmatch(cmd.key):
        raise InvalidInput("an idempotency key is 1 to 200 visible ASCII characters", rule="idempotency_key")
    user_id = actor.user_id
    handler = handler_for(cmd.command)

    def work(conn: Connection) -> Created:
        stored = idempotency.find(conn, actor.organisation_id, user_id, cmd.key, cmd.request)
        if stored is not None:
            return Created(stored.body, stored.status_code, True)
        # The key's row first: a concurrent request with the same key waits on it and then replays (PostgreSQL),
        # rather than creating its own object or being refused by the first one's.
        idempotency.claim(conn, actor.organisation_id, user_id, cmd.key, cmd.request, uow.clock())
        joined = JoinedUnitOfWork(conn, uow)
        body = cmd.respond(handler(cmd.command, actor, joined), joined)
        idempotency.fulfil(
            conn, actor.organisation_id, user_id, cmd.key, idempotency.StoredResponse(cmd.status_code, body)
        )
        return Created(body, cmd.status_code, False)

    try:
        return uow.write(work)
    except IntegrityError:
        # A concurrent request with the same key committed first: its response is there to replay.
        return uow.write(work)
