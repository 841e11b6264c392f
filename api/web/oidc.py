"""Production sign-in (inloggning): OpenID Connect authorization code with PKCE, against the API's issuer.

The organisation's identity provider signs the user in; the ID token's ``preferred_username``
(configurable) names the user row, whose organisation and roles then apply exactly as for
the API. Configuration, besides ``UPPF_OIDC_ISSUER`` which the API uses too::

    UPPF_OIDC_CLIENT_ID, UPPF_OIDC_CLIENT_SECRET (empty for a public client),
    UPPF_OIDC_REDIRECT_URI (default: this site's /logga-in/oidc), UPPF_OIDC_USERNAME_CLAIM

Authlib builds the authorization request (state, nonce, S256 code challenge) and redeems the
code; PyJWT checks the ID token's signature against the issuer's keys (held as the API holds them,
:mod:`api.jwks`), its issuer, audience, expiry (leeway ``UPPF_JWT_LEEWAY_SECONDS``) and nonce. A username
the ID token does not carry is read from UserInfo (same ``sub``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.jwks import KeySet, KeysUnavailable

DISCOVERY_TTL = 3600.0
ALGORITHMS = ["RS256", "ES256", "PS256"]


class OidcSettings(BaseSettings):
    """The staff pages' OpenID Connect client (``UPPF_OIDC_*``)."""

    model_config = SettingsConfigDict(env_prefix="UPPF_OIDC_", env_file=".env", extra="ignore")

    issuer: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    redirect_uri: str | None = None
    username_claim: str = "preferred_username"
    scope: str = "openid profile"
    # The clock skew allowed on the ID token, the same setting as the API's.
    leeway: float = Field(default=30.0, ge=0, validation_alias=AliasChoices("UPPF_JWT_LEEWAY_SECONDS", "leeway"))

    @property
    def enabled(self) -> bool:
        """Whether sign-in through the identity provider is configured."""
        return bool(self.issuer and self.client_id)


class SignInFailed(Exception):
    """The identity provider's answer could not be accepted (never shown in detail to the user)."""


@dataclass(frozen=True, slots=True)
class Started:
    """An authorization request: where to send the browser, and what the session must remember."""

    url: str
    state: str
    nonce: str
    verifier: str


class OidcClient:
    """Talks to one issuer: discovery (cached), the authorization URL, the code exchange, the ID token check."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._jwks: KeySet | None = None

    def discovery(self) -> dict[str, Any]:
        """The issuer's OpenID configuration (fetched at most once an hour)."""
        now = time.monotonic()
        if self._discovery is None or self._discovery[0] < now:
            issuer = (self.settings.issuer or "").rstrip("/")
            res = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
            res.raise_for_status()
            doc: dict[str, Any] = res.json()
            if doc.get("issuer", "").rstrip("/") != issuer:
                raise SignInFailed("the discovery document names another issuer")
            self._discovery = (now + DISCOVERY_TTL, doc)
            if self._jwks is None or self._jwks.jwks_url != doc["jwks_uri"]:  # as the API: lifetime, removal, rotation
                self._jwks = KeySet(issuer, time.time, jwks_url=doc["jwks_uri"])
        return self._discovery[1]

    def _client(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret or None,
            token_endpoint_auth_method="client_secret_basic" if self.settings.client_secret else "none",
            scope=self.settings.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            default_timeout=10,
        )

    def start(self, redirect_uri: str) -> Started:
        """A new authorization request with its own state, nonce and PKCE verifier."""
        verifier, nonce = generate_token(64), generate_token(32)
        with self._client(redirect_uri) as client:
            url, state = client.create_authorization_url(
                self.discovery()["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )
        return Started(url, state, nonce, verifier)

    def finish(self, redirect_uri: str, code: str, verifier: str, nonce: str) -> dict[str, Any]:
        """Redeem ``code`` and return the verified ID token's claims."""
        doc = self.discovery()
        try:
            with self._client(redirect_uri) as client:
                token = client.fetch_token(
                    doc["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=verifier
                )
        except Exception as exc:  # the provider refused or did not answer
            raise SignInFailed(f"the code could not be redeemed: {type(exc).__name__}") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed("the token response holds no ID token")
        assert self._jwks is not None
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
            key = self._jwks.key(str(kid or ""))
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=ALGORITHMS,
                audience=self.settings.client_id,
                issuer=doc["issuer"],
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
                leeway=self.settings.leeway,
            )
        except (jwt.PyJWTError, KeysUnavailable) as exc:
            raise SignInFailed(f"the ID token is not valid: {exc}") from exc
        if claims.get("nonce") != nonce:
            raise SignInFailed("the ID token's nonce is not this sign-in's")
        if self.settings.username_claim not in claims:
            claims = {**self._userinfo(doc, token, str(claims["sub"])), **claims}
        return claims

    def _userinfo(self, doc: dict[str, Any], token: dict[str, Any], sub: str) -> dict[str, Any]:
        """The UserInfo claims (providers that keep profile claims out of the ID token); ``sub`` must match."""
        endpoint, access = doc.get("userinfo_endpoint"), token.get("access_token")
        if not endpoint or not access:
            return {}
        res = httpx.get(endpoint, headers={"Authorization": f"Bearer {access}"}, timeout=10)
        if res.status_code != 200:
            raise SignInFailed(f"the UserInfo endpoint answered {res.status_code}")
        info: dict[str, Any] = res.json()
        if info.get("sub") != sub:
            raise SignInFailed("the UserInfo answer is about another subject")
        return info
