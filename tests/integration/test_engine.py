"""The engine's command: transitions, refusals that write nothing, decisions and mandates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.world import World
from workflow.cases.opening import open_case
from workflow.engine.errors import (
    Conflict,
    GuardFailed,
    InHouseRefused,
    InvalidInput,
    NoMandate,
    NotFound,
    NotPermitted,
    UnknownTrigger,
    WrongState,
)
from workflow.schema.tables import Case, CaseEvent, Deadline, Decision, Outbox

pytestmark = pytest.mark.integration


def snapshot(engine: Engine) -> dict[str, Any]:
    """Every row the engine writes, for checking that a refusal changed nothing."""
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for model in (Case, CaseEvent, Deadline, Decision, Outbox):
            t = model.__table__  # type: ignore[attr-defined]
            out[t.name] = [tuple(r) for r in conn.execute(select(t).order_by(t.c.id))]
    return out


def rectification(world: World, agreement: str = "north_calloff", kind: str = "rectification") -> int:
    return open_case(
        world.wf,
        "rectification_request",
        world.actor("NORTH", "contract_strategist"),
        "deficient routines",
        kind=kind,
        agreement_id=world.agreements[agreement],
    ).case_id


def test_opening_a_case_writes_one_event_and_its_first_deadline(world: World) -> None:
    cid = open_case(
        world.wf,
        "deviation",
        world.actor("NORTH", "social_worker"),
        "invoice error",
        kind="invoice_error",
        placement_id=world.placements["north"],
    ).case_id
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == cid)).scalar() == 1
        d = conn.execute(select(Deadline.__table__).where(Deadline.__table__.c.case_id == cid)).mappings().one()
    assert d["kind"] == "deviation_triage" and d["status"] == "pending" and d["rule_version"]


def test_strategist_sends_a_rectification_request_with_a_registry_number(world: World) -> None:
    cid = rectification(world)
    res = world.wf.fire(
        cid,
        "send",
        world.actor("NORTH", "contract_strategist"),
        "serious deficiencies",
        registry_number="NOR-2026-00012",
        params={"response_due": "2026-03-20"},
    )
    assert (res.from_status, res.to_status, res.version) == ("drafted", "sent", 2)
    assert res.decision_id is not None and "4.2" in (res.mandate or "")
    with world.engine.connect() as conn:
        dl = (
            conn.execute(
                select(Deadline.__table__).where(
                    Deadline.__table__.c.case_id == cid, Deadline.__table__.c.status == "pending"
                )
            )
            .mappings()
            .one()
        )
        ob = conn.execute(select(Outbox.__table__).where(Outbox.__table__.c.case_id == cid)).mappings().one()
    assert dl["kind"] == "provider_response"
    assert dl["due_at"].date() == date(2026, 3, 20)  # end of 20 March Stockholm = 23:00 UTC that day
    assert ob["recipients"] == ["provider_contact", "owner"]


@pytest.mark.parametrize(
    ("trigger", "role", "kw", "error"),
    [
        ("fly", "contract_strategist", {}, UnknownTrigger),
        ("approve", "contract_strategist", {}, WrongState),
        (
            "send",
            "social_worker",
            {"registry_number": "NOR-2026-1", "params": {"response_due": "2026-03-20"}},
            NoMandate,
        ),
        ("send", "contract_strategist", {"params": {"response_due": "2026-03-20"}}, InvalidInput),
        (
            "send",
            "contract_strategist",
            {"registry_number": "NOR-2026-1", "params": {"response_due": "2020-01-01"}},
            InvalidInput,
        ),
        ("send", "contract_strategist", {"registry_number": "NOR-2026-1", "params": {"colour": "red"}}, InvalidInput),
        ("mark_overdue", "contract_strategist", {}, WrongState),
    ],
)
def test_every_refusal_leaves_the_database_unchanged(
    world: World, trigger: str, role: str, kw: dict[str, Any], error: type[Exception]
) -> None:
    cid = rectification(world)
    before = snapshot(world.engine)
    with pytest.raises(error):
        world.wf.fire(cid, trigger, world.actor("NORTH", role), "try", **kw)
    assert snapshot(world.engine) == before


def test_a_system_only_trigger_is_refused_for_a_person(world: World) -> None:
    cid = rectification(world)
    world.wf.fire(
        cid,
        "send",
        world.actor("NORTH", "contract_strategist"),
        "r",
        registry_number="NOR-2026-2",
        params={"response_due": "2026-03-20"},
    )
    before = snapshot(world.engine)
    with pytest.raises(NotPermitted, match="only when its deadline passes"):
        world.wf.fire(cid, "mark_overdue", world.actor("NORTH", "contract_strategist"), "late")
    assert snapshot(world.engine) == before


def test_another_organisations_case_is_not_found_and_untouched(world: World) -> None:
    cid = rectification(world)
    before = snapshot(world.engine)
    with pytest.raises(NotFound):
        world.wf.fire(cid, "withdraw", world.actor("SOUTH", "contract_strategist"), "not mine")
    assert snapshot(world.engine) == before


def test_an_in_house_unit_cannot_be_asked_for_rectification(world: World) -> None:
    cid = rectification(world, "north_in_house")
    before = snapshot(world.engine)
    with pytest.raises(InHouseRefused, match="in-house"):
        world.wf.fire(
            cid,
            "send",
            world.actor("NORTH", "contract_strategist"),
            "r",
            registry_number="NOR-2026-3",
            params={"response_due": "2026-03-20"},
        )
    assert snapshot(world.engine) == before


def test_an_in_house_follow_up_takes_a_mandate_outcome_not_a_contract_outcome(world: World) -> None:
    a = world.actor("NORTH", "unit_manager")
    cid = open_case(
        world.wf, "follow_up", a, "plan", kind="planned_special", agreement_id=world.agreements["north_in_house"]
    ).case_id
    for trig in ("start", "record_findings"):
        world.wf.fire(cid, trig, a, "step")
    with pytest.raises(GuardFailed, match="in-house"):
        world.wf.fire(cid, "assess", a, "done", params={"outcome": "compliant"})
    assert world.wf.fire(cid, "assess", a, "done", params={"outcome": "mandate_compliant"}).to_status == "assessed"


def test_a_stale_version_is_a_conflict_and_writes_nothing(world: World) -> None:
    cid = rectification(world)
    a = world.actor("NORTH", "contract_strategist")
    world.wf.fire(cid, "withdraw", a, "no longer needed", expected_version=1)
    cid2 = rectification(world)
    world.wf.fire(cid2, "send", a, "r", registry_number="NOR-2026-4", params={"response_due": "2026-03-20"})
    before = snapshot(world.engine)
    with pytest.raises(Conflict):
        world.wf.fire(cid2, "withdraw", a, "stale", expected_version=1)
    assert snapshot(world.engine) == before


def test_the_board_terminates_an_agreement_and_the_decision_is_recorded(world: World) -> None:
    cid = open_case(
        world.wf,
        "agreement",
        world.actor("NORTH", "contract_strategist"),
        "registered",
        agreement_id=world.agreements["north_calloff"],
    ).case_id
    params = {"termination_reason": "insolvency", "initiator": "municipality"}
    with pytest.raises(NoMandate):
        world.wf.fire(
            cid, "terminate", world.actor("NORTH", "director"), "insolvent", registry_number="NOR-2026-9", params=params
        )
    res = world.wf.fire(
        cid, "terminate", world.actor("NORTH", "board"), "insolvent", registry_number="NOR-2026-9", params=params
    )
    with world.engine.connect() as conn:
        dec = conn.execute(select(Decision.__table__)).mappings().one()
        case = conn.execute(select(Case.__table__).where(Case.__table__.c.id == cid)).mappings().one()
    assert res.to_status == "terminated"
    assert dec["decision_kind"] == "terminate_agreement" and dec["under_delegation"] is False
    assert case["reason_code"] == "insolvency" and case["initiator"] == "municipality" and case["closed_at"]


def test_an_expired_agreement_needs_its_period_to_have_ended(world: World) -> None:
    a = world.actor("NORTH", "contract_strategist")
    cid = open_case(world.wf, "agreement", a, "registered", agreement_id=world.agreements["north_calloff"]).case_id
    with pytest.raises(GuardFailed, match="runs until 2027-02-28"):
        world.wf.fire(cid, "expire", a, "ended?")
