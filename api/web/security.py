"""Security of the staff pages: headers, server-side sessions and CSRF tokens.

Every page answers with a Content-Security-Policy that allows only the product's own
files (no inline scripts or styles), and the usual companions. Sessions are server-side
(the cookie holds only a random id) and the id changes at sign-in; cookies are HttpOnly,
SameSite=Lax, and Secure outside development (where the product is served over TLS).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import ResponseHeader
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig

from workflow.settings import Settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CSP),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    ResponseHeader(name="Cross-Origin-Opener-Policy", value="same-origin"),
    ResponseHeader(name="Permissions-Policy", value="camera=(), microphone=(), geolocation=(), payment=()"),
    ResponseHeader(name="Cache-Control", value="no-store"),
]
SESSION_COOKIE = "uppf_session"
SESSION_STORE = "sessions"  # workflow.web.sessions.DatabaseSessionStore, registered by the plugin
CSRF_COOKIE = "uppf_csrf"
SESSION_HOURS = 8
_FRESH_ID = "uppf_fresh_session_id"


def tls_only(settings: Settings) -> bool:
    """Whether cookies are Secure: everywhere but development (served over plain HTTP on loopback)."""
    return settings.environment != "development"


def development_sign_in(settings: Settings) -> bool:
    """Whether the development sign-in exists: only when ``UPPF_ENVIRONMENT=development`` is set explicitly."""
    return settings.environment == "development" and "environment" in settings.model_fields_set


class _RotatingBackend(ServerSideSessionBackend):
    """The server-side backend, with a new session id after sign-in (no session fixation)."""

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        fresh = connection.scope.get("state", {}).get(_FRESH_ID)
        return fresh if isinstance(fresh, str) else super().get_session_id(connection)


class _SessionConfig(ServerSideSessionConfig):
    _backend_class = _RotatingBackend


def renew_session_id(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Give the session a new id when the response is sent (call at sign-in)."""
    connection.scope.setdefault("state", {})[_FRESH_ID] = secrets.token_hex(32)  # type: ignore[typeddict-unknown-key]


def session_config(settings: Settings) -> ServerSideSessionConfig:
    """Server-side sessions in the database (the ``sessions`` store), for one working day."""
    return _SessionConfig(
        key=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=tls_only(settings),
        store=SESSION_STORE,
    )


def csrf_config(settings: Settings, key: str) -> CSRFConfig:
    """CSRF tokens on every form (double submit: an HttpOnly cookie and a hidden field)."""
    return CSRFConfig(
        secret=hmac.new(key.encode(), b"uppfoljning-csrf", hashlib.sha256).hexdigest(),
        cookie_name=CSRF_COOKIE,
        cookie_httponly=True,
        cookie_samesite="lax",
        cookie_secure=tls_only(settings),
        header_name="x-csrftoken",
    )
