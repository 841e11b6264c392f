"""Error pages (felsidor): plain Swedish pages, never a stack trace or another board's title.

An unknown id, another board's case and an individual-level case the user may not see
all answer the same "Hittades inte" page with status 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.response import Redirect

from api.auth import CurrentUser
from api.web.page import render, translator
from api.web.security import HEADERS
from api.web.viewer import current
from workflow.engine.errors import NotFound

log = structlog.get_logger("api.web")
SECURITY_HEADERS = {h.name: h.value for h in HEADERS if h.value is not None}


def _signed_in(request: Request[Any, Any, Any]) -> CurrentUser | None:
    try:
        return current(request)
    except Exception:  # an error page never fails on the header
        return None


def _page(request: Request[Any, Any, Any], status: int, title: str, message: str) -> Response[Any]:
    template = render(request, "error.html", title, _signed_in(request), status_code=status, message=message)
    template.headers.update(SECURITY_HEADERS)  # error responses skip the router's response headers
    return template  # type: ignore[return-value]


def not_signed_in(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    """Send the user to sign in, then back here."""
    target = f"/logga-in?next={quote(request.url.path)}"
    if request.headers.get("hx-request"):
        return Response(b"", status_code=204, headers={"HX-Redirect": target, **SECURITY_HEADERS})
    return Redirect(target, status_code=303, headers=SECURITY_HEADERS)


def not_found(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    """The same page for unknown and out-of-scope: "Hittades inte"."""
    _ = translator(request)
    return _page(
        request, 404, _("Not found"), _("The page or case you asked for does not exist, or you may not see it.")
    )


def refused(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    """A form without a valid CSRF token (often: a page left open too long)."""
    _ = translator(request)
    return _page(
        request,
        403,
        _("The form could not be sent"),
        _("The form had expired or did not come from this site. Go back, reload the page and try again."),
    )


def failed(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything else: a plain page with the request id to quote."""
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        _ = translator(request)
        return _page(
            request, exc.status_code, _("The request could not be handled"), _("Check the address and try again.")
        )
    log.exception("web.error", path=request.url.path)
    _ = translator(request)
    request_id = request.scope.get("state", {}).get("request_id", "")
    return _page(
        request,
        500,
        _("Something went wrong"),
        _("The error has been logged. Quote this reference if you contact support: %(ref)s") % {"ref": request_id},
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    NotAuthorizedException: not_signed_in,
    NotFound: not_found,
    NotFoundException: not_found,
    PermissionDeniedException: refused,
    HTTPException: failed,
    Exception: failed,
}
