"""RFC 9457 problem responses (felsvar): the one place that maps errors to HTTP.

Workflow errors keep their meaning: 404 for unknown or out of scope, 409 for a lost
race, 422 for invalid input or a refused transition (naming the rule that refused
it). Authentication gives 401; a role that may not do something at all (``NotPermitted``,
or an endpoint closed to it) gives 403. Nothing internal leaks: an
unexpected error answers 500 with a request id to quote, and is logged.
"""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, MethodNotAllowedException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from workflow.engine.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NotPermitted,
    Refused,
    Unavailable,
    WorkflowError,
)

log = structlog.get_logger("api.problems")

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://uppfoljning.invalid/problems/"

TITLES = {
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    422: "Unprocessable request",
    500: "Internal error",
    503: "Service unavailable",
}


class Problem(msgspec.Struct, omit_defaults=True):
    """A problem detail (RFC 9457); ``rule`` names the rule that refused, ``errors`` the bad fields."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    rule: str | None = None
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[Problem]:
    """A problem+json response for ``request``."""
    body = Problem(
        type=TYPE_BASE + code,
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=request.scope.get("state", {}).get("request_id"),
        **extra,
    )
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="uppfoljning"'}
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def workflow_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """Map the workflow's error tree."""
    assert isinstance(exc, WorkflowError)
    if isinstance(exc, NotFound):
        return problem(request, 404, "not_found", exc.message)
    if isinstance(exc, Conflict):
        return problem(request, 409, "conflict", exc.message)
    if isinstance(exc, Unavailable):
        return problem(request, 503, "unavailable", exc.message, rule=str(exc.context.get("rule", exc.code)))
    rule = str(exc.context.get("rule", exc.code))
    if isinstance(exc, NotPermitted):
        return problem(request, 403, "forbidden", exc.message, rule=rule)
    if isinstance(exc, Refused):
        return problem(request, 422, "refused", exc.message, rule=rule)
    if isinstance(exc, InvalidInput):
        return problem(request, 422, "invalid_input", exc.message, rule=rule)
    return problem(request, 422, exc.code, exc.message, rule=exc.code)


def http_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Litestar's own errors (validation, 401, 404 route, 405) as problems; bad input is 422."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status == 404 and wants_page(request):  # an address typed in a browser gets the staff pages' "Hittades inte"
        from api.web.errors import not_found

        return not_found(request, exc)
    if isinstance(exc, ValidationException) or status == 400:
        errors = exc.extra if isinstance(exc.extra, list) else None
        return problem(request, 422, "invalid_input", _plain(exc.detail), rule="schema", errors=errors)
    code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
        status, "http_error"
    )
    if status == 405:  # RFC 9110: a 405 lists the methods the path has
        return problem(request, 405, code, _plain(exc.detail), headers={"Allow": allowed_methods(request, exc)})
    rule = exc.extra.get("rule") if isinstance(exc.extra, dict) else None  # a 401 may name the token rule
    if isinstance(rule, str) and rule:
        return problem(request, status, code, _plain(exc.detail), rule=rule)
    return problem(request, status, code, _plain(exc.detail))


def wants_page(request: Request[Any, Any, Any]) -> bool:
    """Whether the client asks for a page (a browser's ``Accept: text/html``) rather than JSON."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


def allowed_methods(request: Request[Any, Any, Any], exc: HTTPException) -> str:
    """The methods of the request's path, as ``Allow`` lists them: the router's (its route map node's handlers), or
    for a 405 raised elsewhere the methods of the app's routes on that path."""
    headers = exc.headers or {}
    given = headers.get("allow") or headers.get("Allow")
    if given:
        return ", ".join(sorted({m.strip().upper() for m in given.split(",") if m.strip()}))
    return route_methods(request.app, request.scope.get("path", "")) or "OPTIONS"


def route_methods(app: Any, path: str) -> str | None:
    """Every method the app's route map has for ``path`` (``GET, OPTIONS, PATCH``); None for a path it lacks.

    Asked of the router itself with a method no route has: its refusal lists the path's methods.
    """
    try:
        app.asgi_router.handle_routing(path, "UNROUTED")
    except MethodNotAllowedException as refused:
        allow = (refused.headers or {}).get("allow", "")
        return ", ".join(sorted({m.strip().upper() for m in allow.split(",") if m.strip()}))
    except Exception:  # not found, or a path parameter that does not parse: the path has no methods
        return None
    return None


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """500 without internals; the exception goes to the log with the request id."""
    log.error("request.failed", error=type(exc).__name__, exc_info=exc)
    return problem(request, 500, "internal", "an unexpected error occurred; quote the request id when reporting it")


def _plain(detail: Any) -> str:
    return str(detail) if detail else "the request could not be processed"


EXCEPTION_HANDLERS: dict[int | type[Exception], Any] = {
    WorkflowError: workflow_error,
    HTTPException: http_error,
    Exception: internal_error,
}


def responses(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem statuses a route can answer."""
    descriptions = {
        401: "Missing, invalid or expired bearer token",
        403: "The caller's roles may not use this endpoint",
        404: "Unknown, or outside the caller's organisation",
        409: "Someone else changed the object first",
        422: "Invalid input, or refused by a rule (named in `rule`)",
    }
    return {
        c: ResponseSpec(Problem, description=descriptions[c], media_type=MEDIA_TYPE, generate_examples=False)
        for c in codes
    }


READ = responses(401, 404, 422)
LIST = responses(401, 422)
WRITE = responses(401, 403, 404, 409, 422)
