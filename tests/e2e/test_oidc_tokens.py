"""Production tokens: RS256 from the organisation's OpenID Connect provider, checked against its JWKS."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar.testing import TestClient
from sqlalchemy import Engine

from api.app import create_app
from tests.world import Clock, build_world
from workflow.bootstrap import bootstrap
from workflow.settings import _DEV_SECRET, Settings

pytestmark = pytest.mark.e2e

ISSUER = "https://idp.kommun.test"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()


def _token(key: Any, clock: Clock, **claims: Any) -> str:
    now = clock()
    base = {
        "iss": ISSUER,
        "aud": "uppfoljning",
        "sub": "north.contract_strategist",
        "org": "NORTH",
        "roles": ["contract_strategist"],
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    return jwt.encode({**base, **claims}, key, algorithm="RS256", headers={"kid": "k1"})


def test_tokens_are_checked_against_the_providers_keys(engine: Engine, jwks_url: str) -> None:
    clock = Clock()
    build_world(engine, clock)
    settings = Settings(environment="production", oidc_jwks_url=jwks_url, oidc_issuer=ISSUER)
    with TestClient(create_app(bootstrap(settings, engine, clock))) as client:

        def status(token: str) -> int:
            return client.get("/cases", headers={"Authorization": f"Bearer {token}"}).status_code

        assert status(_token(KEY, clock)) == 200
        assert status(_token(OTHER_KEY, clock)) == 401
        assert status(_token(KEY, clock, iss="https://evil.test")) == 401
        assert status(_token(KEY, clock, aud="another-app")) == 401
        assert status(_token(KEY, clock, org="SOUTH")) == 401
        hs = jwt.encode({"sub": "north.contract_strategist", "org": "NORTH", "exp": 9999999999}, "k" * 40, "HS256")
        assert status(hs) == 401


def test_outside_development_a_placeholder_secret_is_refused(engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="UPPF_JWT_SECRET"):
        create_app(bootstrap(Settings(environment="production", jwt_secret=_DEV_SECRET, oidc_jwks_url=None), engine))
