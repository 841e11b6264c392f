"""Suspending, resuming and extending a deadline through HTTP: recorded, scoped, refused with reasons."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.e2e.conftest import Api, problem_of

pytestmark = pytest.mark.e2e


def _complaint_deadline(api: Api) -> tuple[int, dict[str, object]]:
    h = api.auth("NORTH", "contract_strategist")
    r = api.client.post(
        "/cases",
        headers=h,
        json={
            "case_type": "complaint",
            "kind": "client",
            "reason": "a complaint about the food",
            "agreement_id": api.world.agreements["north_calloff"],
        },
    )
    assert r.status_code == 201, r.text
    deadline = api.client.get(f"/cases/{r.json()['id']}", headers=h).json()["deadlines"][0]
    return r.json()["id"], deadline


def test_an_extension_replaces_the_deadline_and_records_who_why_and_the_dates(api: Api) -> None:
    case_id, d = _complaint_deadline(api)
    h = api.auth("NORTH", "contract_strategist")
    new_due = (date.fromisoformat(str(d["due_at"])[:10]) + timedelta(days=14)).isoformat()
    r = api.client.post(
        f"/deadlines/{d['id']}/extend", headers=h, json={"reason": "provider asked", "new_due": new_due}
    )
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["id"] != d["id"] and new["status"] == "pending" and new["case_id"] == case_id
    assert new["due_at"] > d["due_at"]
    pending = api.client.get(f"/cases/{case_id}", headers=h).json()["deadlines"]
    assert [x["id"] for x in pending if x["status"] == "pending"] == [new["id"]]
    changes = api.client.get(f"/deadlines/{new['id']}/changes", headers=h).json()
    assert [(c["action"], c["deadline_id"], c["new_deadline_id"], c["reason"]) for c in changes] == [
        ("extend", d["id"], new["id"], "provider asked")
    ]
    assert changes[0]["changed_by_id"] == api.world.users[("NORTH", "contract_strategist")]
    assert api.client.get(f"/deadlines/{d['id']}/changes", headers=h).json() == changes


def test_a_suspension_stops_the_clock_and_resuming_moves_the_due_date_on(api: Api) -> None:
    _, d = _complaint_deadline(api)
    h = api.auth("NORTH", "contract_strategist")
    until = (api.world.clock() + timedelta(days=30)).isoformat()
    r = api.client.post(f"/deadlines/{d['id']}/suspend", headers=h, json={"reason": "police inquiry", "until": until})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "suspended" and r.json()["suspended_until"] is not None
    again = api.client.post(f"/deadlines/{d['id']}/suspend", headers=h, json={"reason": "twice", "until": until})
    assert again.status_code == 422 and "not pending" in str(problem_of(again)["detail"])
    api.world.clock.advance(days=7)
    h = api.auth("NORTH", "contract_strategist")  # a fresh token at the new time
    r = api.client.post(f"/deadlines/{d['id']}/resume", headers=h, json={"reason": "inquiry closed"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending" and r.json()["due_at"] > d["due_at"]
    actions = [c["action"] for c in api.client.get(f"/deadlines/{r.json()['id']}/changes", headers=h).json()]
    assert actions == ["suspend", "resume"]


def test_bad_changes_are_refused_and_change_nothing(api: Api) -> None:
    case_id, d = _complaint_deadline(api)
    h = api.auth("NORTH", "contract_strategist")
    past = (api.world.clock() - timedelta(days=1)).isoformat()
    earlier = (date.fromisoformat(str(d["due_at"])[:10]) - timedelta(days=3)).isoformat()
    refusals = [
        api.client.post(f"/deadlines/{d['id']}/suspend", headers=h, json={"reason": "x", "until": past}),
        api.client.post(f"/deadlines/{d['id']}/extend", headers=h, json={"reason": "x", "new_due": earlier}),
        api.client.post(f"/deadlines/{d['id']}/extend", headers=h, json={"reason": "", "new_due": earlier}),
        api.client.post(f"/deadlines/{d['id']}/resume", headers=h, json={"reason": "not suspended"}),
        api.client.post(f"/deadlines/{d['id']}/extend", headers=h, json={"new_due": earlier}),
    ]
    assert [r.status_code for r in refusals] == [422] * 5
    for r in refusals:
        problem_of(r)
    after = api.client.get(f"/cases/{case_id}", headers=h).json()["deadlines"]
    assert [(x["id"], x["status"], x["due_at"]) for x in after] == [(d["id"], "pending", d["due_at"])]
    assert api.client.get(f"/deadlines/{d['id']}/changes", headers=h).json() == []


def test_another_boards_deadline_is_not_found_and_needs_a_token(api: Api) -> None:
    _, d = _complaint_deadline(api)
    until = datetime(2030, 1, 1).astimezone().isoformat()
    for org in ("CENTRAL", "SOUTH"):
        if (org, "contract_strategist") not in api.world.users:
            continue
        h = api.auth(org, "contract_strategist")
        r = api.client.post(f"/deadlines/{d['id']}/suspend", headers=h, json={"reason": "x", "until": until})
        assert r.status_code == 404 and str(d["id"]) in str(problem_of(r)["detail"])
        assert api.client.get(f"/deadlines/{d['id']}/changes", headers=h).status_code == 404
    assert api.client.get(f"/deadlines/{d['id']}/changes").status_code == 401
    assert api.client.post(f"/deadlines/{d['id']}/resume", json={"reason": "x"}).status_code == 401
