"""The delegation order: the role × decision matrix, versions, substitutes, and the report to the board."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from states.registry import CASE_TYPES
from states.roles import Role
from tests.world import Clock, World, build_world
from workflow.cases.opening import open_case
from workflow.engine.decisions import decisions_under_delegation
from workflow.engine.delegation import DEFAULT_FILE, find_mandate, load_file
from workflow.engine.errors import InvalidInput, NoMandate

pytestmark = pytest.mark.integration

DOC = yaml.safe_load(DEFAULT_FILE.read_text())
ORDER_2026 = {r["decision_kind"]: r for r in DOC["orders"][1]["rules"]}

# (case type, kind, path of (trigger, params) reaching the decision, the decision trigger, its params)
DECISION_POINTS = [
    ("rectification_request", "supplementation", [], "send", {"response_due": "2026-03-30"}),
    ("rectification_request", "rectification", [], "send", {"response_due": "2026-03-30"}),
    ("call_off_suspension", None, [], "decide", {"reason_code": "ivo_remark", "evidence": "IVO decision"}),
    ("agreement", None, [], "open_termination_investigation", {}),
    ("agreement", None, [], "terminate", {"termination_reason": "insolvency", "initiator": "municipality"}),
    ("agreement", None, [], "rescind", {"rescission_ground": "permit_not_applied"}),
    ("agreement", None, [("suspend", {"reason_code": "dormant", "evidence": "e"})], "reinstate", {}),
]


def _decision_kind(case_type: str, kind: str | None, trigger: str) -> str:
    spec = CASE_TYPES[case_type]
    tr = next(t for t in spec.transitions if t.trigger == trigger)
    assert tr.decision
    return tr.decision.format(kind=kind)


@pytest.mark.parametrize("point", DECISION_POINTS, ids=lambda p: f"{p[0]}-{p[1]}-{p[3]}")
def test_only_roles_holding_a_mandate_can_take_a_decision(world: World, point: tuple) -> None:  # type: ignore[type-arg]
    case_type, kind, setup, trigger, params = point
    decision = _decision_kind(case_type, kind, trigger)
    rule = ORDER_2026[decision]
    allowed = set(rule["delegates"]) | set(rule.get("substitutes", [])) | {Role.BOARD.value}
    for n, role in enumerate(Role):
        strategist = world.actor("NORTH", "contract_strategist")
        # An agreement has one agreement case: each role decides on a fresh agreement's case.
        agreement = world.fresh_agreement() if case_type == "agreement" else world.agreements["north_calloff"]
        cid = open_case(world.wf, case_type, strategist, "matrix", kind=kind, agreement_id=agreement).case_id
        for step, p in setup:
            world.wf.fire(cid, step, world.actor("NORTH", "board"), "setup", registry_number="NOR-2026-00100", params=p)
        try:
            res = world.wf.fire(
                cid,
                trigger,
                world.actor("NORTH", role.value),
                "decision",
                registry_number=f"NOR-2026-{n:05d}",
                params=params,
            )
        except NoMandate:
            assert role.value not in allowed, f"{role.value} holds {decision} but was refused"
            continue
        assert role.value in allowed, f"{role.value} took {decision} without a mandate"
        assert res.decision_id is not None and res.mandate


def test_terminations_and_rescissions_are_for_the_board_alone() -> None:
    assert ORDER_2026["terminate_agreement"]["delegates"] == ["board"]
    assert ORDER_2026["rescind_agreement"]["delegates"] == ["board"]
    assert "contract_strategist" in ORDER_2026["request_supplementation"]["delegates"]
    assert "contract_strategist" in ORDER_2026["request_rectification"]["delegates"]


def test_the_version_in_force_on_the_decision_date_decides(engine: Engine) -> None:
    world = build_world(
        engine, Clock(__import__("datetime").datetime(2025, 6, 2, 9, tzinfo=__import__("datetime").UTC))
    )
    cid = open_case(
        world.wf,
        "rectification_request",
        world.actor("NORTH", "contract_strategist"),
        "r",
        kind="rectification",
        agreement_id=world.agreements["north_calloff"],
    ).case_id
    with pytest.raises(NoMandate):  # in 2025 only unit managers could request rectification
        world.wf.fire(
            cid,
            "send",
            world.actor("NORTH", "contract_strategist"),
            "r",
            registry_number="NOR-2025-1",
            params={"response_due": "2025-06-30"},
        )
    res = world.wf.fire(
        cid,
        "send",
        world.actor("NORTH", "unit_manager"),
        "r",
        registry_number="NOR-2025-1",
        params={"response_due": "2025-06-30"},
    )
    assert "2025-1 item 4.2" in (res.mandate or "")


def test_a_substitute_decision_is_recorded_as_such(world: World) -> None:
    with world.engine.connect() as conn:
        m = find_mandate(conn, world.orgs["NORTH"], "temporary_exclusion", ("director",), date(2026, 3, 2))
    assert m is not None and m.substitute and m.rule_ref == "4.3" and m.under_delegation


def test_decisions_under_delegation_are_listed_for_the_board_without_its_own(world: World) -> None:
    a = world.actor("NORTH", "contract_strategist")
    cid = open_case(
        world.wf,
        "rectification_request",
        a,
        "r",
        kind="supplementation",
        agreement_id=world.agreements["north_calloff"],
    ).case_id
    world.wf.fire(
        cid, "send", a, "routine missing", registry_number="NOR-2026-00007", params={"response_due": "2026-03-20"}
    )
    ag = open_case(world.wf, "agreement", a, "reg", agreement_id=world.agreements["north_calloff"]).case_id
    world.wf.fire(
        ag,
        "terminate",
        world.actor("NORTH", "board"),
        "insolvency",
        registry_number="NOR-2026-00008",
        params={"termination_reason": "insolvency", "initiator": "municipality"},
    )
    south = open_case(
        world.wf,
        "rectification_request",
        world.actor("SOUTH", "contract_strategist"),
        "r",
        kind="supplementation",
        agreement_id=world.agreements["south_individual"],
    ).case_id
    world.wf.fire(
        south,
        "send",
        world.actor("SOUTH", "contract_strategist"),
        "r",
        registry_number="SOU-2026-1",
        params={"response_due": "2026-03-20"},
    )
    with world.engine.connect() as conn:
        listed = decisions_under_delegation(conn, world.orgs["NORTH"], date(2026, 3, 1), date(2026, 3, 31))
        with_board = decisions_under_delegation(
            conn, world.orgs["NORTH"], date(2026, 3, 1), date(2026, 3, 31), include_board=True
        )
        before = decisions_under_delegation(conn, world.orgs["NORTH"], date(2026, 2, 1), date(2026, 3, 1))
    assert [(d.decision_kind, d.registry_number, d.rule_ref, d.role) for d in listed] == [
        ("request_supplementation", "NOR-2026-00007", "4.1", "contract_strategist")
    ]
    assert [d.decision_kind for d in with_board] == ["request_supplementation", "terminate_agreement"]
    assert before == []


def test_a_delegation_order_naming_an_unknown_role_is_refused(world: World, tmp_path: Path) -> None:
    bad = yaml.safe_load(DEFAULT_FILE.read_text())
    bad["orders"][1]["version"] = "2027-1"
    bad["orders"][1]["rules"][0]["delegates"] = ["janitor"]
    path = tmp_path / "order.yaml"
    path.write_text(yaml.safe_dump(bad))
    with world.engine.begin() as conn, pytest.raises(InvalidInput, match="unknown roles"):
        load_file(conn, path)


def test_a_delegation_order_that_leaves_a_decision_kind_uncovered_is_refused(world: World, tmp_path: Path) -> None:
    bad = yaml.safe_load(DEFAULT_FILE.read_text())
    bad["orders"][1]["rules"] = [r for r in bad["orders"][1]["rules"] if r["decision_kind"] != "rescind_agreement"]
    path = tmp_path / "order.yaml"
    path.write_text(yaml.safe_dump(bad))
    with world.engine.begin() as conn, pytest.raises(InvalidInput, match="rescind_agreement"):
        load_file(conn, path)


def test_loading_the_same_order_twice_adds_nothing(world: World) -> None:
    with world.engine.begin() as conn:
        assert load_file(conn) == 0
