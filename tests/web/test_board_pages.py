"""Nämnd on the staff pages: the board's matters and meetings, a matter generated from the form, its page."""

from __future__ import annotations

import re

from tests.web.conftest import Staff


def _generate(staff: Staff, registry_number: str) -> object:
    return staff.post_form(
        "/namnd/arenden", {"matter_type": "terminations", "ar": "2026", "registry_number": registry_number}, "/namnd"
    )


def test_a_board_matter_is_generated_from_the_form_and_shown_on_its_own_page(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    page = staff.client.get("/namnd")
    assert page.status_code == 200 and "<h1>Nämnd</h1>" in page.text
    assert 'href="/namnd" aria-current="page"' in page.text
    made = _generate(staff, "NOR-2027-00042")
    assert made.status_code == 303  # type: ignore[attr-defined]
    location = made.headers["location"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"/namnd/arenden/\d+", location)
    matter = staff.client.get(location)
    assert matter.status_code == 200
    assert "Uppsagda och hävda avtal 2026-01-01 – 2026-12-31" in matter.text and "NOR-2027-00042" in matter.text
    assert "Nämnden har inte beslutat i ärendet ännu." in matter.text
    document = staff.client.get(f"{location}/dokument")
    assert document.headers["content-disposition"].startswith("attachment")
    assert "Förslag till beslut" in document.text
    listed = staff.client.get("/namnd")
    assert "NOR-2027-00042" in listed.text


def test_a_registry_number_already_used_is_refused_in_place_keeping_the_form(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    _generate(staff, "NOR-2027-00043")
    again = _generate(staff, "NOR-2027-00043")
    assert again.status_code == 422  # type: ignore[attr-defined]
    assert "redan" in again.text and 'value="NOR-2027-00043"' in again.text  # type: ignore[attr-defined]


def test_another_boards_matter_is_not_found(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    location = _generate(staff, "NOR-2027-00044").headers["location"]  # type: ignore[attr-defined]
    staff.sign_in("sodermalm.strateg")
    assert staff.client.get(location).status_code == 404
    assert staff.client.get(f"{location}/dokument").status_code == 404


def test_the_form_needs_its_csrf_token(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    res = staff.client.post(
        "/namnd/arenden", data={"matter_type": "annual", "ar": "2026", "registry_number": "X-1"}, follow_redirects=False
    )
    assert res.status_code == 403
