"""Recording after the fact through the API: occurred_on and late_reason on the transition body (issue 13).

The world's clock stands at 2026-03-02; the late-entry window is 30 days.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api, problem_of

pytestmark = pytest.mark.e2e


def _agreement_case(api: Api, **extra: object) -> int:
    r = api.client.post(
        "/cases",
        headers=api.auth("NORTH", "contract_strategist"),
        json={
            "case_type": "agreement",
            "reason": "lifecycle",
            "agreement_id": api.world.fresh_agreement(),  # an agreement has one agreement case
            **extra,
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["opened_on"] == extra.get("occurred_on", "2026-03-02")
    return int(r.json()["id"])


def _suspend(api: Api, cid: int, **extra: object) -> object:
    return api.client.post(
        f"/cases/{cid}/transitions",
        headers=api.auth("NORTH", "department_head"),
        json={
            "trigger": "suspend",
            "reason": "dormant",
            "registry_number": "NOR-2026-00042",
            "params": {"reason_code": "dormant", "evidence": "IVO"},
            **extra,
        },
    )


def test_a_decision_recorded_after_the_fact_keeps_its_decision_date_and_the_timeline_both_times(api: Api) -> None:
    cid = _agreement_case(api, occurred_on="2026-01-10", late_reason="from the paper file")
    r = _suspend(api, cid, occurred_on="2026-01-20", late_reason="minutes signed late")
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    case = api.client.get(f"/cases/{cid}", headers=api.auth("NORTH", "contract_strategist")).json()
    got = [(e["trigger"], e["occurred_on"], e["late_entry"], e["late_reason"]) for e in case["timeline"]]
    assert got == [
        ("open", "2026-01-10", True, "from the paper file"),
        ("suspend", "2026-01-20", True, "minutes signed late"),
    ]
    assert all(e["recorded_at"].startswith("2026-03-02") for e in case["timeline"])


@pytest.mark.parametrize(
    ("occurred_on", "late_reason", "rule"),
    [
        ("2026-03-03", None, "occurred_on_in_future"),
        ("2026-02-27", None, "occurred_on_before_opened"),
        ("2026-01-20", None, "late_entry_needs_reason"),
    ],
)
def test_a_date_the_rules_refuse_answers_422_naming_the_rule(
    api: Api, occurred_on: str, late_reason: str | None, rule: str
) -> None:
    cid = _agreement_case(api, occurred_on="2026-02-28")
    if rule == "late_entry_needs_reason":
        cid = _agreement_case(api, occurred_on="2026-01-10", late_reason="old")
    body = {"occurred_on": occurred_on} | ({"late_reason": late_reason} if late_reason else {})
    r = _suspend(api, cid, **body)
    assert r.status_code == 422, r.text  # type: ignore[attr-defined]
    assert problem_of(r)["rule"] == rule


def test_the_triggers_describe_the_date_and_the_late_entry_reason(api: Api) -> None:
    cid = _agreement_case(api, occurred_on="2026-02-20")
    r = api.client.get(f"/cases/{cid}/triggers", headers=api.auth("NORTH", "board"))
    terminate = next(o for o in r.json() if o["trigger"] == "terminate")
    when, late = terminate["event"]
    assert (when["name"], when["type"], when["minimum"], when["maximum"]) == (
        "occurred_on",
        "date",
        "2026-02-20",
        "2026-03-02",
    )
    assert "beslutsdatum" in when["label"]
    assert (late["name"], late["required"]) == ("late_reason", False)
    assert terminate["late_entry_before"] == "2026-01-31"


def test_the_openapi_document_describes_occurred_on_and_late_reason(api: Api) -> None:
    doc = api.client.get("/schema/openapi.json").json()
    body = doc["components"]["schemas"]["TransitionIn"]
    assert {"occurred_on", "late_reason"} <= set(body["properties"])
    assert "occurred_on_in_future" in str(body["properties"]["occurred_on"])
    assert "late_entry_needs_reason" in str(body["properties"]["late_reason"])
