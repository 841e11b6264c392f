"""Shared pieces of the controllers: the application, paging, creating once per idempotency key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, Parameter

from api.auth import CurrentUser
from workflow.bootstrap import Application
from workflow.cases.paging import Page as RowPage
from workflow.cases.paging import PageRequest
from workflow.engine import idempotency
from workflow.engine.create_once import Created, CreateOnce
from workflow.engine.uow import UnitOfWork

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


def application_of(request: Request[Any, Any, Any]) -> Application:
    """The application every controller goes through (commands and query functions)."""
    app: Application = request.app.state.application
    return app


def paging(
    page: Annotated[int, Parameter(ge=1, le=100_000, description="page number, from 1")] = 1,
    page_size: Annotated[int, Parameter(ge=1, le=100, description="items per page")] = 25,
) -> PageRequest:
    """Dependency: the page the client asks for."""
    return PageRequest(page, page_size)


def create_once(
    request: Request[Any, Any, Any],
    user: CurrentUser,
    key: str | None,
    body: msgspec.Struct,
    command: object,
    respond: Callable[[Any, UnitOfWork], msgspec.Struct],
) -> Response[Any]:
    """Run a creating command, once per idempotency key when the client sends one (201).

    The same key with the same body replays the first response; with another body it is refused (422).
    """
    app = application_of(request)
    if key is None:
        encoded = msgspec.json.encode(respond(app.execute(command, user.actor), app.uow))
        return Response(encoded, status_code=201, media_type=JSON)
    digest = idempotency.fingerprint("POST", request.url.path, msgspec.json.encode(body))
    created: Created = app.execute(
        CreateOnce(command, key, digest, lambda result, uow: msgspec.json.encode(respond(result, uow))), user.actor
    )
    headers = {"Idempotent-Replayed": "true"} if created.replayed else None
    return Response(created.body, status_code=created.status_code, media_type=JSON, headers=headers)


def to(kind: type[Any], row: Any) -> Any:
    """A response struct from a row mapping or a dataclass (extra fields ignored)."""
    return msgspec.convert(row, kind, from_attributes=not isinstance(row, dict), strict=False)


def items(kind: type[Any], page: RowPage) -> list[Any]:
    """The rows of a page as response structs."""
    return [to(kind, r) for r in page.items]


#: The type handlers declare to receive the page asked for: ``paging: Page``.
Page = NamedDependency[PageRequest]
