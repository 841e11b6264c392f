"""Tokens from a real OpenID provider (npm ``oidc-provider`` on loopback, ``tests/web/oidc/``): discovery,
another issuer, key rotation and removal, RFC 9068 access tokens (typ at+jwt) from the client-credentials
grant acting as their integration's own user, iat and the leeway, allowed clients, unknown roles."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar.testing import TestClient
from sqlalchemy import Engine, select

from api.app import create_app
from tests.web.browser import free_port, node_for_provider, openid_provider
from tests.world import Clock, World, build_world
from workflow.admin.commands import CreateUser
from workflow.bootstrap import bootstrap
from workflow.schema.tables import EVENT, USER
from workflow.settings import Settings

pytestmark = pytest.mark.e2e
#: The token checks do not depend on the database: those tests run on one; the integration user runs on both.
ONE_DB = pytest.mark.only_on("sqlite")

SECRET = "test-client-secret-not-for-production"


def _private_jwk(kid: str) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key)), "kid": kid, "use": "sig", "alg": "RS256"}


class Idp:
    """One provider process; :meth:`restart` runs it again with another key set (rotation, removal)."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder, self.name = folder, name
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._stack = ExitStack()

    def restart(self, keys: list[dict[str, Any]]) -> None:
        self._stack.close()
        self._stack = ExitStack()
        path = self.folder / f"{self.name}-{'-'.join(k['kid'] for k in keys)}.json"
        path.write_text(json.dumps({"keys": keys}))
        self._stack.enter_context(openid_provider(self.port, f"{self.issuer}/cb", path))

    def token(self, client: str) -> str:
        res = httpx.post(
            f"{self.issuer}/token", data={"grant_type": "client_credentials", "scope": "api"}, auth=(client, SECRET)
        )
        assert res.status_code == 200, res.text
        value: str = res.json()["access_token"]
        return value

    def close(self) -> None:
        self._stack.close()


KEY_A, KEY_B, KEY_ELSEWHERE = _private_jwk("a"), _private_jwk("b"), _private_jwk("a")


@pytest.fixture(scope="module")
def idps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Idp, Idp]]:
    node_for_provider()
    folder = tmp_path_factory.mktemp("idp")
    ours, other = Idp(folder, "ours"), Idp(folder, "other")
    try:
        ours.restart([KEY_A])
        other.restart([KEY_ELSEWHERE])  # another issuer, whose key even has our key's kid
        yield ours, other
    finally:
        ours.close()
        other.close()


class Api:
    def __init__(self, client: TestClient[Any], world: World, clock: Clock) -> None:
        self.client, self.world, self.clock = client, world, clock

    def status(self, token: str) -> int:
        return self.client.get("/cases", headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.fixture
def production(engine: Engine, idps: tuple[Idp, Idp]) -> Iterator[Callable[..., Api]]:
    """An application trusting our provider; the integrations have service accounts made by an administrator."""
    stack = ExitStack()
    clock = Clock(datetime.now(UTC))
    world = build_world(engine, clock)
    accounts: list[str] = []

    def start(clock_offset: float = 0.0, **overrides: Any) -> Api:
        clock.now = datetime.now(UTC) + timedelta(seconds=clock_offset)
        defaults: dict[str, Any] = {
            "environment": "production",
            "oidc_issuer": idps[0].issuer,
            "audit_key": "k" * 40,
            "oidc_allowed_clients": "uppfoljning,ekonomisystem,legacy-integration",
            "oidc_jwks_cache_seconds": 60,
            "oidc_jwks_refetch_seconds": 5,
        }
        application = bootstrap(Settings(**{**defaults, **overrides}), engine, clock)
        if not accounts:  # "stranger" is a person's account that happens to bear a client's name
            admin = world.actor("NORTH", "administrator")
            for name in ("ekonomisystem", "legacy-integration", "stranger"):
                org, roles = world.orgs["NORTH"], ("contract_strategist",)
                command = CreateUser(name, name, "it@north.test", org, roles, integration=name != "stranger")
                accounts.append(application.execute(command, admin)["username"])
        client = stack.enter_context(TestClient(create_app(application)))
        return Api(client, world, clock)

    yield start
    stack.close()


def test_the_keys_are_discovered_and_a_client_credentials_token_acts_as_its_integration_user(
    production: Callable[..., Api], idps: tuple[Idp, Idp]
) -> None:
    api = production()
    token = idps[0].token("ekonomisystem")
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    assert "preferred_username" not in jwt.decode(token, options={"verify_signature": False})
    body = {"case_type": "complaint", "kind": "relative", "reason": "from the finance system"}
    opened = api.client.post(
        "/cases",
        headers={"Authorization": f"Bearer {token}"},
        json={**body, "agreement_id": api.world.agreements["north_calloff"]},
    )
    assert opened.status_code == 201, opened.text
    with api.world.engine.connect() as conn:
        actor = conn.execute(select(EVENT.c.actor_id).where(EVENT.c.case_id == opened.json()["id"])).scalar_one()
        who = conn.execute(select(USER.c.username, USER.c.source).where(USER.c.id == actor)).one()
    assert tuple(who) == ("ekonomisystem", "integration")


@ONE_DB
def test_a_client_credentials_token_never_acts_as_a_person_and_needs_an_allowed_client(
    production: Callable[..., Api], idps: tuple[Idp, Idp]
) -> None:
    api = production(oidc_allowed_clients="uppfoljning,ekonomisystem,stranger")
    assert api.status(idps[0].token("stranger")) == 401  # "stranger" is a person's account, not an integration's
    api = production()
    assert api.status(idps[0].token("stranger")) == 401  # and its client is not allowed


@ONE_DB
def test_where_the_username_claim_is_sub_a_token_whose_subject_is_its_client_is_the_integrations(
    production: Callable[..., Api], idps: tuple[Idp, Idp]
) -> None:
    assert production(oidc_username_claim="sub").status(idps[0].token("ekonomisystem")) == 200


@ONE_DB
def test_a_token_from_another_issuer_is_refused(production: Callable[..., Api], idps: tuple[Idp, Idp]) -> None:
    api = production()
    assert api.status(idps[0].token("ekonomisystem")) == 200
    assert api.status(idps[1].token("ekonomisystem")) == 401


@ONE_DB
def test_a_token_that_does_not_say_at_jwt_is_refused(production: Callable[..., Api], idps: tuple[Idp, Idp]) -> None:
    token = idps[0].token("legacy-integration")
    assert jwt.get_unverified_header(token)["typ"] == "JWT"
    assert production().status(token) == 401
    assert production(oidc_require_at_jwt=False).status(token) == 200  # the typ alone refused it


@ONE_DB
def test_iat_in_the_future_is_refused_beyond_the_leeway(production: Callable[..., Api], idps: tuple[Idp, Idp]) -> None:
    token = idps[0].token("ekonomisystem")
    assert production(clock_offset=-20).status(token) == 200  # our clock 20 s behind the provider's: within 30 s
    assert production(clock_offset=-60).status(token) == 401
    assert production(clock_offset=-60, jwt_leeway_seconds=90).status(token) == 200


@ONE_DB
def test_unknown_role_names_are_reported(production: Callable[..., Api], idps: tuple[Idp, Idp]) -> None:
    api = production()
    with structlog.testing.capture_logs() as logs:
        assert api.status(idps[0].token("ekonomisystem")) == 200
    assert [e["roles"] for e in logs if e["event"] == "auth.unknown_roles"] == [["astrologer"]]


@ONE_DB
def test_a_rotated_key_is_picked_up_and_a_removed_key_stops_working_within_the_lifetime(
    production: Callable[..., Api], idps: tuple[Idp, Idp]
) -> None:
    ours = idps[0]
    api = production()
    old = ours.token("ekonomisystem")
    assert api.status(old) == 200
    try:
        ours.restart([KEY_B, KEY_A])  # rotation: the provider signs with b and still publishes a
        new = ours.token("ekonomisystem")
        assert jwt.get_unverified_header(new)["kid"] == "b"
        api.clock.advance(seconds=6)  # past the refetch pause
        assert api.status(new) == 200  # the unknown kid fetched the key set once
        assert api.status(old) == 200
        ours.restart([KEY_B])  # a is removed
        assert api.status(old) == 200  # within the key set's lifetime (60 s here)
        api.clock.advance(seconds=61)
        assert api.status(old) == 401  # the removed key, and the token verified with it, no longer work
        assert api.status(new) == 200
    finally:
        ours.restart([KEY_A])
