"""The action form's date (Händelsedatum, Beslutsdatum for a decision) and the timeline's two times (issue 13)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.web.conftest import Staff, csrf_of
from workflow.deadlines.calendar import local_date
from workflow.schema.tables import CASE, EVENT, ORG

pytestmark = pytest.mark.integration


def _complaint(staff: Staff) -> tuple[int, date]:
    """A received complaint of Norrmalm and its latest event's date, three days before today."""
    staff.clock.advance(days=3)
    today = local_date(staff.clock())
    with staff.engine.connect() as conn:
        row = conn.execute(
            select(CASE.c.id, CASE.c.last_occurred_on)
            .join(ORG, ORG.c.id == CASE.c.organisation_id)
            .where(
                ORG.c.code == "NORRMALM",
                CASE.c.case_type == "complaint",
                CASE.c.status == "received",
                CASE.c.last_occurred_on < today,
            )
            .order_by(CASE.c.id)
        ).first()
    assert row is not None
    return int(row.id), row.last_occurred_on


def _post(staff: Staff, path: str, **values: str) -> object:
    form = staff.client.get(path)
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    data = {"_csrf_token": csrf_of(form.text), "version": version[1], "topic": "", "reason": "Vi utreder", **values}
    return staff.client.post(path, data=data, follow_redirects=False)


def test_the_action_form_asks_when_it_happened_today_by_default(staff: Staff) -> None:
    case_id, _ = _complaint(staff)
    staff.sign_in("norrmalm.strateg")
    page = staff.client.get(f"/arenden/{case_id}/atgard/investigate").text
    today = local_date(staff.clock()).isoformat()
    assert "Händelsedatum" in page and "Skäl till sen registrering" in page
    assert f'name="occurred_on" value="{today}"' in page


def test_a_step_recorded_after_the_fact_keeps_its_date_and_the_timeline_shows_when_it_was_recorded(
    staff: Staff,
) -> None:
    case_id, last = _complaint(staff)
    staff.sign_in("norrmalm.strateg")
    res = _post(staff, f"/arenden/{case_id}/atgard/investigate", occurred_on=last.isoformat())
    assert res.status_code == 303  # type: ignore[attr-defined]
    with staff.engine.connect() as conn:
        got = conn.execute(
            select(EVENT.c.occurred_on).where(EVENT.c.case_id == case_id, EVENT.c.trigger == "investigate")
        ).scalar_one()
    assert got == last
    page = staff.client.get(f"/arenden/{case_id}").text
    assert "registrerad" in page


@pytest.mark.parametrize(
    ("shift", "message"),
    [(1, "Datumet ligger i framtiden"), (-1, "Datumet ligger före den dag ärendet öppnades")],
    ids=["future", "before_opened"],
)
def test_a_date_the_rules_refuse_is_shown_beside_the_field_and_nothing_is_saved(
    staff: Staff, shift: int, message: str
) -> None:
    case_id, last = _complaint(staff)
    staff.sign_in("norrmalm.strateg")
    day = local_date(staff.clock()) + timedelta(days=1) if shift > 0 else last - timedelta(days=1)
    res = _post(staff, f"/arenden/{case_id}/atgard/investigate", occurred_on=day.isoformat())
    assert res.status_code == 422  # type: ignore[attr-defined]
    assert message in res.text  # type: ignore[attr-defined]
    with staff.engine.connect() as conn:
        assert conn.execute(select(CASE.c.status).where(CASE.c.id == case_id)).scalar_one() == "received"


def test_a_new_case_can_be_opened_as_of_an_earlier_date_with_a_late_entry_reason(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    path = "/arenden/nytt/complaint"
    form = staff.client.get(path)
    today = local_date(staff.clock())
    assert f'name="occurred_on" value="{today.isoformat()}"' in form.text
    kind = re.search(r'name="kind"[^>]*>\s*<option value="">[^<]*</option>\s*<option value="([^"]+)"', form.text)
    first = r'>\s*<option value="">[^<]*</option>\s*<option value="([^"]+)"'
    provider = re.search(r'name="provider_id"[^>]*' + first, form.text)
    assert kind and provider
    key = re.search(r'name="form_key" value="([^"]+)"', form.text)
    data = {
        "_csrf_token": csrf_of(form.text),
        "form_key": key[1] if key else "",
        "kind": kind[1],
        "provider_id": provider[1],
        "reason": "Klagomål som kom in per brev",
        "occurred_on": (today - timedelta(days=45)).isoformat(),
    }
    refused = staff.client.post(path, data=data, follow_redirects=False)
    assert refused.status_code == 422
    assert "Datumet ligger mer än 30 dagar bakåt" in refused.text
    res = staff.client.post(path, data={**data, "late_reason": "Brevet hittades i arkivet"}, follow_redirects=False)
    assert res.status_code == 303, res.text[-800:]
    case_id = int(res.headers["location"].split("/")[2].split("?")[0])
    with staff.engine.connect() as conn:
        assert conn.execute(select(CASE.c.opened_on).where(CASE.c.id == case_id)).scalar_one() == today - timedelta(
            days=45
        )
