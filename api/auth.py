"""Authentication (autentisering): bearer JWTs and the ``current_user`` dependency.

Production verifies tokens against the organisation's OpenID Connect provider: ``UPPF_OIDC_ISSUER`` is
required, its discovery document names the key set (:mod:`api.jwks`: kept for its lifetime, a removed key
stops working within it, an unknown ``kid`` fetches once, rate-limited). A verified token is remembered only
while its key is still published. Checked: signature, ``iss``, ``aud``, ``exp``/``nbf``/``iat`` with a
configurable leeway (``UPPF_JWT_LEEWAY_SECONDS``) and optional maximum age, ``typ: at+jwt`` (RFC 9068; on
outside development) and ``azp``/``client_id`` against ``UPPF_OIDC_ALLOWED_CLIENTS``. Development and tests
use an HS256 key from settings. A refusal is a 401 whose problem names its rule (``token_typ``, ...).

Claims (names configurable): the username (``UPPF_OIDC_USERNAME_CLAIM``, default ``preferred_username`` with
an issuer, ``sub`` for development tokens), the organisation code (``UPPF_OIDC_ORG_CLAIM``, default ``org``),
``roles``, and the identity provider's groups (``UPPF_OIDC_GROUPS_CLAIM``, default ``groups``). The user must
exist, be active and belong to the organisation the token names; the token's roles count only where the user
holds them, and role names the product does not know are reported in the log (``auth.unknown_roles``).

A client-credentials token (no username claim, or ``sub`` equal to its ``client_id``/``azp`` where the username
claim is ``sub``) acts as the integration's service
account: the user whose username is the client id and whose source is ``integration`` (an administrator
creates it); it acts for that account's organisation with its roles. Such an account never acts with a
person's token, and a client-credentials token never acts as a person.

A token with groups provisions its user from the role mapping (:mod:`workflow.admin.provisioning`)
when the database does not know the user or the user came from the identity provider before; the
organisation the groups map to then stands in for a missing organisation claim. Groups no mapping
names are reported (``auth.unknown_groups``); groups that give no access answer 401 naming them.
"""

from __future__ import annotations

import random
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

from api.jwks import KeySet, KeysUnavailable
from states.roles import Role
from workflow.accounts import Account, find_account
from workflow.admin.provisioning import Provisioned, ProvisionUser
from workflow.clock import utcnow
from workflow.engine.errors import Conflict, InvalidInput, Refused
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork
from workflow.settings import Settings
from workflow.tokens import signing_key

AT_JWT = frozenset({"at+jwt", "application/at+jwt"})
VERIFIED_CACHE_SIZE = 10_000
_ROLES = frozenset(r.value for r in Role)
log = structlog.get_logger("api.auth")

#: An account and the organisation the token's groups map to (``None`` when the groups played no part).
Resolved = tuple[Account | None, int | None]


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The authenticated caller: one user acting for one organisation with roles."""

    user_id: int
    username: str
    organisation_id: int
    organisation_code: str
    organisation_kind: str
    roles: tuple[str, ...]
    #: The header's names (from the same cached user row as the roles).
    display_name: str = ""
    organisation_name: str = ""

    @property
    def actor(self) -> Actor:
        """The caller as the workflow's actor."""
        return Actor(self.user_id, self.organisation_id, self.roles)


class Authenticator:
    """Verifies tokens and resolves their user, caching users for a few seconds."""

    def __init__(
        self,
        settings: Settings,
        uow: UnitOfWork,
        clock: Callable[[], datetime] = utcnow,
        user_ttl: float = 30.0,
        execute: Callable[[object, Actor], Any] | None = None,
        http_get: Callable[..., Any] | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.execute = execute  # the application's command runner: provisioning from groups needs it
        self.username_claim = settings.username_claim
        self.org_claim = settings.oidc_org_claim
        self.groups_claim = settings.oidc_groups_claim
        self.leeway = settings.jwt_leeway_seconds
        self.max_age = settings.jwt_max_age_seconds
        self.allowed_clients = settings.allowed_clients
        self._provisioned: dict[tuple[str, tuple[str, ...]], tuple[float, Resolved]] = {}
        self.audience = settings.jwt_audience
        self.keys: KeySet | None = None
        if settings.oidc_issuer:
            extra = {"get": http_get} if http_get is not None else {}
            self.keys = KeySet(
                settings.oidc_issuer,
                lambda: self.clock().timestamp(),
                jwks_url=settings.oidc_jwks_url,
                lifetime=settings.oidc_jwks_cache_seconds,
                refetch=settings.oidc_jwks_refetch_seconds,
                stale=settings.oidc_jwks_stale_seconds,
                **extra,
            )
            self.issuer = settings.oidc_issuer
            self.algorithms = ["RS256", "ES256", "PS256"]
            self.require_at_jwt = settings.require_at_jwt
            self._key: Any = None
        else:
            self.issuer = settings.jwt_issuer
            self.algorithms = ["HS256"]
            self.require_at_jwt = False
            self._key = signing_key(settings)
        self.user_ttl = user_ttl
        self._cache: dict[str, tuple[float, Account | None]] = {}
        # token -> (claims, kid): a verified token stays accepted only while its key is in the key set.
        self._verified: dict[str, tuple[dict[str, Any], str | None]] = {}

    def remembered(self, token: str) -> dict[str, Any] | None:
        """The claims of a token verified before, if that answer holds without fetching anything."""
        hit = self._verified.get(token)
        if hit is None or (self.keys is not None and self.keys.stale()):
            return None
        return self.checked(hit[0]) if self._key_present(hit[1]) else None

    def claims(self, token: str) -> dict[str, Any]:
        """The token's verified claims; raise 401 for anything wrong with it.

        A token whose signature was verified is remembered (signature checks cost more than the
        rest of a request) for as long as its key is in the provider's current key set; its time
        claims are checked again on every request.
        """
        hit = self._verified.get(token)
        if hit is not None and self._key_present(hit[1]):
            return self.checked(hit[0])
        claims, kid = self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (claims, kid)
        return self.checked(claims)

    def _key_present(self, kid: str | None) -> bool:
        if self.keys is None:
            return True
        try:
            return kid is not None and self.keys.holds(kid)
        except KeysUnavailable:
            return False

    def checked(self, claims: dict[str, Any]) -> dict[str, Any]:
        """``claims`` if their time claims hold now (the application's clock; tests and replays move it)."""
        now = self.clock().timestamp()
        leeway = self.leeway
        if not isinstance(claims["exp"], int | float) or claims["exp"] < now - leeway:
            raise refused("invalid bearer token: it has expired", "token_expired")
        if isinstance(claims.get("nbf"), int | float) and claims["nbf"] > now + leeway:
            raise refused("invalid bearer token: it is not valid yet", "token_not_yet_valid")
        iat = claims.get("iat")
        if iat is not None:
            if not isinstance(iat, int | float):
                raise refused("invalid bearer token: its iat is not a time", "token_iat")
            if iat > now + leeway:
                raise refused("invalid bearer token: it was issued in the future (iat)", "token_iat")
            if self.max_age is not None and iat < now - self.max_age - leeway:
                raise refused("invalid bearer token: it is older than the maximum token age", "token_max_age")
        return claims

    def _verify(self, token: str) -> tuple[dict[str, Any], str | None]:
        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            if self.keys is not None:
                if not isinstance(kid, str) or not kid:
                    raise refused("invalid bearer token: it names no key (kid)", "token_key")
                key: Any = self.keys.key(kid)
            else:
                key = self._key
            if self.require_at_jwt and str(header.get("typ", "")).lower() not in AT_JWT:
                raise refused("invalid bearer token: its typ is not at+jwt (RFC 9068)", "token_typ")
            required = ["exp", "iat", "iss", "aud"] if self.keys is not None else ["exp", "sub"]
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": required, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except KeysUnavailable as exc:
            raise refused(f"invalid bearer token: {exc}", "token_key") from exc
        except jwt.PyJWTError as exc:
            raise NotAuthorizedException(f"invalid bearer token: {exc}") from exc
        if self.keys is not None and self.allowed_clients:
            client = self.client_id(claims)
            if client is None or client not in self.allowed_clients:
                log.warning("auth.client_not_allowed")
                raise refused("invalid bearer token: its client (azp/client_id) is not allowed here", "token_client")
        return claims, kid if isinstance(kid, str) else None

    @staticmethod
    def client_id(claims: dict[str, Any]) -> str | None:
        """The client the token was issued to (RFC 9068 ``client_id``, else OIDC ``azp``)."""
        for name in ("client_id", "azp"):
            value = claims.get(name)
            if isinstance(value, str) and value:
                return value
        return None

    def remember_accounts(self, accounts: dict[str, Account], rng: random.Random | None = None) -> None:
        """Cache ``accounts`` (a worker's warm-up: :func:`workflow.accounts.active_accounts`) as if each had just been
        looked up. Each entry's lifetime ends at a random moment in the second half of the usual one, so the entries
        are looked up again one by one as they are next used, not all in the same second."""
        rng = rng or random.Random()
        now = time.monotonic()
        for username, account in accounts.items():
            self._cache[username] = (now + self.user_ttl * rng.uniform(0.5, 1.0), account)

    def account(self, username: str) -> Account | None:
        """The user row behind ``username`` (cached)."""
        now = time.monotonic()
        hit = self._cache.get(username)
        if hit is not None and hit[0] > now:
            return hit[1]
        acc = find_account(self.uow, username)
        self._cache[username] = (now + self.user_ttl, acc)
        return acc

    def integration(self, claims: dict[str, Any]) -> bool:
        """Whether the token is an integration's client-credentials token: no person in it, only a client."""
        client = self.client_id(claims)
        if self.keys is None or client is None:
            return False
        # Without the username claim; or, where the username is ``sub``, with the client as its subject (RFC 9068).
        return self.username_claim not in claims or (self.username_claim == "sub" and claims.get("sub") == client)

    def username(self, claims: dict[str, Any]) -> str:
        """The username the token names (the configured claim; an integration's client id), or 401."""
        name = self.client_id(claims) if self.integration(claims) else claims.get(self.username_claim)
        if not isinstance(name, str) or not name:
            raise NotAuthorizedException(f"the token's {self.username_claim} claim must be a username")
        return name

    def groups(self, claims: dict[str, Any]) -> tuple[str, ...] | None:
        """The token's identity-provider groups, sorted; ``None`` if it carries none."""
        raw = claims.get(self.groups_claim)
        if raw is None:
            return None
        if not isinstance(raw, list) or not all(isinstance(g, str) for g in raw):
            raise NotAuthorizedException(f"the token's {self.groups_claim} claim must be a list of group names")
        return tuple(sorted(set(raw)))

    def cached(self, username: str, claims: dict[str, Any]) -> Resolved | None:
        """What :meth:`resolve` answered for these claims a moment ago, if it is still fresh."""
        now = time.monotonic()
        groups = self.groups(claims)
        if groups is not None and self.execute is not None:
            hit = self._provisioned.get((username, groups))
            if hit is not None and hit[0] > now:
                return hit[1]
        user = self._cache.get(username)
        if user is not None and user[0] > now and (groups is None or self.execute is None or _manual(user[1])):
            return user[1], None
        return None

    def resolve(self, username: str, claims: dict[str, Any]) -> Resolved:
        """The account of ``username``, provisioned from the claims' groups where the mapping says so.

        Users an administrator created are never changed by groups (their token must name their organisation).
        """
        groups = self.groups(claims)
        account = self.account(username)
        if groups is None or self.execute is None or _manual(account) or self.integration(claims):
            return account, None
        display = claims.get("name")
        email = claims.get("email")
        command = ProvisionUser(
            username, groups, display if isinstance(display, str) else "", email if isinstance(email, str) else ""
        )
        try:
            try:
                result: Provisioned = self.execute(command, Actor.system(0))
            except Conflict:  # another request provisioned the same user at the same moment: it exists now
                result = self.execute(command, Actor.system(0))
        except (Refused, InvalidInput) as exc:
            log.warning("auth.groups_refused", rule=exc.context.get("rule", exc.code), groups=list(groups))
            raise NotAuthorizedException(f"the token's groups give no access here: {exc.message}") from exc
        if result.resolution.unknown:
            log.warning("auth.unknown_groups", groups=list(result.resolution.unknown))
        if result.changed:
            self._cache.pop(username, None)
            account = self.account(username)
        resolved: Resolved = (account, result.resolution.organisation_id)
        self._provisioned[(username, groups)] = (time.monotonic() + self.user_ttl, resolved)
        return resolved

    def user(
        self, claims: dict[str, Any], account: Account | None, groups_organisation: int | None = None
    ) -> CurrentUser:
        """The caller from verified claims and the stored account, or 401."""
        if account is None or not account.active:
            raise NotAuthorizedException("the token's user is unknown or inactive")
        integration = self.integration(claims)
        if integration != (account.source == "integration"):
            log.warning("auth.integration_mismatch", integration_token=integration)
            raise refused(
                "an integration's account acts only with its client-credentials tokens, and such a token only as one",
                "integration_account",
            )
        org = claims.get(self.org_claim)
        if org is None and integration:
            pass  # the integration acts for the organisation its account belongs to
        elif org is None and groups_organisation is not None:
            if groups_organisation != account.organisation_id:
                raise NotAuthorizedException("the token's groups do not map to the user's organisation")
        elif org != account.organisation_code:
            raise NotAuthorizedException("the token's organisation is not the user's organisation")
        raw = claims.get("roles")
        if raw is None:
            roles = account.roles
        elif isinstance(raw, list):
            # A token may narrow the user's recorded roles, never widen them: the role register
            # is the municipality's, and the delegation order is checked against it.
            unknown = sorted({str(r) for r in raw if not (isinstance(r, str) and r in _ROLES)})
            if unknown:
                log.warning("auth.unknown_roles", roles=unknown[:20])
            roles = tuple(r for r in raw if isinstance(r, str) and r in _ROLES and r in account.roles)
        else:
            raise NotAuthorizedException("the token's roles claim must be a list")
        return CurrentUser(
            account.user_id,
            self.username(claims),
            account.organisation_id,
            account.organisation_code,
            account.organisation_kind,
            roles,
            account.display_name,
            account.organisation_name,
        )


def refused(detail: str, rule: str) -> NotAuthorizedException:
    """A 401 whose problem names the rule that refused the token (``token_typ``, ``token_client``, …)."""
    return NotAuthorizedException(detail, extra={"rule": rule})


def _manual(account: Account | None) -> bool:
    return account is not None and account.source != "idp"


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
    token = bearer(request)
    claims = auth.remembered(token)
    if claims is None:  # verifying may fetch the provider's keys: not on the event loop
        claims = await anyio.to_thread.run_sync(auth.claims, token)
    username = auth.username(claims)
    resolved = auth.cached(username, claims)
    if resolved is None:
        resolved = await anyio.to_thread.run_sync(auth.resolve, username, claims)
    user = auth.user(claims, *resolved)
    structlog.contextvars.bind_contextvars(user_id=user.user_id, organisation_id=user.organisation_id)
    return user


#: The type handlers declare to receive the caller: ``user: AuthUser``.
AuthUser = NamedDependency[CurrentUser]
