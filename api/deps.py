"""Shared pieces of the controllers: the workflow of the app, paging, create-once for POSTs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, Parameter
from sqlalchemy import Connection, Engine, Select, func, select
from sqlalchemy.exc import IntegrityError

from api.auth import CurrentUser
from api.writer import Writer
from workflow import idempotency
from workflow.engine import Workflow

JSON = "application/json"

IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        required=False,
        description="a client-chosen key; retrying a POST with the same key and body replays the first response",
    ),
]


def workflow_of(request: Request[Any, Any, Any]) -> Workflow:
    """The application's workflow (engine and clock)."""
    wf: Workflow = request.app.state.workflow
    return wf


def write_gate(engine: Engine) -> AbstractContextManager[Any]:
    """What a write transaction holds in this process: one lock on SQLite, nothing on PostgreSQL.

    SQLite has one writer at a time; threads that queue on a lock wake as soon as it is free,
    while threads that queue inside SQLite poll in its busy handler with sleeps of up to 100 ms.
    """
    return threading.RLock() if engine.dialect.name == "sqlite" else nullcontext()


def writer_of(request: Request[Any, Any, Any]) -> Writer:
    """The application's writer (where transitions run)."""
    writer: Writer = request.app.state.writer
    return writer


def gate_of(request: Request[Any, Any, Any]) -> AbstractContextManager[Any]:
    """The application's write gate."""
    gate: AbstractContextManager[Any] = request.app.state.write_gate
    return gate


@contextmanager
def writing(request: Request[Any, Any, Any]) -> Iterator[Connection]:
    """One write transaction through the application's write gate."""
    with gate_of(request), workflow_of(request).engine.begin() as conn:
        yield conn


@dataclass(frozen=True, slots=True)
class Paging:
    """A page request."""

    page: int
    page_size: int

    def apply(self, conn: Connection, query: Select[Any]) -> tuple[list[Any], int]:
        """The rows of this page and the total count of ``query``."""
        total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
        rows = conn.execute(query.limit(self.page_size).offset((self.page - 1) * self.page_size)).mappings().all()
        return list(rows), int(total)


def paging(
    page: Annotated[int, Parameter(ge=1, le=100_000, description="page number, from 1")] = 1,
    page_size: Annotated[int, Parameter(ge=1, le=100, description="items per page")] = 25,
) -> Paging:
    """Dependency: the page the client asks for."""
    return Paging(page, page_size)


def create_once(
    request: Request[Any, Any, Any],
    user: CurrentUser,
    key: str | None,
    path: str,
    body: msgspec.Struct,
    create: Callable[[Connection], msgspec.Struct],
) -> Response[Any]:
    """Run a creating command once per idempotency key, in one transaction with the key's row.

    The same key with the same body replays the first response; with another body it is refused (422).
    """
    wf = workflow_of(request)
    digest = idempotency.fingerprint("POST", path, msgspec.json.encode(body))
    for attempt in (1, 2):
        try:
            with writing(request) as conn:
                if key:
                    stored = idempotency.find(conn, user.organisation_id, user.user_id, key, digest)
                    if stored is not None:
                        return Response(
                            stored.body,
                            status_code=stored.status_code,
                            media_type=JSON,
                            headers={"Idempotent-Replayed": "true"},
                        )
                encoded = msgspec.json.encode(create(conn))
                if key:
                    idempotency.store(
                        conn,
                        user.organisation_id,
                        user.user_id,
                        key,
                        digest,
                        idempotency.StoredResponse(201, encoded),
                        wf.clock(),
                    )
            return Response(encoded, status_code=201, media_type=JSON)
        except IntegrityError:
            # A concurrent request with the same key committed first: replay its response.
            if not key or attempt == 2:
                raise
    raise AssertionError("unreachable")


def to(kind: type[Any], row: Any) -> Any:
    """A response struct from a row mapping (extra columns ignored)."""
    return msgspec.convert(dict(row), kind, from_attributes=False, strict=False)


#: The type handlers declare to receive the page asked for: ``paging: Page``.
Page = NamedDependency[Paging]
