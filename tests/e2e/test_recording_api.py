"""Recording invoice samples, individual follow-ups and follow-up owners through HTTP, seen in the reports."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api, problem_of

pytestmark = pytest.mark.e2e

PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}
ANSWERS = {"A1": "approved", "A2": "approved", "A3": "very_good", "A4": "approved", "C1": "approved"}


def _table(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in report["tables"] if t["key"] == name)


def _round(api: Api, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "round_label": "2026 spring",
        "sampled_on": "2026-03-10",
        "selection": "random_invoices",
        "invoices": [
            {"invoice_ref": "F-1", "correct": True, "agreement_id": api.world.agreements["north_calloff"]},
            {"invoice_ref": "F-2", "correct": False, "error_type": "wrong_price"},
            {"invoice_ref": "F-3", "correct": False, "error_type": "move_out_day_billed"},
        ],
    }
    body.update(overrides)
    return body


def test_an_invoice_round_is_stored_once_per_key_and_counted_in_the_annual_report(api: Api) -> None:
    h = {**api.auth("NORTH", "contract_strategist"), "Idempotency-Key": "round-1"}
    first = api.client.post("/invoice-samples", headers=h, json=_round(api))
    again = api.client.post("/invoice-samples", headers=h, json=_round(api))
    assert (first.status_code, first.json()) == (201, {"round_label": "2026 spring", "stored": 3})
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
    report = api.client.get("/reports/annual", params=PERIOD, headers=api.auth("NORTH", "board_secretary")).json()
    rows = _table(report, "invoice_sampling")["rows"]
    assert [(r["round"], r["sampled"], r["with_errors"]) for r in rows] == [("2026 spring", 3, 2)]


def test_bad_invoice_rounds_are_refused_and_store_nothing(api: Api) -> None:
    h = api.auth("NORTH", "contract_strategist")
    bad = [
        _round(api, invoices=[]),
        _round(api, selection="whatever"),
        _round(api, invoices=[{"invoice_ref": "F-1", "correct": False}]),
        _round(api, invoices=[{"invoice_ref": "F-1", "correct": True, "error_type": "wrong_price"}]),
        _round(api, invoices=[{"invoice_ref": "F-1", "correct": True}, {"invoice_ref": "F-1", "correct": True}]),
        _round(api, invoices=[{"invoice_ref": "F-1", "correct": True, "agreement_id": 999_999}]),
        _round(
            api,
            invoices=[
                {"invoice_ref": "F-1", "correct": True, "agreement_id": api.world.agreements["south_individual"]}
            ],
        ),
    ]
    statuses = [api.client.post("/invoice-samples", headers=h, json=b).status_code for b in bad]
    assert statuses == [422, 422, 422, 422, 422, 404, 404]
    report = api.client.get("/reports/annual", params=PERIOD, headers=h).json()
    assert _table(report, "invoice_sampling")["rows"] == []
    r = api.client.post("/invoice-samples", headers=api.auth("NORTH", "board"), json=_round(api))
    assert r.status_code == 403 and problem_of(r)["status"] == 403


def test_an_individual_follow_up_is_recorded_inside_the_ordering_board_only(api: Api) -> None:
    pid = api.world.placements["north"]
    h = api.auth("NORTH", "social_worker")
    ok = api.client.post(
        f"/placements/{pid}/individual-follow-ups", headers=h, json={"performed_on": "2026-04-01", "answers": ANSWERS}
    )
    assert ok.status_code == 201 and ok.json()["registered"] is True
    unregistered = api.client.post(
        f"/placements/{pid}/individual-follow-ups", headers=h, json={"performed_on": "2026-05-01"}
    )
    assert unregistered.status_code == 201 and unregistered.json()["registered"] is False
    report = api.client.get("/reports/individual", params=PERIOD, headers=api.auth("NORTH", "unit_manager")).json()
    registration = report["tables"][0]["rows"]
    assert sum(r.get("performed", 0) or 0 for r in registration) == 2
    missing = {k: v for k, v in ANSWERS.items() if k != "A4"}
    r = api.client.post(
        f"/placements/{pid}/individual-follow-ups", headers=h, json={"performed_on": "2026-04-01", "answers": missing}
    )
    assert r.status_code == 422 and "A4" in str(problem_of(r)["detail"])
    for org, role in (("SOUTH", "social_worker"), ("CENTRAL", "contract_strategist")):
        r = api.client.post(
            f"/placements/{pid}/individual-follow-ups",
            headers=api.auth(org, role),
            json={"performed_on": "2026-04-01", "answers": ANSWERS},
        )
        assert r.status_code == 404
    r = api.client.post(
        f"/placements/{pid}/individual-follow-ups",
        headers=api.auth("NORTH", "board_secretary"),
        json={"performed_on": "2026-04-01"},
    )
    assert r.status_code == 403


def test_a_units_follow_up_owner_is_a_user_of_the_callers_board(api: Api) -> None:
    provider = api.world.providers["Acme Care AB"]
    owner = api.world.users[("NORTH", "contract_strategist")]
    h = api.auth("NORTH", "unit_manager")
    r = api.client.put(
        f"/providers/{provider}/follow-up-owner", headers=h, json={"owner_id": owner, "since": "2026-01-01"}
    )
    assert r.status_code == 200 and r.json() == {"provider_id": provider, "owner_id": owner, "since": "2026-01-01"}
    foreign = api.world.users[("SOUTH", "contract_strategist")]
    r = api.client.put(
        f"/providers/{provider}/follow-up-owner", headers=h, json={"owner_id": foreign, "since": "2026-01-01"}
    )
    assert r.status_code == 404
    r = api.client.put("/providers/999999/follow-up-owner", headers=h, json={"owner_id": owner, "since": "2026-01-01"})
    assert r.status_code == 404
