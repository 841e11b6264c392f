"""Extending, pausing and resuming a deadline from the case page, through the deadline commands."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.web.conftest import Staff, csrf_of
from workflow.deadlines.calendar import local_date
from workflow.engine.firing import CASE
from workflow.schema.tables import DEADLINE, DeadlineChange

pytestmark = pytest.mark.integration
CHANGE = DeadlineChange.__table__  # type: ignore[attr-defined]


def _pending(staff: Staff) -> tuple[int, int]:
    with staff.engine.connect() as conn:
        row = conn.execute(
            select(DEADLINE.c.id, CASE.c.id)
            .join(CASE, CASE.c.id == DEADLINE.c.case_id)
            .where(
                CASE.c.organisation_id == staff.org_id("NORRMALM"),
                CASE.c.placement_id.is_(None),
                DEADLINE.c.status == "pending",
            )
            .order_by(DEADLINE.c.id)
        ).first()
    assert row
    return int(row[0]), int(row[1])


def _changes(staff: Staff) -> int:
    with staff.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(CHANGE)).scalar_one())


def _due(staff: Staff, deadline_id: int) -> str:
    with staff.engine.connect() as conn:
        due = conn.execute(select(DEADLINE.c.due_at).where(DEADLINE.c.id == deadline_id)).scalar_one()
    return (local_date(due) + timedelta(days=20)).isoformat()


def test_the_case_page_offers_extend_and_pause_on_each_open_deadline(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    deadline_id, case_id = _pending(staff)
    page = staff.client.get(f"/arenden/{case_id}")
    assert f'href="/bevakningar/{deadline_id}/forlang"' in page.text
    assert f'href="/bevakningar/{deadline_id}/pausa"' in page.text


def test_an_extension_with_a_reason_moves_the_due_date_and_is_confirmed_on_the_case(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    deadline_id, case_id = _pending(staff)
    new_due = _due(staff, deadline_id)
    before = _changes(staff)
    res = staff.post_form(f"/bevakningar/{deadline_id}/forlang", {"new_due": new_due, "reason": "Utföraren bad om tid"})
    assert res.status_code == 303  # type: ignore[attr-defined]
    assert res.headers["location"] == f"/arenden/{case_id}?andrad=forlang#frister"  # type: ignore[attr-defined]
    assert _changes(staff) == before + 1
    page = staff.client.get(f"/arenden/{case_id}?andrad=forlang")
    assert "Sparat: bevakningen förlängdes" in page.text
    assert "Utföraren bad om tid" in page.text and "Förlängd" in page.text


def test_a_change_without_reason_or_with_a_wrong_date_says_so_beside_the_field_and_writes_nothing(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    deadline_id, _ = _pending(staff)
    before = _changes(staff)
    res = staff.post_form(f"/bevakningar/{deadline_id}/forlang", {"new_due": "31 februari", "reason": ""})
    assert res.status_code == 422  # type: ignore[attr-defined]
    text = res.text  # type: ignore[attr-defined]
    assert re.search(r'<p class="field__error" id="fel-new_due">Skriv datumet', text)
    assert re.search(r'<p class="field__error" id="fel-reason">Fyll i', text)
    assert 'value="31 februari"' in text
    too_early = staff.post_form(f"/bevakningar/{deadline_id}/forlang", {"new_due": "2020-01-01", "reason": "x"})
    assert too_early.status_code == 422  # type: ignore[attr-defined]
    assert 'id="fel-new_due"' in too_early.text  # type: ignore[attr-defined]
    assert _changes(staff) == before


def test_an_extension_not_later_than_the_due_date_is_refused_beside_the_date(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    deadline_id, _ = _pending(staff)
    with staff.engine.connect() as conn:
        due = conn.execute(select(DEADLINE.c.due_at).where(DEADLINE.c.id == deadline_id)).scalar_one()
    today = local_date(staff.clock())
    same = max(today, local_date(due - timedelta(microseconds=1)) - timedelta(days=1))
    before = _changes(staff)
    res = staff.post_form(f"/bevakningar/{deadline_id}/forlang", {"new_due": same.isoformat(), "reason": "Mer tid"})
    assert res.status_code == 422  # type: ignore[attr-defined]
    assert '<p class="field__error" id="fel-new_due">Välj ett datum efter' in res.text  # type: ignore[attr-defined]
    assert _changes(staff) == before


def test_the_same_extension_sent_twice_is_written_once(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    deadline_id, case_id = _pending(staff)
    path = f"/bevakningar/{deadline_id}/forlang"
    assert case_id
    token = csrf_of(staff.client.get(path).text)
    form = {"_csrf_token": token, "new_due": _due(staff, deadline_id), "reason": "Dubbelklick"}
    before = _changes(staff)
    first = staff.client.post(path, data=form, follow_redirects=False)
    second = staff.client.post(path, data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert _changes(staff) == before + 1


def test_a_paused_deadline_can_be_resumed_with_a_reason(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    deadline_id, case_id = _pending(staff)
    until = (local_date(staff.clock()) + timedelta(days=10)).isoformat()
    paused = staff.post_form(f"/bevakningar/{deadline_id}/pausa", {"until": until, "reason": "Väntar på IVO"})
    assert paused.status_code == 303  # type: ignore[attr-defined]
    page = staff.client.get(f"/arenden/{case_id}?andrad=pausa")
    assert "Sparat: bevakningen är pausad." in page.text
    assert f'href="/bevakningar/{deadline_id}/ateruppta"' in page.text
    resumed = staff.post_form(f"/bevakningar/{deadline_id}/ateruppta", {"reason": "Svar kom"})
    assert resumed.status_code == 303  # type: ignore[attr-defined]
    with staff.engine.connect() as conn:
        status = conn.execute(select(DEADLINE.c.status).where(DEADLINE.c.id == deadline_id)).scalar_one()
    assert status == "closed"


def test_another_boards_deadline_answers_not_found(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    with staff.engine.connect() as conn:
        foreign = conn.execute(
            select(DEADLINE.c.id).where(DEADLINE.c.organisation_id == staff.org_id("SODERMALM"))
        ).scalar()
    assert foreign
    for path in (f"/bevakningar/{foreign}/forlang", "/bevakningar/987654/pausa", f"/bevakningar/{foreign}/okant"):
        assert staff.client.get(path).status_code == 404, path


def test_the_deadlines_page_links_each_open_deadline_to_its_changes(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    deadline_id, _ = _pending(staff)
    page = staff.client.get("/bevakningar")
    assert f'href="/bevakningar/{deadline_id}/forlang"' in page.text
    assert f'href="/bevakningar/{deadline_id}/pausa"' in page.text
