"""The identity provider's signing keys (nycklar): discovery, a key set with a lifetime, rotation.

The issuer's ``/.well-known/openid-configuration`` names the key set (``jwks_uri``) and must name the
configured issuer itself. The key set is kept for ``UPPF_OIDC_JWKS_CACHE_SECONDS`` (or the provider's
shorter ``Cache-Control: max-age``) and then fetched again, so a key the provider removed stops working
within that lifetime. A token naming a key the set does not hold (the provider rotated its keys) fetches
the set once more, at most every ``UPPF_OIDC_JWKS_REFETCH_SECONDS``: forged ``kid`` values cannot make
every request a fetch. A fetch that fails (the provider unreachable or answering an error) keeps the last key
set the provider gave for ``UPPF_OIDC_JWKS_STALE_SECONDS`` past its lifetime (last known good, as the big
identity libraries do), so a provider outage does not sign every user out; after that, or with 0, it fails
closed. Either way it is retried after the refetch pause. A key set the provider does give always replaces the
old one, so a removed key stops working on the next successful fetch.

Time is the application's clock (seconds), so tests drive the lifetime.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import structlog

log = structlog.get_logger("api.jwks")
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)\s*(?:,|$)", re.IGNORECASE)
DISCOVERY_SECONDS = 3600.0


class KeysUnavailable(Exception):
    """The provider's discovery document or key set could not be fetched or is not acceptable."""


def max_age(cache_control: str | None) -> float | None:
    """The ``max-age`` of a simple Cache-Control header (``no-store``/``no-cache`` count as 0), else ``None``."""
    if not cache_control:
        return None
    lowered = cache_control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return 0.0
    found = _MAX_AGE.search(lowered)
    return float(found.group(1)) if found else None


class KeySet:
    """One issuer's keys by ``kid``, refreshed on their lifetime; thread-safe."""

    def __init__(
        self,
        issuer: str,
        now: Callable[[], float],
        *,
        jwks_url: str | None = None,
        lifetime: float = 300.0,
        refetch: float = 30.0,
        stale: float = 0.0,
        get: Callable[..., httpx.Response] = httpx.get,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.now = now
        self.jwks_url = jwks_url
        self.lifetime = lifetime
        self.refetch = refetch
        self.stale_grace = stale
        self._get = get
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._expires = float("-inf")
        self._fetched = float("-inf")
        self._good_until = float("-inf")  # the last key set fetched may stand in for a failed fetch until then
        self._discovered: tuple[float, str] | None = None
        self.fetches = 0  #: how many times the key set was fetched (tests and metrics read it)

    def stale(self) -> bool:
        """Whether the next look-up has to fetch (callers move that off the event loop)."""
        return self.now() >= self._expires

    def holds(self, kid: str) -> bool:
        """Whether ``kid`` is in the current key set (fetched again when its lifetime is over)."""
        with self._lock:
            self._fresh()
            return kid in self._keys

    def key(self, kid: str) -> jwt.PyJWK:
        """The key ``kid``; an unknown one fetches the set once more (rate-limited), else raises."""
        with self._lock:
            self._fresh()
            found = self._keys.get(kid)
            if found is None and self.now() >= self._fetched + self.refetch:
                log.info("auth.jwks_unknown_kid_refetch")
                self._fetch()
                found = self._keys.get(kid)
            if found is None:
                raise KeysUnavailable("the token's key is not in the identity provider's key set")
            return found

    def _fresh(self) -> None:
        if self.now() >= self._expires:
            self._fetch()

    def _jwks_uri(self) -> str:
        if self.jwks_url:
            self.discover()  # the issuer check holds even where the key set's address is configured
            return self.jwks_url
        return self.discover()

    def discover(self) -> str:
        """The key set's address from the issuer's discovery document, whose ``issuer`` must be ours."""
        now = self.now()
        if self._discovered is not None and self._discovered[0] > now:
            return self._discovered[1]
        try:
            res = self._get(f"{self.issuer}/.well-known/openid-configuration", timeout=10)
            res.raise_for_status()
            doc: dict[str, Any] = res.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise KeysUnavailable(f"the discovery document could not be fetched: {type(exc).__name__}") from exc
        if str(doc.get("issuer", "")).rstrip("/") != self.issuer:
            log.warning("auth.discovery_issuer_mismatch")
            raise KeysUnavailable("the discovery document names another issuer")
        uri = doc.get("jwks_uri")
        if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
            raise KeysUnavailable("the discovery document names no key set")
        self._discovered = (now + DISCOVERY_SECONDS, uri)
        return uri

    def _fetch(self) -> None:
        now = self.now()
        self._fetched = now
        self.fetches += 1
        try:
            res = self._get(self._jwks_uri(), timeout=10)
            res.raise_for_status()
            body = res.json()
            keys: dict[str, jwt.PyJWK] = {}
            for raw in body.get("keys", []):
                if not isinstance(raw, dict) or raw.get("use", "sig") != "sig" or not raw.get("kid"):
                    continue
                try:
                    keys[str(raw["kid"])] = jwt.PyJWK(raw)
                except jwt.PyJWTError:
                    continue  # a key type or algorithm PyJWT does not know: not ours to use
        except (httpx.HTTPError, ValueError, AttributeError, KeysUnavailable) as exc:
            self._expires = now + min(self.refetch, self.lifetime)  # retried after a pause
            if self._keys and now < self._good_until:
                log.warning("auth.jwks_unavailable_last_known_good", error=type(exc).__name__)
                return
            self._keys = {}
            log.warning("auth.jwks_unavailable", error=type(exc).__name__)
            raise KeysUnavailable(f"the identity provider's key set could not be fetched: {exc}") from exc
        lifetime = self.lifetime
        advertised = max_age(res.headers.get("cache-control"))
        if advertised is not None:  # shorter only, and never a fetch per request
            lifetime = max(min(lifetime, advertised), min(self.refetch, lifetime))
        self._keys, self._expires = keys, now + lifetime
        self._good_until = now + lifetime + self.stale_grace
