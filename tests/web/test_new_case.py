"""Opening a case from a form (Nytt ärende), through OpenCase, with fields from the case type's spec."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.web.conftest import Staff, csrf_of
from workflow.engine.firing import CASE

pytestmark = pytest.mark.integration


def _cases(staff: Staff) -> int:
    with staff.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(CASE)).scalar_one())


def _options(text: str, field: str) -> list[str]:
    select_html = re.search(rf'<select id="falt-{field}"[^>]*>(.*?)</select>', text, re.S)
    assert select_html, field
    return [v for v in re.findall(r'<option value="([^"]*)"', select_html[1]) if v]


def test_the_chooser_lists_the_case_types_staff_open_by_hand(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    page = staff.client.get("/arenden/nytt")
    assert page.status_code == 200
    for path in ("deviation", "complaint", "follow_up", "rectification_request", "implementation_plan"):
        assert f'href="/arenden/nytt/{path}"' in page.text
    assert staff.client.get("/arenden/nytt/agreement").status_code == 404


def test_a_deviation_opened_from_the_form_is_saved_and_shown_with_a_confirmation(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    form = staff.client.get("/arenden/nytt/deviation")
    assert form.status_code == 200
    kind = _options(form.text, "kind")[0]
    provider = _options(form.text, "provider_id")[0]
    before = _cases(staff)
    res = staff.post_form(
        "/arenden/nytt/deviation",
        {"kind": kind, "provider_id": provider, "title": "Brister i bemanning", "reason": "Anmält av personal"},
    )
    assert res.status_code == 303, res.text  # type: ignore[attr-defined]
    location = res.headers["location"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"/arenden/\d+\?utfort=open", location)
    assert _cases(staff) == before + 1
    page = staff.client.get(location)
    assert "Brister i bemanning" in page.text and "Sparat: ärendet har nu status" in page.text
    assert f'href="/utforare/{provider}"' in page.text


def test_a_form_without_required_fields_says_so_beside_each_and_writes_nothing(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    before = _cases(staff)
    res = staff.post_form("/arenden/nytt/deviation", {"kind": "", "provider_id": "", "title": "Kvar", "reason": ""})
    assert res.status_code == 422  # type: ignore[attr-defined]
    text = res.text  # type: ignore[attr-defined]
    for field in ("kind", "provider_id", "reason"):
        assert f'<p class="field__error" id="fel-{field}">' in text, field
    assert 'value="Kvar"' in text
    assert _cases(staff) == before


def test_a_provider_outside_the_lists_or_an_agreement_of_another_provider_is_refused(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    form = staff.client.get("/arenden/nytt/deviation").text
    kind = _options(form, "kind")[0]
    providers = _options(form, "provider_id")
    before = _cases(staff)
    foreign = staff.post_form(
        "/arenden/nytt/deviation", {"kind": kind, "provider_id": "987654", "reason": "x"}, "/arenden/nytt/deviation"
    )
    assert foreign.status_code == 422  # type: ignore[attr-defined]
    assert 'id="fel-provider_id">Välj ett av alternativen' in foreign.text  # type: ignore[attr-defined]
    agreements = re.findall(r'<option value="(\d+)">([^<]+)</option>', form.split('id="falt-agreement_id"')[1])
    names = dict(re.findall(r'<option value="(\d+)">([^<]+)</option>', form.split('id="falt-provider_id"')[1]))
    other = next(a for a, label in agreements if not label.endswith(names[providers[0]]))
    mismatch = staff.post_form(
        "/arenden/nytt/deviation", {"kind": kind, "provider_id": providers[0], "agreement_id": other, "reason": "x"}
    )
    assert mismatch.status_code == 422  # type: ignore[attr-defined]
    assert 'id="fel-agreement_id">Avtalet gäller en annan utförare' in mismatch.text  # type: ignore[attr-defined]
    assert _cases(staff) == before


def test_an_implementation_plan_request_is_about_a_placement_chosen_by_pseudonym(staff: Staff) -> None:
    staff.sign_in("norrmalm.socsek")
    form = staff.client.get("/arenden/nytt/implementation_plan")
    assert form.status_code == 200
    placements = _options(form.text, "placement_id")
    assert placements
    res = staff.post_form(
        "/arenden/nytt/implementation_plan", {"placement_id": placements[0], "reason": "Ny placering"}
    )
    assert res.status_code == 303, res.text  # type: ignore[attr-defined]


def test_the_same_new_case_form_sent_twice_opens_one_case(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    page = staff.client.get("/arenden/nytt/complaint").text
    key = re.search(r'name="form_key" value="([^"]+)"', page)
    assert key
    form = {
        "_csrf_token": csrf_of(page),
        "form_key": key[1],
        "kind": _options(page, "kind")[0],
        "reason": "Klagomål per telefon",
    }
    before = _cases(staff)
    first = staff.client.post("/arenden/nytt/complaint", data=form, follow_redirects=False)
    second = staff.client.post("/arenden/nytt/complaint", data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert _cases(staff) == before + 1


def test_a_second_request_for_a_placement_with_an_open_one_is_refused_beside_the_placement(staff: Staff) -> None:
    staff.sign_in("norrmalm.socsek")
    with staff.engine.connect() as conn:
        placement = conn.execute(
            select(CASE.c.placement_id).where(
                CASE.c.organisation_id == staff.org_id("NORRMALM"),
                CASE.c.case_type == "implementation_plan",
                CASE.c.closed_at.is_(None),
            )
        ).scalar()
    assert placement is not None
    before = _cases(staff)
    res = staff.post_form("/arenden/nytt/implementation_plan", {"placement_id": str(placement), "reason": "Ny begäran"})
    assert res.status_code == 422  # type: ignore[attr-defined]
    assert 'id="fel-placement_id">Placeringen har redan en öppen begäran av det här slaget' in res.text  # type: ignore[attr-defined]
    assert _cases(staff) == before
