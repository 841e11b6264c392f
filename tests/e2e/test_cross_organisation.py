"""No cross-organisation read or write through the API, tried at random on the demo municipality.

Tokens of the central board and three districts try every list (with random filters),
random ids of every kind of object, and writes on other boards' objects. What comes
back must be exactly what the secrecy rules allow (the oracle below restates them
independently of ``workflow.cases.scoping``), refused writes answer 404 (403 where the object is
a shared register the caller may read but not change), and nothing changes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select

from tests.apps import app_for
from tests.e2e.conftest import TEST_SETTINGS
from tests.world import Clock
from workflow.bootstrap import bootstrap
from workflow.schema.tables import AccessLog, Agreement, AppUser, Case, Organisation, Placement
from workflow.tokens import mint

pytestmark = pytest.mark.e2e

CALLERS = [
    ("SN", "strateg"),
    ("SN", "sekreterare"),
    ("NORRMALM", "socsek"),
    ("NORRMALM", "ordforande"),
    ("SODERMALM", "strateg"),
    ("FARSTA", "samordnare"),
]
SHARED_TYPES = {"framework_lou", "lov"}
INDIVIDUAL_TYPES = {"implementation_plan", "monthly_report"}
AGGREGATE_ROLES = {"board", "board_secretary"}
PLACING_ROLES = {"social_worker", "placement_coordinator", "unit_manager", "needs_assessor"}
CONTRACT_ROLES = {"contract_strategist", "placement_coordinator", "unit_manager", "department_head", "director"}
T = {m.__name__: m.__table__ for m in (Case, Placement, Agreement, AppUser, Organisation, AccessLog)}  # type: ignore[attr-defined]


@dataclass
class Caller:
    org_id: int
    user_id: int
    roles: set[str]
    headers: dict[str, str]

    @property
    def aggregate_only(self) -> bool:
        return self.roles <= AGGREGATE_ROLES


@dataclass
class Demo:
    client: TestClient  # type: ignore[type-arg]
    engine: Engine
    cases: dict[int, Any]
    placements: dict[int, Any]
    agreements: dict[int, Any]
    callers: dict[tuple[str, str], Caller]

    def snapshot(self) -> list[Any]:
        with self.engine.connect() as conn:
            return [
                conn.execute(select(T["Case"].c.id, T["Case"].c.status, T["Case"].c.version).order_by("id")).all(),
                conn.execute(select(T["Placement"]).order_by("id")).all(),
                conn.execute(select(T["Agreement"]).order_by("id")).all(),
            ]


@pytest.fixture
def demo(demo_engine: tuple[Engine, Clock]) -> Iterator[Demo]:
    engine, clock = demo_engine
    with engine.connect() as conn:
        cases = {r.id: r for r in conn.execute(select(T["Case"]))}
        placements = {r.id: r for r in conn.execute(select(T["Placement"]))}
        agreements = {r.id: r for r in conn.execute(select(T["Agreement"]))}
        users = conn.execute(
            select(
                T["AppUser"].c.username, T["AppUser"].c.id, T["AppUser"].c.roles, T["Organisation"].c.id.label("org")
            ).join(T["Organisation"], T["Organisation"].c.id == T["AppUser"].c.organisation_id)
        ).all()
    by_name = {u.username: u for u in users}
    callers = {}
    for code, suffix in CALLERS:
        u = by_name[f"{code.lower()}.{suffix}"]
        token = mint(TEST_SETTINGS, u.username, code, list(u.roles), now=clock())
        callers[(code, suffix)] = Caller(u.org, u.id, set(u.roles), {"Authorization": f"Bearer {token}"})
    with TestClient(app_for(bootstrap(TEST_SETTINGS, engine, clock)), raise_server_exceptions=False) as client:
        yield Demo(client, engine, cases, placements, agreements, callers)


# --- the oracle: the secrecy rules restated -------------------------------------------------------------------------


def case_visible(c: Caller, row: Any) -> bool:
    individual = row.case_type in INDIVIDUAL_TYPES or row.placement_id is not None
    return bool(row.organisation_id == c.org_id and not (individual and c.aggregate_only))


def placement_visible(c: Caller, row: Any) -> bool:
    return bool(row.organisation_id == c.org_id and not c.aggregate_only)


def agreement_visible(c: Caller, row: Any) -> bool:
    return bool(row.organisation_id == c.org_id or row.agreement_type in SHARED_TYPES)


def _all_pages(client: TestClient, path: str, headers: dict[str, str], params: dict[str, Any]) -> list[Any]:  # type: ignore[type-arg]
    items: list[Any] = []
    page = 1
    while True:
        r = client.get(path, headers=headers, params={**params, "page": page, "page_size": 100})
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        if page * 100 >= body["total"]:
            assert len(items) == body["total"]
            return items
        page += 1


def test_lists_with_random_filters_show_exactly_what_the_rules_allow(demo: Demo) -> None:
    rng = random.Random(20260302)
    case_rows = list(demo.cases.values())
    for (code, suffix), caller in demo.callers.items():
        for _ in range(12):
            filters: dict[str, Any] = {}
            probe = rng.choice(case_rows)
            for name in rng.sample(["case_type", "status", "provider_id", "agreement_id", "placement_id", "mine"], 2):
                filters[name] = "true" if name == "mine" else getattr(probe, name)
            filters = {k: v for k, v in filters.items() if v is not None}
            got = {c["id"] for c in _all_pages(demo.client, "/cases", caller.headers, filters)}
            expected = {
                r.id
                for r in case_rows
                if case_visible(caller, r)
                and all(
                    (r.owner_id == caller.user_id) if k == "mine" else getattr(r, k) == v for k, v in filters.items()
                )
            }
            assert got == expected, (code, suffix, filters)
        agreements = {a["id"] for a in _all_pages(demo.client, "/agreements", caller.headers, {})}
        assert agreements == {i for i, r in demo.agreements.items() if agreement_visible(caller, r)}
        r = demo.client.get("/placements", headers=caller.headers, params={"page_size": 100})
        if caller.aggregate_only:
            assert r.status_code == 403
        else:
            assert {p["id"] for p in r.json()["items"]} == {
                i for i, p in demo.placements.items() if placement_visible(caller, p)
            }
        decisions = demo.client.get(
            "/decisions", headers=caller.headers, params={"from": "2025-01-01", "to": "2026-12-31"}
        )
        assert decisions.status_code == 200
        assert all(demo.cases[d["case_id"]].organisation_id == caller.org_id for d in decisions.json())


def test_reads_of_random_ids_answer_404_outside_scope_and_never_show_content(demo: Demo) -> None:
    rng = random.Random(17)
    for caller in demo.callers.values():
        for cid in rng.sample(sorted(demo.cases), 40):
            row = demo.cases[cid]
            for path in (f"/cases/{cid}", f"/cases/{cid}/triggers"):
                r = demo.client.get(path, headers=caller.headers)
                assert r.status_code == (200 if case_visible(caller, row) else 404), (path, r.text)
                if r.status_code == 404:
                    assert row.title not in r.text or not row.title
        for pid in rng.sample(sorted(demo.placements), 10):
            r = demo.client.get(f"/placements/{pid}", headers=caller.headers)
            expected = (
                403 if caller.aggregate_only else (200 if placement_visible(caller, demo.placements[pid]) else 404)
            )
            assert r.status_code == expected
            if expected != 200:
                assert demo.placements[pid].client_ref not in r.text
        for aid in rng.sample(sorted(demo.agreements), 15):
            r = demo.client.get(f"/agreements/{aid}", headers=caller.headers)
            assert r.status_code == (200 if agreement_visible(caller, demo.agreements[aid]) else 404)


def test_writes_on_other_boards_objects_are_refused_and_change_nothing(demo: Demo) -> None:
    rng = random.Random(99)
    before = demo.snapshot()
    for caller in demo.callers.values():
        foreign_cases = [r for r in demo.cases.values() if r.organisation_id != caller.org_id]
        for row in rng.sample(foreign_cases, 15):
            r = demo.client.post(
                f"/cases/{row.id}/transitions",
                headers=caller.headers,
                json={"trigger": rng.choice(["investigate", "close", "cancel", "approve", "escalate"]), "reason": "x"},
            )
            assert r.status_code == 404, r.text
        foreign_placements = [p for p in demo.placements.values() if p.organisation_id != caller.org_id]
        for p in rng.sample(foreign_placements, 5):
            r = demo.client.patch(f"/placements/{p.id}", headers=caller.headers, json={"ends_on": "2026-12-31"})
            # 403 only where the caller's roles may change no placement at all (whatever the id); else 404.
            assert r.status_code == (404 if caller.roles & PLACING_ROLES and not caller.aggregate_only else 403)
            r = demo.client.post(
                "/cases",
                headers=caller.headers,
                json={"case_type": "implementation_plan", "reason": "x", "placement_id": p.id},
            )
            assert r.status_code in (403, 404), r.text
        for a in demo.agreements.values():
            if a.organisation_id == caller.org_id:
                continue
            r = demo.client.patch(f"/agreements/{a.id}", headers=caller.headers, json={"purchase_value_sek": 1})
            if not caller.roles & CONTRACT_ROLES:
                assert r.status_code == 403, r.text
            else:
                assert r.status_code == (403 if a.agreement_type in SHARED_TYPES else 404), r.text
            if a.agreement_type not in SHARED_TYPES:
                r = demo.client.post(
                    "/cases",
                    headers=caller.headers,
                    json={"case_type": "deviation", "kind": "invoice_error", "reason": "x", "agreement_id": a.id},
                )
                assert r.status_code in (403, 404), r.text
                r = demo.client.post(
                    "/placements",
                    headers=caller.headers,
                    json={"agreement_id": a.id, "client_ref": "KL-X", "starts_on": "2026-03-02"},
                )
                assert r.status_code in (403, 404), r.text
    assert demo.snapshot() == before


def test_reading_individual_records_is_logged(demo: Demo) -> None:
    caller = demo.callers[("NORRMALM", "socsek")]
    pid = next(i for i, p in demo.placements.items() if p.organisation_id == caller.org_id)
    plan = next(r.id for r in demo.cases.values() if r.case_type == "implementation_plan" and case_visible(caller, r))
    assert demo.client.get(f"/placements/{pid}", headers=caller.headers).status_code == 200
    assert demo.client.get(f"/cases/{plan}", headers=caller.headers).status_code == 200
    with demo.engine.connect() as conn:
        log = T["AccessLog"]
        rows = conn.execute(select(log.c.entity, log.c.entity_id, log.c.action).where(log.c.user_id == caller.user_id))
        logged = set(rows)
        total = conn.execute(select(func.count()).select_from(log)).scalar_one()
    assert {("placement", pid, "read"), ("case", plan, "read")} <= logged
    assert total == len(logged)
