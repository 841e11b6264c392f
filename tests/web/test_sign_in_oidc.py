"""Production sign-in in Chromium: authorization code with PKCE against a real OpenID provider on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import insert, select

from tests.web.browser import free_port, launched_chromium, openid_provider, served
from workflow.demo.municipality import Demo
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade
from workflow.schema.tables import USER

pytestmark = pytest.mark.e2e


@dataclass
class Production:
    """The application outside development, trusting the provider, and a fresh browser per test."""

    base: str
    issuer: str
    browser: Any

    def page(self) -> Any:
        return self.browser.new_context(locale="sv-SE").new_page()


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    url = f"sqlite:///{tmp_path_factory.mktemp('oidc') / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    Demo(engine).load()
    with engine.begin() as conn:  # an integration's service account (an administrator makes these)
        org = conn.execute(select(USER.c.organisation_id).where(USER.c.username == "norrmalm.strateg")).scalar_one()
        conn.execute(
            insert(USER).values(
                username="ekonomisystem",
                display_name="Ekonomisystemet",
                email="it@norrmalm.test",
                organisation_id=org,
                roles=["contract_strategist"],
                source="integration",
            )
        )
    engine.dispose()
    app_port, idp_port = free_port(), free_port()
    base = f"http://127.0.0.1:{app_port}"
    with openid_provider(idp_port, f"{base}/logga-in/oidc") as issuer:
        settings = {
            "UPPF_ENVIRONMENT": "staging",
            "UPPF_OIDC_ISSUER": issuer,
            "UPPF_OIDC_JWKS_URL": f"{issuer}/jwks",
            "UPPF_OIDC_CLIENT_ID": "uppfoljning",
            "UPPF_OIDC_CLIENT_SECRET": "test-client-secret-not-for-production",
        }
        with served(url, app_port, **settings), launched_chromium() as browser:
            yield Production(base, issuer, browser)


def _sign_in_at_the_provider(page: Any, login: str) -> None:
    """The provider's development login and consent pages (not ours)."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any")
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()
    if "/interaction/" in page.url:
        page.locator("button[type=submit]").click()  # the provider's consent page


def test_a_user_signs_in_at_the_identity_provider_and_acts_with_the_roles_of_the_user_row(
    production: Production,
) -> None:
    page = production.page()
    page.goto(f"{production.base}/arenden")
    page.wait_for_url(f"{production.issuer}/**")
    authorize = page.url
    assert "code_challenge_method=S256" in authorize or "/interaction/" in authorize
    _sign_in_at_the_provider(page, "norrmalm.strateg")
    page.wait_for_url(f"{production.base}/arenden")
    assert page.locator("h1").inner_text() == "Ärenden"
    assert "Avtalsstrateg · Norrmalms stadsdelsnämnd" in page.locator("header").inner_text()
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["uppf_session"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Lax"


def test_the_development_sign_in_does_not_exist_in_production(production: Production) -> None:
    page = production.page()
    res = page.goto(f"{production.base}/logga-in/utveckling")
    assert res is not None and res.status == 404
    assert page.locator("h1").inner_text() == "Hittades inte"


def test_a_person_without_an_account_here_is_told_so_and_not_signed_in(production: Production) -> None:
    page = production.page()
    page.goto(f"{production.base}/oversikt")
    page.wait_for_url(f"{production.issuer}/**")
    _sign_in_at_the_provider(page, "someone.unknown")
    page.wait_for_url(f"{production.base}/logga-in/oidc**")
    assert page.locator("h1").inner_text() == "Inloggningen misslyckades"
    page.goto(f"{production.base}/oversikt")  # the provider's own session answers at once: refused again
    assert page.locator("h1").inner_text() == "Inloggningen misslyckades"
    assert "/oversikt" not in page.url


def test_a_person_cannot_sign_in_as_an_integrations_service_account(production: Production) -> None:
    page = production.page()
    page.goto(f"{production.base}/oversikt")
    page.wait_for_url(f"{production.issuer}/**")
    _sign_in_at_the_provider(page, "ekonomisystem")
    page.wait_for_url(f"{production.base}/logga-in/oidc**")
    assert page.locator("h1").inner_text() == "Inloggningen misslyckades"


def test_an_answer_with_a_forged_state_is_refused(production: Production) -> None:
    page = production.page()
    res = page.goto(f"{production.base}/logga-in/oidc?code=abc&state=forged")
    assert res is not None and res.status == 400
    assert page.locator("h1").inner_text() == "Inloggningen misslyckades"
