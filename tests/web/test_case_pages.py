"""The case list and the case page read through the query functions the API uses (workflow.cases.queries)."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from tests.web.conftest import Staff
from workflow.cases.queries import AGREEMENT, PROVIDER
from workflow.engine.firing import CASE
from workflow.schema.tables import DEADLINE, EVENT

pytestmark = pytest.mark.integration

ROW = re.compile(r'<tr>\s*<td><a href="/arenden/(\d+)">')


def _listed(text: str) -> list[int]:
    return [int(i) for i in ROW.findall(text)]


def _total(text: str) -> int:
    found = re.search(r'<p id="traffar" role="status">(\d+) ärenden?', text)
    assert found, text[:2000]
    return int(found[1])


def test_the_case_list_filters_by_provider_and_shows_the_total_in_the_url_it_was_given(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    org = staff.org_id("NORRMALM")
    with staff.engine.connect() as conn:
        provider_id, n = conn.execute(
            select(CASE.c.provider_id, func.count(CASE.c.id))
            .where(CASE.c.organisation_id == org, CASE.c.provider_id.is_not(None))
            .group_by(CASE.c.provider_id)
            .order_by(func.count(CASE.c.id).desc())
        ).first()  # type: ignore[misc]
    page = staff.client.get(f"/arenden?utforare={provider_id}")
    assert page.status_code == 200
    assert _total(page.text) == n
    assert f'<option value="{provider_id}" selected>' in page.text
    assert f'href="/utforare/{provider_id}"' in page.text


def test_the_case_list_finds_cases_by_part_of_a_registry_number_and_by_provider_name(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    org = staff.org_id("NORRMALM")
    with staff.engine.connect() as conn:
        case_id, number = conn.execute(
            select(EVENT.c.case_id, EVENT.c.registry_number)
            .join(CASE, CASE.c.id == EVENT.c.case_id)
            .where(CASE.c.organisation_id == org, EVENT.c.registry_number.is_not(None))
        ).first()  # type: ignore[misc]
        name = conn.execute(
            select(PROVIDER.c.name).join(CASE, CASE.c.provider_id == PROVIDER.c.id).where(CASE.c.organisation_id == org)
        ).scalar()
    by_number = staff.client.get("/arenden", params={"dnr": number[2:].lower()})
    assert case_id in _listed(by_number.text)
    part = name[1:6]
    by_name = staff.client.get("/arenden", params={"utforarnamn": part.upper() if part.isascii() else part})
    assert _total(by_name.text) > 0
    assert html.escape(name) in by_name.text


def test_the_case_list_pages_forward_and_back_by_cursor_and_keeps_its_filters(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    first = staff.client.get("/arenden?sortera=nyast")
    total = _total(first.text)
    assert total > 50, "the demo needs more than one page"
    assert "Föregående sida" not in first.text
    link = re.search(r'<a href="/arenden\?([^"]+)" rel="next">Nästa sida</a>', first.text)
    assert link
    second = staff.client.get("/arenden?" + html.unescape(link[1]))
    assert "sortera=nyast" in html.unescape(link[1])
    assert "sida 2 av" in second.text
    assert not set(_listed(first.text)) & set(_listed(second.text))
    back = re.search(r'<a href="/arenden\?([^"]*)" rel="prev">Föregående sida</a>', second.text)
    assert back
    again = staff.client.get("/arenden?" + html.unescape(back[1]))
    assert _listed(again.text) == _listed(first.text)


def test_a_garbled_cursor_gives_the_first_page_not_an_error(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    page = staff.client.get("/arenden?efter=bm90LWEtY3Vyc29y")
    assert page.status_code == 200
    assert _listed(page.text) == _listed(staff.client.get("/arenden").text)


def test_the_case_page_names_and_links_the_provider_and_agreement_and_shows_the_reminder_ladder(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    org = staff.org_id("NORRMALM")
    with staff.engine.connect() as conn:
        row = conn.execute(
            select(CASE.c.id, CASE.c.provider_id, CASE.c.agreement_id, AGREEMENT.c.registry_number)
            .join(AGREEMENT, AGREEMENT.c.id == CASE.c.agreement_id)
            .join(DEADLINE, DEADLINE.c.case_id == CASE.c.id)
            .where(CASE.c.organisation_id == org, DEADLINE.c.status == "pending", CASE.c.placement_id.is_(None))
        ).first()
    assert row
    page = staff.client.get(f"/arenden/{row.id}")
    assert page.status_code == 200
    assert f'<a href="/utforare/{row.provider_id}">' in page.text
    assert f'<a href="/avtal/{row.agreement_id}">Diarienummer {html.escape(row.registry_number)}</a>' in page.text
    assert "Påminnelser och eskaleringar" in page.text
    assert "Kommer" in page.text or "Utförd" in page.text


def test_a_provider_registered_shows_in_the_case_lists_filter_once_the_kept_choices_expire(
    staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflow.cases import screens

    staff.sign_in("norrmalm.strateg")
    assert "Nya Omsorgen AB" not in staff.client.get("/arenden").text
    with staff.engine.begin() as conn:
        provider_id = conn.execute(
            PROVIDER.insert().values(org_number="559999-0001", name="Nya Omsorgen AB").returning(PROVIDER.c.id)
        ).scalar_one()
    assert "Nya Omsorgen AB" not in staff.client.get("/arenden").text  # kept for a while
    later = screens.time.monotonic() + screens.CHOICES_SECONDS + 1
    monkeypatch.setattr(screens.time, "monotonic", lambda: later)
    assert f'<option value="{provider_id}">Nya Omsorgen AB</option>' in staff.client.get("/arenden").text
