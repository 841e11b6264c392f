"""Authentication (autentisering): bearer JWTs and the ``current_user`` dependency.

Production verifies tokens against the organisation's OpenID Connect provider (issuer
and JWKS URL in settings); development and tests use an HS256 key from settings.
Claims: ``sub`` (username), ``org`` (organisation code), ``roles``. The user must
exist, be active and belong to the organisation the token names; the token's roles count
only where the user holds them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio.to_thread
import jwt
import structlog
from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException

from states.roles import Role
from workflow.accounts import Account, find_account
from workflow.clock import utcnow
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork
from workflow.settings import Settings
from workflow.tokens import signing_key

LEEWAY = 30  # seconds of clock skew allowed
VERIFIED_CACHE_SIZE = 10_000
_ROLES = frozenset(r.value for r in Role)


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The authenticated caller: one user acting for one organisation with roles."""

    user_id: int
    username: str
    organisation_id: int
    organisation_code: str
    organisation_kind: str
    roles: tuple[str, ...]

    @property
    def actor(self) -> Actor:
        """The caller as the workflow's actor."""
        return Actor(self.user_id, self.organisation_id, self.roles)


class Authenticator:
    """Verifies tokens and resolves their user, caching users for a few seconds."""

    def __init__(
        self, settings: Settings, uow: UnitOfWork, clock: Callable[[], datetime] = utcnow, user_ttl: float = 30.0
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.audience = settings.jwt_audience
        self._jwks: jwt.PyJWKClient | None = None
        if settings.oidc_jwks_url:
            self._jwks = jwt.PyJWKClient(settings.oidc_jwks_url, cache_keys=True, lifespan=300)
            self.issuer = settings.oidc_issuer or ""
            self.algorithms = ["RS256", "ES256", "PS256"]
            self._key: Any = None
        else:
            self.issuer = settings.jwt_issuer
            self.algorithms = ["HS256"]
            self._key = signing_key(settings)
        self.user_ttl = user_ttl
        self._cache: dict[str, tuple[float, Account | None]] = {}
        self._verified: dict[str, dict[str, Any]] = {}

    def claims(self, token: str) -> dict[str, Any]:
        """The token's verified claims; raise 401 for anything wrong with it.

        A token whose signature was verified is remembered (signature checks cost more than the
        rest of a request); its time claims are checked again on every request.
        """
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify(token)
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = claims
        # Time claims are checked against the application's clock (tests and replays move it).
        now = self.clock().timestamp()
        if not isinstance(claims["exp"], int | float) or claims["exp"] < now - LEEWAY:
            raise NotAuthorizedException("invalid bearer token: it has expired")
        if isinstance(claims.get("nbf"), int | float) and claims["nbf"] > now + LEEWAY:
            raise NotAuthorizedException("invalid bearer token: it is not valid yet")
        return claims

    def _verify(self, token: str) -> dict[str, Any]:
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key if self._jwks else self._key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer or None,
                options={"require": ["exp", "sub"], "verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:
            raise NotAuthorizedException(f"invalid bearer token: {exc}") from exc
        return claims

    def account(self, username: str) -> Account | None:
        """The user row behind ``username`` (cached)."""
        now = time.monotonic()
        hit = self._cache.get(username)
        if hit is not None and hit[0] > now:
            return hit[1]
        acc = find_account(self.uow, username)
        self._cache[username] = (now + self.user_ttl, acc)
        return acc

    def user(self, claims: dict[str, Any], account: Account | None) -> CurrentUser:
        """The caller from verified claims and the stored account, or 401."""
        if account is None or not account.active:
            raise NotAuthorizedException("the token's user is unknown or inactive")
        if claims.get("org") != account.organisation_code:
            raise NotAuthorizedException("the token's organisation is not the user's organisation")
        raw = claims.get("roles")
        if raw is None:
            roles = account.roles
        elif isinstance(raw, list):
            # A token may narrow the user's recorded roles, never widen them: the role register
            # is the municipality's, and the delegation order is checked against it.
            roles = tuple(r for r in raw if isinstance(r, str) and r in _ROLES and r in account.roles)
        else:
            raise NotAuthorizedException("the token's roles claim must be a list")
        return CurrentUser(
            account.user_id,
            str(claims["sub"]),
            account.organisation_id,
            account.organisation_code,
            account.organisation_kind,
            roles,
        )


def bearer(request: Request[Any, Any, Any]) -> str:
    """The bearer token of the request, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("a bearer token is required")
    return token.strip()


async def current_user(request: Request[Any, Any, Any]) -> CurrentUser:
    """Dependency: the authenticated caller (401 otherwise). Binds user and organisation to the log context."""
    auth: Authenticator = request.app.state.authenticator
    claims = auth.claims(bearer(request))
    sub = claims["sub"]
    if not isinstance(sub, str):
        raise NotAuthorizedException("the token's subject must be a username")
    hit = auth._cache.get(sub)
    if hit is not None and hit[0] > time.monotonic():
        account = hit[1]
    else:
        account = await anyio.to_thread.run_sync(auth.account, sub)
    user = auth.user(claims, account)
    structlog.contextvars.bind_contextvars(user_id=user.user_id, organisation_id=user.organisation_id)
    return user


#: The type handlers declare to receive the caller: ``user: AuthUser``.
AuthUser = NamedDependency[CurrentUser]
