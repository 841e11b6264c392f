"""Request context for logs: a request id per request, one JSON line per request.

The line carries method, the route's template (``/cases/{case_id}``, never the path
itself), status and duration, plus the user, organisation and case bound by the handlers;
never query strings, bodies, tokens or a path value shaped like a personal identity number.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from typing import Any

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from workflow.redact import looks_personal

log = structlog.get_logger("api.request")
#: A client's request id is kept only in this shape and only when it holds no identity number.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
# Request ids: a random prefix per process and a counter (unique across workers, cheaper than uuid4).
_PREFIX = secrets.token_hex(8)
_COUNTER = itertools.count(1)


def request_context(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: bind a request id (the client's ``X-Request-ID`` if sane) and log the request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        safe = _CLIENT_ID.match(given) and not looks_personal(given)
        request_id = given if safe else f"{_PREFIX}{next(_COUNTER):08x}"
        scope.setdefault("state", {})["request_id"] = request_id  # type: ignore[typeddict-unknown-key]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            case_id = (scope.get("path_params") or {}).get("case_id")
            if case_id is not None and looks_personal(str(case_id)):
                case_id = None
            log.info(
                "http.request",
                method=scope.get("method", ""),
                route=scope.get("path_template") or "(unrouted)",
                status=status["code"],
                ms=round((time.perf_counter() - started) * 1000, 2),
                **({"case_id": case_id} if case_id is not None else {}),
            )
            structlog.contextvars.clear_contextvars()

    return middleware
