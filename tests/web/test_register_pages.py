"""The provider (Utförare) and agreement (Avtal) pages, from workflow.registers.queries, linked from cases and lists."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from tests.web.conftest import Staff
from workflow.cases.queries import AGREEMENT, PROVIDER
from workflow.engine.firing import CASE

pytestmark = pytest.mark.integration


def _busiest_provider(staff: Staff, org: str) -> tuple[int, int]:
    with staff.engine.connect() as conn:
        row = conn.execute(
            select(CASE.c.provider_id, func.count())
            .where(CASE.c.organisation_id == staff.org_id(org), CASE.c.closed_at.is_(None))
            .where(CASE.c.provider_id.is_not(None), CASE.c.placement_id.is_(None))
            .group_by(CASE.c.provider_id)
            .order_by(func.count().desc(), CASE.c.provider_id)
        ).first()
    assert row
    return int(row[0]), int(row[1])


def test_the_provider_list_links_each_provider_to_its_page(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    provider_id, _ = _busiest_provider(staff, "NORRMALM")
    assert f'<a href="/utforare/{provider_id}">' in staff.client.get("/utforare").text


def test_the_provider_page_shows_register_data_agreements_and_the_boards_open_cases(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    provider_id, _ = _busiest_provider(staff, "NORRMALM")
    with staff.engine.connect() as conn:
        name, org_number = conn.execute(
            select(PROVIDER.c.name, PROVIDER.c.org_number).where(PROVIDER.c.id == provider_id)
        ).one()
        agreements = conn.execute(select(AGREEMENT.c.id).where(AGREEMENT.c.provider_id == provider_id)).scalars().all()
    page = staff.client.get(f"/utforare/{provider_id}")
    assert page.status_code == 200
    assert f"<h1>{html.escape(name)}</h1>" in page.text
    assert org_number in page.text
    for heading in ("Registeruppgifter", "Öppna ärenden", "Historik: avslutade ärenden"):
        assert heading in page.text
    assert "Pågående placeringar i dag" in page.text
    assert any(f'href="/avtal/{a}"' in page.text for a in agreements)
    assert f'href="/arenden?utforare={provider_id}"' in page.text


def test_the_agreement_page_names_its_provider_and_lists_the_cases_about_it(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    with staff.engine.connect() as conn:
        row = conn.execute(
            select(AGREEMENT.c.id, AGREEMENT.c.registry_number, AGREEMENT.c.provider_id, CASE.c.id.label("case_id"))
            .join(CASE, CASE.c.agreement_id == AGREEMENT.c.id)
            .where(CASE.c.organisation_id == staff.org_id("NORRMALM"), CASE.c.placement_id.is_(None))
            .where(CASE.c.closed_at.is_(None))
        ).first()
    assert row
    page = staff.client.get(f"/avtal/{row.id}")
    assert page.status_code == 200
    assert f"<h1>Avtal {html.escape(row.registry_number)}</h1>" in page.text
    assert f'<a href="/utforare/{row.provider_id}">' in page.text
    assert f'<a href="/arenden/{row.case_id}">' in page.text


def test_an_unknown_provider_or_another_boards_agreement_answers_not_found(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    with staff.engine.connect() as conn:
        foreign = conn.execute(
            select(AGREEMENT.c.id).where(
                AGREEMENT.c.organisation_id == staff.org_id("SODERMALM"),
                AGREEMENT.c.agreement_type.in_(("individual", "call_off", "direct_award")),
            )
        ).scalar()
    assert foreign
    for path in ("/utforare/987654", f"/utforare/{2**40}", f"/avtal/{foreign}", "/avtal/987654"):
        res = staff.client.get(path)
        assert res.status_code == 404, path
        assert "<h1>Hittades inte</h1>" in res.text
