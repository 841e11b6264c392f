"""Retried POSTs never create twice; racing transitions on one case: one wins, the rest get 409."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.app import create_app
from tests.e2e.conftest import TEST_SETTINGS, Api, problem_of
from workflow.bootstrap import bootstrap
from workflow.schema.tables import CASE, EVENT

pytestmark = pytest.mark.e2e


def _count_cases(api: Api) -> int:
    with api.world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(CASE)).scalar_one())


def _body(api: Api, reason: str = "phone call from a relative") -> dict[str, Any]:
    return {
        "case_type": "complaint",
        "kind": "relative",
        "reason": reason,
        "agreement_id": api.world.agreements["north_calloff"],
    }


def test_a_retried_post_with_the_same_key_creates_once_and_replays_the_response(api: Api) -> None:
    h = {**api.auth("NORTH", "contract_strategist"), "Idempotency-Key": "complaint-2026-03-02-a"}
    before = _count_cases(api)
    first = api.client.post("/cases", headers=h, json=_body(api))
    again = api.client.post("/cases", headers=h, json=_body(api))
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert _count_cases(api) == before + 1


def test_the_same_key_with_another_body_is_refused_and_creates_nothing(api: Api) -> None:
    h = {**api.auth("NORTH", "contract_strategist"), "Idempotency-Key": "k-1"}
    assert api.client.post("/cases", headers=h, json=_body(api)).status_code == 201
    before = _count_cases(api)
    r = api.client.post("/cases", headers=h, json=_body(api, "another complaint"))
    assert r.status_code == 422
    assert problem_of(r)["rule"] == "idempotency_key_reused"
    assert _count_cases(api) == before


def test_keys_belong_to_their_user_and_posts_without_a_key_create_each_time(api: Api) -> None:
    before = _count_cases(api)
    for role in ("contract_strategist", "unit_manager"):
        h = {**api.auth("NORTH", role), "Idempotency-Key": "shared-key"}
        assert api.client.post("/cases", headers=h, json=_body(api)).status_code == 201
    h = api.auth("NORTH", "contract_strategist")
    assert api.client.post("/cases", headers=h, json=_body(api)).status_code == 201
    assert api.client.post("/cases", headers=h, json=_body(api)).status_code == 201
    assert _count_cases(api) == before + 4


def test_a_failed_create_stores_no_key_so_a_corrected_retry_works(api: Api) -> None:
    h = {**api.auth("NORTH", "contract_strategist"), "Idempotency-Key": "k-2"}
    bad = {**_body(api), "agreement_id": 999_999}
    assert api.client.post("/cases", headers=h, json=bad).status_code == 404
    assert api.client.post("/cases", headers=h, json=_body(api)).status_code == 201


def test_placements_and_agreements_are_idempotent_too(api: Api) -> None:
    h = {**api.auth("NORTH", "placement_coordinator"), "Idempotency-Key": "placement-1"}
    body = {"agreement_id": api.world.agreements["north_calloff"], "client_ref": "KL-0099", "starts_on": "2026-03-02"}
    a = api.client.post("/placements", headers=h, json=body)
    b = api.client.post("/placements", headers=h, json=body)
    assert a.status_code == b.status_code == 201, a.text
    assert a.json()["id"] == b.json()["id"]


def _race(api: Api, requests: list[tuple[str, dict[str, Any], dict[str, str]]]) -> list[Any]:
    async def go() -> list[Any]:
        app = create_app(bootstrap(TEST_SETTINGS, api.world.engine, api.world.clock))
        async with AsyncTestClient(app) as client:
            return list(await asyncio.gather(*(client.post(p, json=b, headers=h) for p, b, h in requests)))

    return asyncio.run(go())


def test_concurrent_posts_with_one_key_create_one_case(api: Api) -> None:
    h = {**api.auth("NORTH", "contract_strategist"), "Idempotency-Key": "racing-key"}
    before = _count_cases(api)
    responses = _race(api, [("/cases", _body(api), h)] * 6)
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert _count_cases(api) == before + 1


@pytest.mark.parametrize("rounds", [5])
def test_concurrent_transitions_on_one_case_one_wins_the_others_get_409(api: Api, rounds: int) -> None:
    h = api.auth("NORTH", "contract_strategist")
    for _ in range(rounds):
        cid = api.client.post("/cases", headers=h, json=_body(api)).json()["id"]
        triggers = ["investigate", "reject"] * 4
        reqs = [
            (f"/cases/{cid}/transitions", {"trigger": t, "reason": "race", "expected_version": 1}, h) for t in triggers
        ]
        responses = _race(api, reqs)
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] + [409] * (len(triggers) - 1), [r.text for r in responses]
        winner = next(r.json() for r in responses if r.status_code == 200)
        for r in responses:
            if r.status_code == 409:
                problem_of(r)
        with api.world.engine.connect() as conn:
            status, version = conn.execute(select(CASE.c.status, CASE.c.version).where(CASE.c.id == cid)).one()
            events = conn.execute(select(func.count()).select_from(EVENT).where(EVENT.c.case_id == cid)).scalar()
        assert (status, version, events) == (winner["to_status"], 2, 2)
