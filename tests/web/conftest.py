"""Staff pages under test: the application on a demo municipality, signed in through the development sign-in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, select

from api.app import create_app
from tests.apps import app_for
from tests.world import Clock
from workflow.bootstrap import bootstrap
from workflow.engine.firing import CASE
from workflow.schema.tables import AppUser
from workflow.settings import Settings

DEV_SETTINGS = Settings(environment="development", jwt_secret="web-test-signing-key-not-for-production-0123456789")
_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _TOKEN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


@dataclass
class Staff:
    """A browser-like client of the staff pages on the demo municipality."""

    client: TestClient  # type: ignore[type-arg]
    engine: Engine
    clock: Clock

    def sign_in(self, username: str) -> None:
        page = self.client.get("/logga-in/utveckling")
        assert page.status_code == 200, page.text
        res = self.client.post(
            "/logga-in/utveckling",
            data={"_csrf_token": csrf_of(page.text), "username": username, "next": "/oversikt"},
            follow_redirects=False,
        )
        assert res.status_code == 303 and res.headers["location"] == "/oversikt", res.text

    def post_form(self, path: str, form: dict[str, str], page: str | None = None) -> object:
        """Post ``form`` with the CSRF token of ``page`` (default: ``path`` itself)."""
        token = csrf_of(self.client.get(page or path).text)
        return self.client.post(path, data={"_csrf_token": token, **form}, follow_redirects=False)

    def case_ids(self, org_code: str, where: Callable[[object], bool] = lambda row: True) -> list[int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(CASE.c.id, CASE.c.case_type, CASE.c.status, CASE.c.placement_id, CASE.c.organisation_id)
                .where(CASE.c.organisation_id == self.org_id(org_code))
                .order_by(CASE.c.id)
            ).all()
        return [r.id for r in rows if where(r)]

    def org_id(self, code: str) -> int:
        from workflow.schema.tables import Organisation

        with self.engine.connect() as conn:
            return int(conn.execute(select(Organisation.id).where(Organisation.code == code)).scalar_one())  # type: ignore[arg-type]

    def user_id(self, username: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(AppUser.id).where(AppUser.username == username)).scalar_one())  # type: ignore[arg-type]


def staff_client(engine: Engine, clock: Clock, settings: Settings = DEV_SETTINGS) -> TestClient:  # type: ignore[type-arg]
    """A test client of an application of its own with ``settings`` (over HTTPS outside development: cookies are
    Secure)."""
    return _client(create_app(bootstrap(settings, engine, clock)), settings)


def _client(app: Litestar, settings: Settings) -> TestClient:  # type: ignore[type-arg]
    base_url = "http://testserver.local" if settings.environment == "development" else "https://testserver.local"
    return TestClient(app, raise_server_exceptions=False, base_url=base_url)


@pytest.fixture
def staff(demo_engine: tuple[Engine, Clock]) -> Iterator[Staff]:
    engine, clock = demo_engine
    with _client(app_for(bootstrap(DEV_SETTINGS, engine, clock)), DEV_SETTINGS) as client:
        yield Staff(client, engine, clock)
