"""The trigger options a form is built from: exact refusals (guards included), typed parameters, registry numbers."""

from __future__ import annotations

import pytest

from states.spec import ParamType
from states.vocab import INITIATORS, TERMINATION_REASONS
from tests.integration.test_engine import snapshot
from tests.world import World
from workflow.cases.opening import open_case
from workflow.engine.errors import GuardFailed, InvalidInput
from workflow.engine.firing import TriggerOption

pytestmark = pytest.mark.integration


def _agreement_case(world: World) -> int:
    return open_case(
        world.wf,
        "agreement",
        world.actor("NORTH", "contract_strategist"),
        "the call-off agreement's lifecycle",
        agreement_id=world.agreements["north_calloff"],
    ).case_id


def _option(world: World, cid: int, role: str, trigger: str) -> TriggerOption:
    return next(o for o in world.wf.options(cid, world.actor("NORTH", role)) if o.trigger == trigger)


def test_a_decision_lists_its_registry_number_and_its_closed_vocabularies(world: World) -> None:
    terminate = _option(world, _agreement_case(world), "board", "terminate")
    assert terminate.allowed and terminate.why_not is None
    assert terminate.decision == "terminate_agreement" and terminate.needs_registry_number
    assert terminate.requires == ("termination_reason", "initiator")
    reason, in_words, initiator = terminate.params
    assert (reason.name, reason.type, reason.required, reason.allowed_values) == (
        "termination_reason",
        ParamType.CHOICE,
        True,
        TERMINATION_REASONS,
    )
    assert (in_words.name, in_words.type, in_words.required) == ("termination_reason_other", ParamType.TEXT, False)
    assert initiator.allowed_values == INITIATORS and reason.label and initiator.label


def test_an_ordinary_step_needs_no_registry_number(world: World) -> None:
    cid = open_case(
        world.wf,
        "complaint",
        world.actor("NORTH", "contract_strategist"),
        "a relative called",
        kind="relative",
        agreement_id=world.agreements["north_calloff"],
    ).case_id
    investigate = _option(world, cid, "contract_strategist", "investigate")
    assert investigate.allowed and investigate.decision is None and not investigate.needs_registry_number
    assert investigate.requires == () and investigate.accepts == ("topic", "topic_other")
    assert not investigate.params[0].required


def test_expire_is_not_allowed_while_the_agreement_runs_and_says_why(world: World) -> None:
    cid = _agreement_case(world)
    expire = _option(world, cid, "contract_strategist", "expire")
    assert not expire.allowed
    assert expire.why_not == "the agreement runs until 2027-02-28 (guard agreement_period_ended)"
    with pytest.raises(GuardFailed, match="the agreement runs until 2027-02-28"):
        world.wf.fire(cid, "expire", world.actor("NORTH", "contract_strategist"), "ended?")
    world.clock.advance(days=365)
    assert _option(world, cid, "contract_strategist", "expire").allowed


def test_assessing_is_refused_up_front_while_a_remedy_request_is_open(world: World) -> None:
    strategist = world.actor("NORTH", "contract_strategist")
    cid = open_case(
        world.wf,
        "follow_up",
        strategist,
        "annual plan",
        kind="planned_special",
        agreement_id=world.agreements["north_calloff"],
    ).case_id
    for trigger in ("start", "record_findings"):
        world.wf.fire(cid, trigger, strategist, trigger)
    assess = _option(world, cid, "contract_strategist", "assess")
    assert assess.allowed, "the outcome guard reads the form's value, so it cannot refuse before the form is filled"
    open_case(
        world.wf,
        "rectification_request",
        strategist,
        "routines missing",
        kind="supplementation",
        agreement_id=world.agreements["north_calloff"],
        parent_case_id=cid,
    )
    assess = _option(world, cid, "contract_strategist", "assess")
    assert not assess.allowed
    assert assess.why_not == "1 supplementation/rectification request(s) are still open (guard no_open_remedy_requests)"


def test_the_role_is_checked_before_the_guards(world: World) -> None:
    expire = _option(world, _agreement_case(world), "board", "expire")
    assert not expire.allowed and expire.why_not is not None and "needs one of the roles" in expire.why_not


def test_a_value_outside_a_closed_vocabulary_writes_nothing_and_names_the_allowed_values(world: World) -> None:
    cid = _agreement_case(world)
    before = snapshot(world.engine)
    with pytest.raises(InvalidInput) as refused:
        world.wf.fire(
            cid,
            "terminate",
            world.actor("NORTH", "board"),
            "the board decided",
            registry_number="NOR-2026-00042",
            params={"termination_reason": "bored", "initiator": "municipality"},
        )
    assert str(refused.value) == f"termination_reason 'bored' is not one of: {', '.join(TERMINATION_REASONS)}"
    assert snapshot(world.engine) == before


def test_dates_and_years_carry_the_bounds_cleaning_will_apply(world: World) -> None:
    strategist = world.actor("NORTH", "contract_strategist")
    cid = open_case(
        world.wf,
        "follow_up",
        strategist,
        "annual plan",
        kind="planned_special",
        agreement_id=world.agreements["north_calloff"],
    ).case_id
    options = {o.trigger: o for o in world.wf.options(cid, strategist)}
    (visit,) = options["schedule"].params
    assert (visit.type, visit.minimum, visit.maximum) == ("date", "2026-03-02", "2029-03-04")
    (year,) = options["defer"].params
    assert (year.type, year.minimum, year.maximum) == ("int", 2027, 2031)
