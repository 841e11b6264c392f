"""A day's work through the API: registers, placements, case lists, timelines and diagrams."""

from __future__ import annotations

import time
from typing import Any

import pytest
import structlog.contextvars
import structlog.testing
from sqlalchemy import select

from tests.e2e.conftest import Api, problem_of
from workflow.schema.tables import AccessLog

pytestmark = pytest.mark.e2e


def test_a_strategist_registers_a_provider_an_area_and_a_call_off_agreement(api: Api) -> None:
    h = api.auth("NORTH", "contract_strategist")
    p = api.client.post("/providers", headers=h, json={"org_number": "556677-8899", "name": "Nya Vård AB"})
    assert p.status_code == 201, p.text
    assert p.json()["owner_organisation_id"] is None
    dup = api.client.post("/providers", headers=h, json={"org_number": "556677-8899", "name": "Again AB"})
    assert dup.status_code == 409
    area = api.client.post("/contract-areas", headers=h, json={"code": "local_hvb", "name": "HVB", "regime": "LOU"})
    assert area.status_code == 201 and area.json()["organisation_id"] == api.world.orgs["NORTH"]
    body: dict[str, Any] = {
        "registry_number": "NOR-2026-00042",
        "agreement_type": "individual",
        "provider_id": p.json()["id"],
        "starts_on": "2026-03-01",
        "ends_on": "2026-12-31",
        "contract_area_id": area.json()["id"],
        "purchase_value_sek": 750000,
    }
    a = api.client.post("/agreements", headers=h, json=body)
    assert a.status_code == 201, a.text
    assert (a.json()["status"], a.json()["organisation_id"]) == ("active", api.world.orgs["NORTH"])
    changed = api.client.patch(f"/agreements/{a.json()['id']}", headers=h, json={"ends_on": "2027-06-30"})
    assert changed.status_code == 200 and changed.json()["ends_on"] == "2027-06-30"
    bad = api.client.patch(f"/agreements/{a.json()['id']}", headers=h, json={"ends_on": "2020-01-01"})
    assert bad.status_code == 422
    listed = api.client.get("/agreements", headers=h, params={"provider_id": p.json()["id"]}).json()
    assert [x["id"] for x in listed["items"]] == [a.json()["id"]]


def test_a_call_off_must_name_a_framework_with_the_same_provider(api: Api) -> None:
    h = api.auth("NORTH", "contract_strategist")
    body = {
        "registry_number": "NOR-2026-00043",
        "agreement_type": "call_off",
        "provider_id": api.world.providers["Beta Stöd AB"],
        "starts_on": "2026-03-01",
        "parent_id": api.world.agreements["framework"],
    }
    r = api.client.post("/agreements", headers=h, json=body)
    assert r.status_code == 422 and "same provider" in str(problem_of(r)["detail"])


def test_a_placement_opens_its_implementation_plan_and_its_reads_are_logged(api: Api) -> None:
    h = api.auth("NORTH", "social_worker")
    r = api.client.post(
        "/placements",
        headers=h,
        json={
            "agreement_id": api.world.agreements["north_calloff"],
            "client_ref": "KL-0100",
            "starts_on": "2026-03-02",
        },
    )
    assert r.status_code == 201, r.text
    placement = r.json()
    assert placement["social_worker_id"] == api.world.users[("NORTH", "social_worker")]
    plans = api.client.get("/cases", headers=h, params={"placement_id": placement["id"]}).json()["items"]
    assert [(c["case_type"], c["status"]) for c in plans] == [("implementation_plan", "requested")]
    detail = api.client.get(f"/cases/{plans[0]['id']}", headers=h).json()
    assert detail["deadlines"] and detail["deadlines"][0]["status"] == "pending"
    assert api.client.get(f"/placements/{placement['id']}", headers=h).status_code == 200
    with api.world.engine.connect() as conn:
        log = AccessLog.__table__  # type: ignore[attr-defined]
        logged = set(conn.execute(select(log.c.entity, log.c.entity_id, log.c.action)))
    assert {("placement", placement["id"], "read"), ("case", plans[0]["id"], "read")} <= logged
    ended = api.client.patch(f"/placements/{placement['id']}", headers=h, json={"ends_on": "2026-06-30"})
    assert ended.status_code == 200 and ended.json()["ends_on"] == "2026-06-30"


def test_the_board_secretary_sees_contract_level_cases_but_no_individual_ones(api: Api) -> None:
    sw = api.auth("NORTH", "social_worker")
    api.client.post(
        "/placements",
        headers=sw,
        json={
            "agreement_id": api.world.agreements["north_calloff"],
            "client_ref": "KL-0101",
            "starts_on": "2026-03-02",
        },
    )
    api.client.post(
        "/cases",
        headers=api.auth("NORTH", "contract_strategist"),
        json={
            "case_type": "deviation",
            "kind": "invoice_error",
            "reason": "r",
            "agreement_id": api.world.agreements["north_calloff"],
        },
    )
    secretary = api.client.get("/cases", headers=api.auth("NORTH", "board_secretary")).json()["items"]
    worker = api.client.get("/cases", headers=sw).json()["items"]
    assert {c["case_type"] for c in secretary} == {"deviation"}
    assert {c["case_type"] for c in worker} == {"deviation", "implementation_plan"}
    plan = next(c for c in worker if c["case_type"] == "implementation_plan")
    assert api.client.get(f"/cases/{plan['id']}", headers=api.auth("NORTH", "board_secretary")).status_code == 404


def test_my_cases_overdue_first_and_the_timeline_of_a_case(api: Api) -> None:
    h = api.auth("NORTH", "contract_strategist")
    ids = []
    for _ in range(3):
        r = api.client.post(
            "/cases",
            headers=h,
            json={
                "case_type": "complaint",
                "kind": "client",
                "reason": "r",
                "agreement_id": api.world.agreements["north_calloff"],
            },
        )
        ids.append(r.json()["id"])
    api.client.post(f"/cases/{ids[1]}/transitions", headers=h, json={"trigger": "investigate", "reason": "look"})
    api.world.clock.advance(days=10)  # the acknowledgement deadline (5 working days) of the others has passed
    h = api.auth("NORTH", "contract_strategist")
    listed = api.client.get("/cases", headers=h, params={"mine": "true", "sort": "overdue_first"}).json()["items"]
    assert [c["overdue"] for c in listed] == [True, True, False]
    assert listed[-1]["id"] == ids[1]
    assert {c["id"] for c in api.client.get("/cases", headers=h, params={"overdue": "true"}).json()["items"]} == {
        ids[0],
        ids[2],
    }
    other = api.client.get("/cases", headers=api.auth("NORTH", "unit_manager"), params={"mine": "true"}).json()
    assert other["total"] == 0
    detail = api.client.get(f"/cases/{ids[1]}", headers=h).json()
    assert [(e["trigger"], e["to_status"]) for e in detail["timeline"]] == [
        ("open", "received"),
        ("investigate", "investigating"),
    ]
    assert [d["kind"] for d in detail["deadlines"]] == ["complaint_investigation"]
    page = api.client.get("/cases", headers=h, params={"page_size": 2, "page": 2, "sort": "id"}).json()
    assert (page["total"], [c["id"] for c in page["items"]]) == (3, [ids[2]])


def test_every_case_type_has_a_diagram_drawn_from_its_table(api: Api) -> None:
    h = api.auth("CENTRAL", "board_secretary")
    types = api.client.get("/case-types", headers=h).json()
    assert {"follow_up", "deviation", "complaint", "agreement"} <= {t["case_type"] for t in types}
    for t in types:
        d = api.client.get(f"/case-types/{t['case_type']}/diagram", headers=h).json()
        assert d["mermaid"].startswith("stateDiagram-v2") and f"[*] --> {t['initial']}" in d["mermaid"]
    assert api.client.get("/case-types/nonsense/diagram", headers=h).status_code == 404


def test_request_logs_carry_ids_and_never_the_token_or_the_reason(api: Api) -> None:
    h = {**api.auth("NORTH", "contract_strategist"), "X-Request-ID": "req-42"}
    token = h["Authorization"].split()[1]
    r = api.client.post(
        "/cases",
        headers=h,
        json={
            "case_type": "complaint",
            "kind": "client",
            "reason": "Anna Andersson called",
            "agreement_id": api.world.agreements["north_calloff"],
        },
    )
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        t = api.client.post(
            f"/cases/{r.json()['id']}/transitions",
            headers=h,
            json={"trigger": "investigate", "reason": "Anna Andersson again"},
        )
        # The access line is written after the response has left, on the app's thread: wait for it.
        deadline = time.monotonic() + 5
        while not any(e["event"] == "http.request" for e in logs) and time.monotonic() < deadline:
            time.sleep(0.01)
    assert t.status_code == 200 and t.headers["x-request-id"] == "req-42"
    line = next(e for e in logs if e["event"] == "http.request")
    assert (line["request_id"], line["case_id"], line["status"]) == ("req-42", r.json()["id"], 200)
    assert (line["user_id"], line["organisation_id"]) == (
        api.world.users[("NORTH", "contract_strategist")],
        api.world.orgs["NORTH"],
    )
    text = repr(logs)
    assert token not in text and "Bearer" not in text and "Anna" not in text
