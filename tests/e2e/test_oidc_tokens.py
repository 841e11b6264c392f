"""Production tokens from the organisation's OpenID Connect provider: discovery, the key set's lifetime,
the checks of iss, aud, typ, iat, azp and the leeway (a small provider stand-in on loopback; the real
provider's run is in ``test_oidc_provider.py``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar.testing import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.jwks import max_age
from tests.world import Clock, build_world
from workflow.bootstrap import bootstrap
from workflow.settings import _DEV_SECRET, Settings

pytestmark = pytest.mark.e2e
#: The token checks do not depend on the database: those tests run on one (the user lookup runs on both).
ONE_DB = pytest.mark.only_on("sqlite")

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NEW_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "use": "sig", "alg": "RS256"}


@dataclass
class Idp:
    """The provider stand-in: what it publishes can be changed between requests."""

    url: str = ""
    keys: list[dict[str, Any]] = field(default_factory=lambda: [_jwk(KEY, "k1")])
    discovery_issuer: str | None = None
    cache_control: str | None = None
    jwks_fetches: int = 0
    failing: bool = False


@pytest.fixture(scope="module")
def server() -> Iterator[Idp]:
    state = Idp()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                body = {"issuer": state.discovery_issuer or state.url, "jwks_uri": f"{state.url}/keys"}
            elif self.path == "/keys":
                state.jwks_fetches += 1
                if state.failing:
                    self.send_error(503)
                    return
                body = {"keys": state.keys}
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if state.cache_control and self.path == "/keys":
                self.send_header("Cache-Control", state.cache_control)
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()


@pytest.fixture
def idp(server: Idp) -> Idp:
    """The stand-in as each test starts: key k1, the right issuer, no Cache-Control."""
    server.keys, server.discovery_issuer, server.cache_control = [_jwk(KEY, "k1")], None, None
    server.jwks_fetches, server.failing = 0, False
    return server


def _token(idp: Idp, clock: Clock, key: Any = KEY, kid: str = "k1", typ: str = "at+jwt", **claims: Any) -> str:
    now = clock()
    base = {
        "iss": idp.url,
        "aud": "uppfoljning",
        "sub": "00000000-opaque-subject",
        "preferred_username": "north.contract_strategist",
        "client_id": "uppfoljning",
        "org": "NORTH",
        "roles": ["contract_strategist"],
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    return jwt.encode({**base, **claims}, key, algorithm="RS256", headers={"kid": kid, "typ": typ})


@dataclass
class Api:
    client: TestClient[Any]
    clock: Clock
    idp: Idp

    def status(self, token: str) -> int:
        return self.client.get("/cases", headers={"Authorization": f"Bearer {token}"}).status_code

    def rule(self, token: str) -> object:
        """The rule a 401 names."""
        res = self.client.get("/cases", headers={"Authorization": f"Bearer {token}"})
        assert res.status_code == 401, res.text
        return res.json().get("rule")

    def token(self, **kw: Any) -> str:
        return _token(self.idp, self.clock, **kw)


@pytest.fixture
def production(engine: Engine, idp: Idp, request: pytest.FixtureRequest) -> Iterator[Api]:
    clock = Clock()
    build_world(engine, clock)
    overrides: dict[str, Any] = getattr(request, "param", {})
    settings = Settings(
        environment="production",
        oidc_issuer=idp.url,
        audit_key="k" * 40,
        oidc_allowed_clients="uppfoljning,ekonomisystem",
        **overrides,
    )
    with TestClient(create_app(bootstrap(settings, engine, clock))) as client:
        yield Api(client, clock, idp)


def test_tokens_are_checked_against_the_keys_the_issuers_discovery_document_names(production: Api) -> None:
    assert production.status(production.token()) == 200
    assert production.status(production.token(key=OTHER_KEY)) == 401
    assert production.status(production.token(iss="https://evil.test")) == 401
    assert production.status(production.token(aud="another-app")) == 401
    assert production.status(production.token(org="SOUTH")) == 401
    hs = jwt.encode({"sub": "north.contract_strategist", "org": "NORTH", "exp": 9999999999}, "k" * 40, "HS256")
    assert production.status(hs) == 401


@ONE_DB
def test_the_username_is_the_preferred_username_claim_not_the_opaque_sub(production: Api) -> None:
    assert production.status(production.token(sub="north.contract_strategist", preferred_username="nobody")) == 401
    without = production.token()
    assert production.status(without) == 200


@ONE_DB
def test_a_discovery_document_naming_another_issuer_refuses_every_token(production: Api) -> None:
    production.idp.discovery_issuer = "https://evil.test"
    assert production.status(production.token()) == 401
    assert production.idp.jwks_fetches == 0


def test_production_refuses_to_start_with_a_key_set_and_no_issuer(engine: Engine, idp: Idp) -> None:
    settings = Settings(environment="production", oidc_jwks_url=f"{idp.url}/keys", audit_key="k" * 40)
    with pytest.raises(RuntimeError, match="UPPF_OIDC_ISSUER"):
        create_app(bootstrap(settings, engine))


def test_outside_development_a_placeholder_secret_is_refused(engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="UPPF_JWT_SECRET"):
        create_app(bootstrap(Settings(environment="production", jwt_secret=_DEV_SECRET, oidc_jwks_url=None), engine))


@ONE_DB
def test_an_access_token_must_say_typ_at_jwt_in_production(production: Api) -> None:
    assert production.rule(production.token(typ="JWT")) == "token_typ"
    assert production.status(production.token(typ="application/at+jwt")) == 200


@ONE_DB
@pytest.mark.parametrize("production", [{"oidc_require_at_jwt": False}], indirect=True)
def test_the_typ_check_can_be_turned_off(production: Api) -> None:
    assert production.status(production.token(typ="JWT")) == 200


@ONE_DB
def test_a_token_issued_in_the_future_beyond_the_leeway_is_refused(production: Api) -> None:
    now = int(production.clock().timestamp())
    assert production.status(production.token(iat=now + 25)) == 200  # default leeway: 30 s
    assert production.rule(production.token(iat=now + 40)) == "token_iat"
    assert production.status(production.token(iat="yesterday")) == 401


@ONE_DB
@pytest.mark.parametrize("production", [{"jwt_leeway_seconds": 5, "jwt_max_age_seconds": 3600}], indirect=True)
def test_the_leeway_and_the_maximum_age_are_settings(production: Api) -> None:
    now = int(production.clock().timestamp())
    assert production.status(production.token(iat=now + 4)) == 200
    assert production.status(production.token(iat=now + 10)) == 401
    assert production.status(production.token(exp=now - 4)) == 200
    assert production.status(production.token(exp=now - 10)) == 401
    old = production.token(iat=now - 3000, exp=now + 3600)
    assert production.status(old) == 200
    production.clock.advance(seconds=700)  # the token is now older than an hour (and still unexpired)
    assert production.rule(old) == "token_max_age"


@ONE_DB
def test_a_token_for_a_client_not_allowed_is_refused(production: Api) -> None:
    assert production.rule(production.token(client_id="stranger")) == "token_client"
    no_client = production.token(client_id=None)
    assert production.status(no_client) == 401
    assert production.status(production.token(client_id=None, azp="uppfoljning")) == 200


@ONE_DB
def test_a_removed_key_stops_working_within_the_lifetime_and_so_do_tokens_verified_with_it(production: Api) -> None:
    token = production.token()
    assert production.status(token) == 200
    production.idp.keys = [_jwk(NEW_KEY, "k2")]
    production.clock.advance(seconds=299)
    assert production.status(token) == 200  # the key set is still within its lifetime
    production.clock.advance(seconds=2)
    assert production.rule(token) == "token_key"  # the verified token went with its key
    assert production.status(production.token(key=NEW_KEY, kid="k2")) == 200


@ONE_DB
def test_a_rotated_key_is_fetched_once_and_unknown_kids_never_fetch_per_request(production: Api) -> None:
    assert production.status(production.token()) == 200
    assert production.idp.jwks_fetches == 1
    production.idp.keys = [_jwk(NEW_KEY, "k2"), _jwk(KEY, "k1")]
    production.clock.advance(seconds=31)
    assert production.status(production.token(key=NEW_KEY, kid="k2")) == 200  # unknown kid: one refetch
    assert production.idp.jwks_fetches == 2
    forged = [production.status(production.token(key=OTHER_KEY, kid=f"forged-{i}")) for i in range(20)]
    assert forged == [401] * 20
    assert production.idp.jwks_fetches == 2  # within the refetch pause: no fetch at all
    production.clock.advance(seconds=31)
    assert production.status(production.token(key=OTHER_KEY, kid="forged-late")) == 401
    assert production.idp.jwks_fetches == 3


@ONE_DB
@pytest.mark.parametrize("production", [{"oidc_jwks_stale_seconds": 0}], indirect=True)
def test_with_no_grace_a_key_set_that_cannot_be_fetched_refuses_tokens_and_is_retried_after_the_pause(
    production: Api,
) -> None:
    token = production.token(exp=int(production.clock().timestamp()) + 3600)
    assert production.status(token) == 200
    production.idp.failing = True
    production.clock.advance(seconds=301)
    assert [production.rule(token) for _ in range(5)] == ["token_key"] * 5
    assert production.idp.jwks_fetches == 2  # one failed fetch, not one per request
    production.idp.failing = False
    production.clock.advance(seconds=31)
    assert production.status(token) == 200
    assert production.idp.jwks_fetches == 3


@ONE_DB
def test_a_provider_outage_keeps_the_last_key_set_for_the_grace_then_fails_closed(production: Api) -> None:
    token = production.token(exp=int(production.clock().timestamp()) + 7200)
    assert production.status(token) == 200
    production.idp.failing = True
    production.clock.advance(seconds=301)  # the key set's lifetime is over and the provider answers 503
    assert [production.status(token) for _ in range(5)] == [200] * 5  # the last known good keys still verify
    assert production.idp.jwks_fetches == 2  # one failed fetch, then the refetch pause
    production.clock.advance(seconds=3600)  # past lifetime + grace (300 + 3600 s after the last good fetch)
    assert production.rule(token) == "token_key"
    production.idp.failing = False
    production.clock.advance(seconds=31)
    assert production.status(token) == 200


@ONE_DB
def test_a_key_the_provider_removed_stops_working_even_with_a_grace_for_outages(production: Api) -> None:
    token = production.token()
    assert production.status(token) == 200
    production.idp.keys = [_jwk(NEW_KEY, "k2")]  # the provider answers: the grace is only for no answer
    production.clock.advance(seconds=301)
    assert production.rule(token) == "token_key"


@ONE_DB
def test_a_shorter_cache_control_max_age_is_honoured(production: Api) -> None:
    production.idp.cache_control = "public, max-age=60"
    token = production.token()
    assert production.status(token) == 200
    production.idp.keys = []
    production.clock.advance(seconds=61)
    assert production.status(token) == 401


def test_simple_cache_control_headers_are_read() -> None:
    assert max_age("public, max-age=120") == 120
    assert max_age("max-age=0") == 0
    assert max_age("no-store") == 0
    assert max_age("private") is None
    assert max_age(None) is None
    assert max_age("max-age=abc") is None


@ONE_DB
def test_unknown_role_names_in_a_token_are_reported(production: Api) -> None:
    with structlog.testing.capture_logs() as logs:
        token = production.token(roles=["contract_strategist", "astrologer"])
        assert production.status(token) == 200
    unknown = [e for e in logs if e["event"] == "auth.unknown_roles"]
    assert unknown and unknown[0]["roles"] == ["astrologer"] and unknown[0]["log_level"] == "warning"
