"""GET /cases/{id}/triggers describes each trigger's form: typed parameters, allowed values, registry number."""

from __future__ import annotations

import pytest

from states.vocab import NOT_PERFORMED_REASONS, TERMINATION_REASONS
from tests.e2e.conftest import Api

pytestmark = pytest.mark.e2e


def _agreement_case(api: Api) -> int:
    r = api.client.post(
        "/cases",
        headers=api.auth("NORTH", "contract_strategist"),
        json={"case_type": "agreement", "reason": "lifecycle", "agreement_id": api.world.agreements["north_calloff"]},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_the_triggers_list_describes_each_form_and_keeps_the_old_fields(api: Api) -> None:
    cid = _agreement_case(api)
    r = api.client.get(f"/cases/{cid}/triggers", headers=api.auth("NORTH", "board"))
    assert r.status_code == 200, r.text
    options = {o["trigger"]: o for o in r.json()}
    terminate = options["terminate"]
    assert terminate["allowed"] and terminate["needs_registry_number"]
    assert terminate["decision"] == "terminate_agreement"
    assert terminate["requires"] == ["termination_reason", "initiator"]
    assert terminate["accepts"] == ["termination_reason", "termination_reason_other", "initiator"]
    reason = terminate["params"][0]
    assert reason == {
        "name": "termination_reason",
        "type": "choice",
        "label": reason["label"],
        "required": True,
        "allowed_values": list(TERMINATION_REASONS),
        "minimum": None,
        "maximum": None,
    }
    assert reason["label"]
    expire = options["expire"]
    assert not expire["allowed"] and not expire["needs_registry_number"] and expire["params"] == []


def test_a_guard_that_refuses_is_shown_before_anyone_tries(api: Api) -> None:
    cid = _agreement_case(api)
    r = api.client.get(f"/cases/{cid}/triggers", headers=api.auth("NORTH", "contract_strategist"))
    expire = next(o for o in r.json() if o["trigger"] == "expire")
    assert not expire["allowed"]
    assert "agreement_period_ended" in expire["why_not"]


def test_the_reasons_a_follow_up_was_not_performed_are_a_multi_choice_field_listing_its_values(api: Api) -> None:
    headers = api.auth("NORTH", "contract_strategist")
    r = api.client.post(
        "/cases",
        headers=headers,
        json={
            "case_type": "follow_up",
            "kind": "planned_special",
            "reason": "annual plan",
            "agreement_id": api.world.agreements["north_calloff"],
        },
    )
    assert r.status_code == 201, r.text
    cid = int(r.json()["id"])
    options = {o["trigger"]: o for o in api.client.get(f"/cases/{cid}/triggers", headers=headers).json()}
    marked = options["mark_not_performed"]
    assert marked["requires"] == ["not_performed_reasons"]
    reasons, other = marked["params"]
    assert reasons == {
        "name": "not_performed_reasons",
        "type": "multi_choice",
        "label": reasons["label"],
        "required": True,
        "allowed_values": list(NOT_PERFORMED_REASONS),
        "minimum": None,
        "maximum": None,
    }
    assert (other["name"], other["type"], other["required"]) == ("not_performed_reasons_other", "text", False)
    refused = api.client.post(
        f"/cases/{cid}/transitions",
        headers=headers,
        json={"trigger": "mark_not_performed", "reason": "x", "params": {"not_performed_reasons": ["other"]}},
    )
    assert refused.status_code == 422 and refused.json()["rule"] == "other_text", refused.text
    twice = api.client.post(
        f"/cases/{cid}/transitions",
        headers=headers,
        json={
            "trigger": "mark_not_performed",
            "reason": "visit cancelled, then the agreement expired",
            "params": {"not_performed_reasons": ["agreement_expired", "provider_cancelled_visit"]},
        },
    )
    assert twice.status_code == 200, twice.text
    timeline = api.client.get(f"/cases/{cid}", headers=headers).json()["timeline"]
    assert timeline[-1]["params"] == {"not_performed_reasons": ["provider_cancelled_visit", "agreement_expired"]}
