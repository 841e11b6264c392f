"""Every refusal is an RFC 9457 problem: 401, 403, 404, 409 and 422 with the rule that refused."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from tests.e2e.conftest import TEST_SETTINGS, Api, problem_of
from workflow.tokens import mint

pytestmark = pytest.mark.e2e


def _open_complaint(api: Api, org: str = "NORTH", role: str = "contract_strategist") -> dict:  # type: ignore[type-arg]
    agreement = api.world.agreements["north_calloff" if org == "NORTH" else "south_individual"]
    r = api.client.post(
        "/cases",
        headers=api.auth(org, role),
        json={
            "case_type": "complaint",
            "kind": "relative",
            "reason": "letter from a relative",
            "agreement_id": agreement,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_request_without_a_token_is_401_with_a_bearer_challenge(api: Api) -> None:
    r = api.client.get("/cases")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert problem_of(r)["type"].endswith("/unauthenticated")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "make",
    [
        lambda api: "not-a-jwt",
        lambda api: jwt.encode(
            {"sub": "north.board", "org": "NORTH", "exp": 9999999999},
            "a-wrong-key-of-sufficient-length-0123456789",
            "HS256",
        ),
        lambda api: mint(TEST_SETTINGS, "north.board", "NORTH", ["board"], now=api.world.clock() - timedelta(days=2)),
        lambda api: mint(TEST_SETTINGS, "north.board", "SOUTH", ["board"], now=api.world.clock()),
        lambda api: mint(TEST_SETTINGS, "nobody", "NORTH", ["board"], now=api.world.clock()),
    ],
    ids=["garbage", "wrong-key", "expired", "wrong-organisation", "unknown-user"],
)
def test_a_bad_token_is_401_and_says_nothing_of_the_data(api: Api, make) -> None:  # type: ignore[no-untyped-def]
    r = api.client.get("/cases", headers={"Authorization": f"Bearer {make(api)}"})
    assert r.status_code == 401
    problem_of(r)


def test_the_board_secretary_may_not_list_placements(api: Api) -> None:
    r = api.client.get("/placements", headers=api.auth("NORTH", "board_secretary"))
    assert r.status_code == 403
    assert problem_of(r)["rule"] == "role"


def test_an_unknown_case_and_another_boards_case_answer_the_same_404(api: Api) -> None:
    case = _open_complaint(api, "SOUTH")
    unknown = api.client.get("/cases/999999", headers=api.auth("NORTH", "contract_strategist"))
    foreign = api.client.get(f"/cases/{case['id']}", headers=api.auth("NORTH", "contract_strategist"))
    assert unknown.status_code == foreign.status_code == 404
    assert problem_of(foreign)["detail"] == f"case {case['id']} not found"
    assert "relative" not in foreign.text


def test_a_stale_expected_version_is_409(api: Api) -> None:
    case = _open_complaint(api)
    h = api.auth("NORTH", "contract_strategist")
    body = {"trigger": "investigate", "reason": "start", "expected_version": 1}
    assert api.client.post(f"/cases/{case['id']}/transitions", headers=h, json=body).status_code == 200
    r = api.client.post(f"/cases/{case['id']}/transitions", headers=h, json={**body, "trigger": "resolve"})
    assert r.status_code == 409
    assert problem_of(r)["type"].endswith("/conflict")  # type: ignore[union-attr]


def test_a_trigger_from_the_wrong_state_is_422_naming_the_rule(api: Api) -> None:
    case = _open_complaint(api)
    r = api.client.post(
        f"/cases/{case['id']}/transitions",
        headers=api.auth("NORTH", "contract_strategist"),
        json={"trigger": "resolve", "reason": "done"},
    )
    assert r.status_code == 422
    p = problem_of(r)
    assert p["rule"] == "wrong_state"
    assert "received" in p["detail"]  # type: ignore[operator]


def test_a_decision_without_a_mandate_is_422_no_mandate(api: Api) -> None:
    r = api.client.post(
        "/cases",
        headers=api.auth("NORTH", "contract_strategist"),
        json={"case_type": "agreement", "reason": "register", "agreement_id": api.world.agreements["north_calloff"]},
    )
    assert r.status_code == 201, r.text
    r = api.client.post(
        f"/cases/{r.json()['id']}/transitions",
        headers=api.auth("NORTH", "contract_strategist"),
        json={
            "trigger": "terminate",
            "reason": "insolvency",
            "registry_number": "NOR-2026-00001",
            "params": {"termination_reason": "insolvency", "initiator": "municipality"},
        },
    )
    assert r.status_code == 422
    assert problem_of(r)["rule"] == "no_mandate"


def test_a_role_that_may_not_fire_a_trigger_is_403(api: Api) -> None:
    case = _open_complaint(api)
    api.client.post(
        f"/cases/{case['id']}/transitions",
        headers=api.auth("NORTH", "contract_strategist"),
        json={"trigger": "investigate", "reason": "start"},
    )
    r = api.client.post(
        f"/cases/{case['id']}/transitions",
        headers=api.auth("NORTH", "social_worker"),
        json={"trigger": "escalate", "reason": "serious"},
    )
    assert r.status_code == 403
    assert problem_of(r)["rule"] == "role_not_permitted"


@pytest.mark.parametrize("field", ["organisation_id", "status", "version"])
def test_a_client_cannot_set_the_organisation_status_or_version(api: Api, field: str) -> None:
    r = api.client.post(
        "/cases",
        headers=api.auth("NORTH", "contract_strategist"),
        json={"case_type": "complaint", "kind": "client", "reason": "r", field: 1},
    )
    assert r.status_code == 422
    assert field in problem_of(r)["detail"] or field in str(problem_of(r).get("errors"))


def test_malformed_input_is_422_with_the_bad_fields(api: Api) -> None:
    r = api.client.post("/cases", headers=api.auth("NORTH", "contract_strategist"), json={"case_type": "nonsense"})
    assert r.status_code == 422
    assert problem_of(r)["rule"] == "schema"
    r = api.client.get("/cases?page_size=1000", headers=api.auth("NORTH", "contract_strategist"))
    assert r.status_code == 422


def test_health_and_readiness_need_no_token(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok"}
    ready = api.client.get("/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["database"] == "ok" and body["status"] in {"ready", "degraded"}
    assert body["status"] == ("ready" if body["mail"]["smtp"] == "ok" and not body["mail"]["stale"] else "degraded")


def test_an_unknown_filter_value_is_422_naming_it_not_an_empty_list(api: Api) -> None:
    auth = api.auth("NORTH", "contract_strategist")
    r = api.client.get("/cases", params={"status": "nonsense"}, headers=auth)
    assert r.status_code == 422 and r.json()["rule"] == "filter"
    assert "unknown status 'nonsense' for any case type" in r.json()["detail"]
    r = api.client.get("/cases", params={"case_type": "complaint", "status": "sent"}, headers=auth)
    assert r.status_code == 422 and "for a complaint" in r.json()["detail"]
    r = api.client.get("/cases", params={"kind": "nonsense"}, headers=auth)
    assert r.status_code == 422 and r.json()["rule"] == "filter"
    ok = api.client.get("/cases", params={"case_type": "complaint", "status": "received"}, headers=auth)
    assert ok.status_code == 200
