"""The role × decision matrix through HTTP matches the delegation order in force."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from states.roles import Role
from tests.e2e.conftest import Api, problem_of
from tests.integration.test_delegation_order import DECISION_POINTS, ORDER_2026, _decision_kind

pytestmark = pytest.mark.e2e
_NUMBERS = itertools.count(90000)


def _open(api: Api, case_type: str, kind: str | None) -> int:
    if case_type == "agreement":  # one agreement case per agreement: a fresh agreement opens its own
        terms = {
            "registry_number": f"NOR-2026-{next(_NUMBERS):05d}",
            "agreement_type": "individual",
            "provider_id": api.world.providers["Acme Care AB"],
            "starts_on": "2026-03-01",
            "ends_on": "2027-02-28",
        }
        r = api.client.post("/agreements", headers=api.auth("NORTH", "contract_strategist"), json=terms)
        assert r.status_code == 201, r.text
        return int(r.json()["case_id"])
    body: dict[str, Any] = {
        "case_type": case_type,
        "reason": "matrix",
        "agreement_id": api.world.agreements["north_calloff"],
    }
    if kind:
        body["kind"] = kind
    r = api.client.post("/cases", headers=api.auth("NORTH", "contract_strategist"), json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


@pytest.mark.parametrize("point", DECISION_POINTS, ids=lambda p: f"{p[0]}-{p[1]}-{p[3]}")
def test_only_roles_with_a_mandate_can_take_a_decision_through_http(api: Api, point: tuple) -> None:  # type: ignore[type-arg]
    case_type, kind, setup, trigger, params = point
    decision = _decision_kind(case_type, kind, trigger)
    rule = ORDER_2026[decision]
    allowed = set(rule["delegates"]) | set(rule.get("substitutes", [])) | {Role.BOARD.value}
    for n, role in enumerate(Role):
        cid = _open(api, case_type, kind)
        for step, p in setup:
            r = api.client.post(
                f"/cases/{cid}/transitions",
                headers=api.auth("NORTH", "board"),
                json={"trigger": step, "reason": "setup", "registry_number": "NOR-2026-00100", "params": p},
            )
            assert r.status_code == 200, r.text
        options = api.client.get(f"/cases/{cid}/triggers", headers=api.auth("NORTH", role.value))
        assert options.status_code == 200, options.text
        offered = next(o for o in options.json() if o["trigger"] == trigger)
        r = api.client.post(
            f"/cases/{cid}/transitions",
            headers=api.auth("NORTH", role.value),
            json={"trigger": trigger, "reason": "decision", "registry_number": f"NOR-2026-{n:05d}", "params": params},
        )
        if role.value in allowed:
            assert r.status_code == 200, f"{role.value} holds {decision} but got {r.text}"
            assert r.json()["decision_id"] and r.json()["mandate"]
            assert offered["allowed"], offered
        else:
            assert r.status_code == 422, f"{role.value} took {decision} without a mandate: {r.text}"
            assert problem_of(r)["rule"] == "no_mandate"
            assert not offered["allowed"] and "mandate" in offered["why_not"]


def test_decisions_taken_through_http_are_listed_for_the_board(api: Api) -> None:
    cid = _open(api, "rectification_request", "supplementation")
    r = api.client.post(
        f"/cases/{cid}/transitions",
        headers=api.auth("NORTH", "contract_strategist"),
        json={
            "trigger": "send",
            "reason": "routine missing",
            "registry_number": "NOR-2026-00007",
            "params": {"response_due": "2026-03-20"},
        },
    )
    assert r.status_code == 200, r.text
    listed = api.client.get("/decisions?from=2026-03-01&to=2026-03-31", headers=api.auth("NORTH", "board_secretary"))
    assert [(d["decision_kind"], d["registry_number"], d["rule_ref"]) for d in listed.json()] == [
        ("request_supplementation", "NOR-2026-00007", "4.1")
    ]
    south = api.client.get("/decisions?from=2026-03-01&to=2026-03-31", headers=api.auth("SOUTH", "board_secretary"))
    assert south.json() == []
    order = api.client.get("/delegation-order", headers=api.auth("NORTH", "board_secretary")).json()
    assert order["version"] == "2026-1"
    assert {r["decision_kind"] for r in order["rules"]} >= {"terminate_agreement", "temporary_exclusion"}
