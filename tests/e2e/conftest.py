"""HTTP tests: the Litestar app on the test database, with tokens signed by a test key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from tests.apps import app_for
from tests.world import Clock, World, build_world
from workflow.bootstrap import bootstrap
from workflow.settings import Settings
from workflow.tokens import mint

TEST_SETTINGS = Settings(jwt_secret="e2e-test-signing-key-not-for-production-0123456789")


@dataclass
class Api:
    """A test client and the world behind it."""

    client: TestClient  # type: ignore[type-arg]
    world: World

    def token(self, org: str, role: str) -> str:
        return mint(TEST_SETTINGS, f"{org.lower()}.{role}", org, [role], now=self.world.clock())

    def auth(self, org: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(org, role)}"}


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    world = build_world(engine, Clock())
    with TestClient(app_for(bootstrap(TEST_SETTINGS, engine, world.clock)), raise_server_exceptions=False) as client:
        yield Api(client, world)


def problem_of(response: object) -> dict[str, object]:
    """The problem body of a response, checking it is problem+json."""
    assert response.headers["content-type"].startswith("application/problem+json"), response.text  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == response.status_code  # type: ignore[attr-defined]
    return body
