"""Staff sign-in through the identity provider provisions the user from the role mapping, as a token does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, select

from api.app import create_app
from api.web.oidc import OidcSettings, Started
from tests.world import Clock, World, build_world
from workflow.admin.commands import CreateRoleMapping
from workflow.bootstrap import bootstrap
from workflow.schema.tables import ADMIN_EVENT, USER
from workflow.settings import Settings

pytestmark = pytest.mark.e2e

SETTINGS = Settings(environment="staging", jwt_secret="web-groups-test-signing-key-not-for-production-0123")


class ProviderAnswering:
    """An identity provider whose ID token carries the given claims (the real flow is tested in Chromium)."""

    def __init__(self) -> None:
        self.settings = OidcSettings(issuer="https://idp.test", client_id="uppfoljning")
        self.claims: dict[str, Any] = {}

    def start(self, redirect_uri: str) -> Started:
        return Started("https://idp.test/authorize", "state-1", "nonce-1", "verifier-1")

    def finish(self, redirect_uri: str, code: str, verifier: str, nonce: str) -> dict[str, Any]:
        return {"sub": "opaque-123", **self.claims}


@pytest.fixture
def site(engine: Engine) -> Iterator[tuple[TestClient, ProviderAnswering, World]]:  # type: ignore[type-arg]
    world = build_world(engine, Clock())
    application = bootstrap(SETTINGS, engine, world.clock)
    application.execute(
        CreateRoleMapping("sg-north-um", world.orgs["NORTH"], ("unit_manager",)), world.actor("NORTH", "administrator")
    )
    app = create_app(application)
    provider = ProviderAnswering()
    app.state.web_oidc = provider
    with TestClient(app, base_url="https://testserver.local") as client:
        yield client, provider, world


def _sign_in(client: TestClient) -> Any:  # type: ignore[type-arg]
    assert client.get("/logga-in", follow_redirects=False).status_code == 303
    return client.get("/logga-in/oidc", params={"code": "c", "state": "state-1"}, follow_redirects=False)


def test_a_person_whose_groups_are_mapped_is_provisioned_at_sign_in_and_works(site: Any) -> None:
    client, provider, world = site
    provider.claims = {"preferred_username": "ulla@north", "groups": ["sg-north-um", "sg-x"], "name": "Ulla U"}
    answer = _sign_in(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/oversikt", answer.text
    assert client.get("/arenden").status_code == 200
    with world.engine.connect() as conn:
        row = conn.execute(
            select(USER.c.organisation_id, USER.c.roles, USER.c.source).where(USER.c.username == "ulla@north")
        ).one()
        audit = conn.execute(
            select(ADMIN_EVENT.c.via, ADMIN_EVENT.c.action).where(ADMIN_EVENT.c.entity == "user")
        ).all()
    assert tuple(row) == (world.orgs["NORTH"], ["unit_manager"], "idp")
    assert audit == [("idp", "provision_user")]


def test_a_person_whose_groups_map_to_nothing_is_told_so_and_no_account_is_made(site: Any) -> None:
    client, provider, world = site
    provider.claims = {"preferred_username": "olle@x", "groups": ["sg-unmapped"]}
    answer = _sign_in(client)
    assert answer.status_code == 403
    with world.engine.connect() as conn:
        assert conn.execute(select(USER.c.id).where(USER.c.username == "olle@x")).first() is None
