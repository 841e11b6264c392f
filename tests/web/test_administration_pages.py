"""Administration (Organisationer, Användare): an administrator adds and deactivates organisations and users from
the staff pages, refusals are said in Swedish with nothing saved, and other roles are told who may use the pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.conftest import Staff, csrf_of
from workflow.schema.tables import ADMIN_EVENT, ORG, USER

pytestmark = pytest.mark.integration


@pytest.fixture
def admin(staff: Staff) -> Staff:
    """The demo municipality's administrator, of Socialnämnden and its districts."""
    staff.sign_in("sn.administrator")
    return staff


def test_an_administrator_adds_an_organisation_and_a_user_with_several_roles(admin: Staff) -> None:
    page = admin.client.get("/administration/organisationer")
    assert page.status_code == 200 and 'href="/administration"' in page.text
    assert "Norrmalms stadsdelsnämnd" in page.text and "Utbildningsnämnden" not in page.text  # another tree
    done = admin.post_form(
        "/administration/organisationer",
        {"name": "Östermalms stadsdelsnämnd", "code": "OSTERMALM", "kind": "district_board",
         "parent_id": str(admin.org_id("SN"))},
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/administration/organisationer?klart=org"  # type: ignore[attr-defined]
    assert "Sparat: organisationen lades till." in admin.client.get(done.headers["location"]).text  # type: ignore[attr-defined]
    form = admin.client.get("/administration/anvandare").text
    added = admin.client.post(
        "/administration/anvandare",
        data={"_csrf_token": csrf_of(form), "display_name": "Olle Ö", "username": "ostermalm.olle",
              "email": "olle@kommun.test", "organisation_id": str(admin.org_id("OSTERMALM")),
              "roles": ["contract_strategist", "unit_manager"]},
        follow_redirects=False,
    )  # fmt: skip
    assert added.status_code == 303, added.text
    with admin.engine.connect() as conn:
        roles = conn.execute(select(USER.c.roles).where(USER.c.username == "ostermalm.olle")).scalar_one()
        vias = conn.execute(select(ADMIN_EVENT.c.via).where(ADMIN_EVENT.c.via == "web")).scalars().all()
    assert roles == ["contract_strategist", "unit_manager"] and vias == ["web", "web"]


def test_a_refusal_is_said_in_swedish_and_nothing_is_saved(admin: Staff) -> None:
    org = admin.org_id("NORRMALM")
    refused = admin.post_form(
        f"/administration/organisationer/{org}/inaktivera", {}, page="/administration/organisationer"
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "Organisationen har aktiva användare" in refused.text  # type: ignore[attr-defined]
    with admin.engine.connect() as conn:
        assert conn.execute(select(ORG.c.active).where(ORG.c.id == org)).scalar_one() is True
    me = admin.user_id("sn.administrator")
    own = admin.post_form(f"/administration/anvandare/{me}/inaktivera", {}, page="/administration/anvandare")
    assert own.status_code == 422 and "Du kan inte" in own.text  # type: ignore[attr-defined]
    outside = admin.post_form(
        f"/administration/organisationer/{admin.org_id('UTB')}/inaktivera", {}, page="/administration/organisationer"
    )
    assert outside.status_code == 404  # type: ignore[attr-defined]


def test_a_user_is_deactivated_and_activated_again(admin: Staff) -> None:
    uid = admin.user_id("norrmalm.strateg")
    off = admin.post_form(f"/administration/anvandare/{uid}/inaktivera", {}, page="/administration/anvandare")
    assert off.status_code == 303  # type: ignore[attr-defined]
    on = admin.post_form(f"/administration/anvandare/{uid}/aktivera", {}, page="/administration/anvandare")
    assert on.status_code == 303  # type: ignore[attr-defined]
    with admin.engine.connect() as conn:
        actions = (
            conn.execute(
                select(ADMIN_EVENT.c.action).where(ADMIN_EVENT.c.entity_id == uid, ADMIN_EVENT.c.entity == "user")
            )
            .scalars()
            .all()
        )
    assert actions == ["deactivate_user", "reactivate_user"]


def test_a_missing_or_taken_field_is_said_next_to_that_field_and_nothing_is_saved(admin: Staff) -> None:
    import re

    def message_of(html: str, field: str) -> str:
        found = re.search(rf'<p class="field__error" id="fel-{field}">([^<]*)</p>', html)
        return found.group(1) if found else ""

    with admin.engine.connect() as conn:
        users_before = conn.execute(select(USER.c.id)).all()
    empty = admin.post_form(
        "/administration/anvandare",
        {"display_name": "", "username": "ny.person", "email": "ny@kommun.test",
         "organisation_id": str(admin.org_id("NORRMALM"))},
        page="/administration/anvandare",
    )  # fmt: skip
    assert empty.status_code == 422  # type: ignore[attr-defined]
    assert message_of(empty.text, "display_name") == "Fyll i namn."  # type: ignore[attr-defined]
    assert message_of(empty.text, "roles") == "Välj minst ett av alternativen."  # type: ignore[attr-defined]
    assert 'href="#falt-display_name"' in empty.text and 'value="ny.person"' in empty.text  # type: ignore[attr-defined]
    taken = admin.post_form(
        "/administration/anvandare",
        {"display_name": "Siv igen", "username": "sn.administrator", "email": "siv2@kommun.test",
         "organisation_id": str(admin.org_id("SN")), "roles": ["contract_strategist"]},
        page="/administration/anvandare",
    )  # fmt: skip
    assert taken.status_code == 422  # type: ignore[attr-defined]
    assert message_of(taken.text, "username") == "Koden eller användarnamnet är redan upptaget."  # type: ignore[attr-defined]
    bad_code = admin.post_form(
        "/administration/organisationer",
        {"name": "Ny nämnd", "code": "x", "kind": "district_board", "parent_id": str(admin.org_id("SN"))},
        page="/administration/organisationer",
    )  # fmt: skip
    assert bad_code.status_code == 422 and message_of(bad_code.text, "code")  # type: ignore[attr-defined]
    with admin.engine.connect() as conn:
        assert conn.execute(select(USER.c.id)).all() == users_before
        assert conn.execute(select(ORG.c.id).where(ORG.c.name == "Ny nämnd")).first() is None


def test_a_case_worker_is_told_who_may_administer_and_changes_nothing(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    page = staff.client.get("/administration/anvandare")
    assert page.status_code == 403 and "Administration kräver rollen administratör." in page.text
    assert 'href="/administration"' not in staff.client.get("/oversikt").text
    token = csrf_of(staff.client.get("/oversikt").text)
    posted = staff.client.post(
        "/administration/organisationer",
        data={"_csrf_token": token, "name": "X", "code": "XX", "kind": "district_board"},
        follow_redirects=False,
    )
    assert posted.status_code == 403
    with staff.engine.connect() as conn:
        assert conn.execute(select(ORG.c.id).where(ORG.c.code == "XX")).first() is None


def test_an_administrator_without_case_roles_gets_every_page_without_an_error(admin: Staff) -> None:
    for path in ("/oversikt", "/arenden", "/bevakningar", "/utforare", "/rapporter", "/administration/anvandare"):
        r = admin.client.get(path)
        assert r.status_code < 500, (path, r.status_code)
