"""The outbox dashboard through HTTP: counts and incidents of the caller's organisation only."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from tests.e2e.conftest import Api, problem_of
from workflow.schema.tables import OUTBOX

pytestmark = pytest.mark.e2e


def _message(org: int, key: str, status: str, incident: str | None = None) -> dict[str, object]:
    return {
        "organisation_id": org,
        "dedupe_key": key,
        "kind": "reminder",
        "recipients": ["someone@test.invalid"],
        "subject": f"subject {key}",
        "body": "body",
        "status": status,
        "attempts": 6 if incident else 1,
        "incident": incident,
        "last_error": "cannot reach the SMTP server: ConnectionRefusedError" if incident else None,
    }


def test_a_board_sees_its_own_outbox_counts_and_incidents_only(api: Api) -> None:
    w = api.world
    now = w.clock()
    north, south = w.orgs["NORTH"], w.orgs["SOUTH"]
    rows = [
        _message(north, "n1", "pending"),
        _message(north, "n2", "sending"),
        _message(north, "n3", "sent"),
        _message(north, "n4", "failed", "retries_exhausted"),
        _message(south, "s1", "failed", "rejected"),
        _message(south, "s2", "failed", "uncertain"),
    ]
    with w.engine.begin() as conn:
        conn.execute(insert(OUTBOX), [{**r, "next_attempt_at": now, "created_at": now} for r in rows])
    r = api.client.get("/outbox/summary", headers=api.auth("NORTH", "unit_manager"))
    assert r.status_code == 200 and r.json() == {"pending": 2, "sent": 1, "failed": 1}
    r = api.client.get("/outbox/incidents", headers=api.auth("NORTH", "unit_manager"))
    assert r.status_code == 200
    [incident] = r.json()
    assert (incident["subject"], incident["incident"], incident["attempts"]) == ("subject n4", "retries_exhausted", 6)
    r = api.client.get("/outbox/incidents?limit=1", headers=api.auth("SOUTH", "contract_strategist"))
    assert [i["subject"] for i in r.json()] == ["subject s2"]


def test_the_outbox_needs_a_token_and_sane_paging(api: Api) -> None:
    assert api.client.get("/outbox/summary").status_code == 401
    r = api.client.get("/outbox/incidents?limit=0", headers=api.auth("NORTH", "unit_manager"))
    assert r.status_code in (400, 422)
    problem_of(r)


def test_staff_retry_a_failed_message_and_confirm_an_uncertain_one_of_their_own_board_only(api: Api) -> None:
    w = api.world
    now = w.clock()
    north, south = w.orgs["NORTH"], w.orgs["SOUTH"]
    rows = [
        _message(north, "n1", "failed", "retries_exhausted"),
        _message(north, "n2", "failed", "uncertain"),
        _message(south, "s1", "failed", "uncertain"),
    ]
    with w.engine.begin() as conn:
        conn.execute(insert(OUTBOX), [{**r, "next_attempt_at": now, "created_at": now} for r in rows])
    ids = {
        r["subject"]: r["id"]
        for r in api.client.get("/outbox/incidents", headers=api.auth("NORTH", "unit_manager")).json()
    }
    staff = api.auth("NORTH", "contract_strategist")
    r = api.client.post(f"/outbox/incidents/{ids['subject n1']}/confirm-delivered", headers=staff)
    assert r.status_code == 404, "only an uncertain message can be confirmed delivered"
    r = api.client.post(f"/outbox/incidents/{ids['subject n1']}/retry", headers=staff)
    assert r.status_code == 200 and r.json() == {"id": ids["subject n1"], "status": "pending"}
    r = api.client.post(f"/outbox/incidents/{ids['subject n2']}/confirm-delivered", headers=staff)
    assert r.status_code == 200 and r.json()["status"] == "sent"
    south_id = api.client.get("/outbox/incidents", headers=api.auth("SOUTH", "unit_manager")).json()[0]["id"]
    assert api.client.post(f"/outbox/incidents/{south_id}/retry", headers=staff).status_code == 404
    assert api.client.post(f"/outbox/incidents/{south_id}/retry", headers=api.auth("SOUTH", "board")).status_code == 403
    summary = api.client.get("/outbox/summary", headers=staff).json()
    assert summary == {"pending": 1, "sent": 1, "failed": 0}
