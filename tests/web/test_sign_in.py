"""Signing in to the staff pages: development sign-in, server-side sessions, CSRF, security headers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from tests.web.conftest import DEV_SETTINGS, Staff, csrf_of, staff_client
from tests.world import Clock
from workflow.settings import Settings

pytestmark = pytest.mark.integration
PAGES = [
    "/oversikt",
    "/arenden",
    "/bevakningar",
    "/rapporter",
    "/utforare",
    "/arendetyper",
    "/arendetyper/deviation",
    "/tillganglighet",
]


@pytest.mark.parametrize(
    "settings",
    [
        Settings(jwt_secret=DEV_SETTINGS.jwt_secret),  # development only by default, not set explicitly
        Settings(environment="production", jwt_secret=DEV_SETTINGS.jwt_secret),
    ],
    ids=["default", "production"],
)
def test_the_development_sign_in_does_not_exist_unless_development_mode_is_set_explicitly(
    demo_engine: tuple[Engine, Clock], settings: Settings
) -> None:
    engine, clock = demo_engine
    with staff_client(engine, clock, settings) as client:
        page = client.get("/logga-in/utveckling")
        assert page.status_code == 404
        assert "Hittades inte" in page.text
        assert "norrmalm.strateg" not in page.text
        token = csrf_of(client.get("/logga-in").text)  # a valid token, from a page that exists
        refused = client.post("/logga-in/utveckling", data={"_csrf_token": token, "username": "norrmalm.strateg"})
        assert refused.status_code == 404
        assert client.get("/oversikt", follow_redirects=False).status_code == 303


def test_the_development_sign_in_lists_the_demo_users_by_name_and_role(staff: Staff) -> None:
    page = staff.client.get("/logga-in/utveckling")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text
    assert "Logga in som Avdelningschef, Norrmalms stadsdelsnämnd" in page.text
    assert "Nämndsekreterare" in page.text and "norrmalm.sekreterare" in page.text


def test_a_page_without_a_session_sends_the_user_to_sign_in_and_back(staff: Staff) -> None:
    res = staff.client.get("/arenden", follow_redirects=False)
    assert res.status_code == 303
    assert res.headers["location"] == "/logga-in?next=/arenden"
    assert staff.client.get("/logga-in", follow_redirects=False).headers["location"].startswith("/logga-in/utveckling")


def test_signing_in_starts_a_new_server_side_session_in_an_httponly_samesite_cookie(staff: Staff) -> None:
    staff.client.cookies.set("uppf_session", "a" * 64)  # a session id planted before sign-in is not kept
    page = staff.client.get("/logga-in/utveckling")
    res = staff.client.post(
        "/logga-in/utveckling",
        data={"_csrf_token": csrf_of(page.text), "username": "norrmalm.strateg", "next": "/arenden"},
        follow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"] == "/arenden"
    cookie = res.headers["set-cookie"]
    session_id = re.search(r"uppf_session=([^;]+)", cookie)
    assert session_id and session_id[1] != "a" * 64 and re.fullmatch(r"[0-9a-f]{64}", session_id[1])
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=28800" in cookie
    assert "Secure" not in cookie  # development runs on plain HTTP; Secure everywhere else
    assert "norrmalm" not in cookie  # only an id: the session's data stays on the server
    overview = staff.client.get("/oversikt")
    assert overview.status_code == 200
    assert "Avtalsstrateg, Norrmalms stadsdelsnämnd" in overview.text
    assert "Avtalsstrateg · Norrmalms stadsdelsnämnd" in overview.text


def test_signing_out_ends_the_session(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    res = staff.post_form("/logga-ut", {}, page="/oversikt")
    assert res.status_code == 303  # type: ignore[attr-defined]
    assert staff.client.get("/oversikt", follow_redirects=False).status_code == 303


def test_cookies_are_secure_outside_development(demo_engine: tuple[Engine, Clock]) -> None:
    from api.web.security import csrf_config, session_config

    production = Settings(environment="production", jwt_secret=DEV_SETTINGS.jwt_secret)
    assert session_config(production).secure and csrf_config(production, "k").cookie_secure
    assert not session_config(DEV_SETTINGS).secure


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    res = staff.client.post("/logga-ut", data={}, follow_redirects=False)
    assert res.status_code == 403
    assert "Formuläret kunde inte skickas" in res.text
    forged = staff.client.post("/logga-ut", data={"_csrf_token": "x" * 128}, follow_redirects=False)
    assert forged.status_code == 403
    assert staff.client.get("/oversikt").status_code == 200  # still signed in


def test_every_page_sends_a_content_security_policy_and_has_no_inline_script_or_style(staff: Staff) -> None:
    staff.sign_in("norrmalm.avdelningschef")
    case_id = staff.case_ids("NORRMALM")[0]
    for path in [*PAGES, f"/arenden/{case_id}", "/arenden/999999", "/logga-in/utveckling"]:
        res = staff.client.get(path)
        csp = res.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
        assert res.headers["x-content-type-options"] == "nosniff"
        assert res.headers["x-frame-options"] == "DENY"
        html = res.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html), path
        assert '<a class="skip-link" href="#huvudinnehall">Hoppa till huvudinnehållet</a>' in html


def test_static_files_are_served_by_the_product(staff: Staff) -> None:
    css = staff.client.get("/static/css/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    htmx = staff.client.get("/static/vendor/htmx-2.0.11.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:200]
