"""Random triggers against a simple model: only legal transitions happen, one audit event each,
a case has a pending deadline exactly when its state's policy asks for one, its next due time on
its row is always its earliest pending deadline's (through suspensions, resumptions, extensions
and the sweep too), and the trigger options are exact: what they call allowed fires, what they
refuse is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, func, select

from states.registry import CASE_TYPES
from tests.world import World, build_world, next_due_of
from workflow.cases.opening import open_case
from workflow.deadlines import changes
from workflow.deadlines.calendar import local_date
from workflow.deadlines.sweep import sweep
from workflow.engine.errors import Refused, WorkflowError
from workflow.engine.firing import Actor
from workflow.engine.machines import MACHINES
from workflow.registers.samples import sample_params
from workflow.schema.tables import Case, CaseEvent, Deadline

pytestmark = pytest.mark.integration

ALL_TRIGGERS = sorted({t.trigger for spec in CASE_TYPES.values() for t in spec.transitions} | {"no_such_trigger"})
STAFF = ["contract_strategist", "unit_manager", "department_head", "director", "board", "social_worker"]
ROLES = ["contract_strategist", "unit_manager", "department_head", "director", "board", "social_worker", "system"]


def _open(world: World, name: str, in_house: bool) -> int:
    spec = CASE_TYPES[name]
    actor = world.actor("NORTH", "contract_strategist")
    agreement = world.agreements["north_in_house" if in_house else "north_calloff"]
    if spec.mirrors_agreement:  # an agreement has one agreement case: every example gets a fresh agreement
        agreement = world.fresh_agreement("north_in_house" if in_house else "north_calloff")
    if name in ("implementation_plan", "monthly_report"):
        # Requested by the system (as a placement's start does): a person may not ask twice while one is open.
        system = Actor.system(world.orgs["NORTH"])
        return open_case(world.wf, name, system, "open", placement_id=world.placements["north"]).case_id
    return open_case(
        world.wf, name, actor, "open", kind=spec.kinds[0] if spec.kinds else None, agreement_id=agreement
    ).case_id


def _facts(engine: Engine, cid: int) -> tuple[str, int, int, list[str]]:
    c, e, d = (m.__table__ for m in (Case, CaseEvent, Deadline))  # type: ignore[attr-defined]
    with engine.connect() as conn:
        status, version = conn.execute(select(c.c.status, c.c.version).where(c.c.id == cid)).one()
        events = conn.execute(select(func.count()).select_from(e).where(e.c.case_id == cid)).scalar_one()
        pending = [r[0] for r in conn.execute(select(d.c.state).where(d.c.case_id == cid, d.c.status == "pending"))]
    return status, version, events, pending


def _suspended(engine: Engine, cid: int) -> list[str]:
    d = Deadline.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(d.c.state).where(d.c.case_id == cid, d.c.status == "suspended"))]


def _machine_for(world: World, case_type: str) -> type[RuleBasedStateMachine]:
    spec = CASE_TYPES[case_type]
    engine = world.engine

    class CaseLifecycle(RuleBasedStateMachine):
        """A model of one case: its status and its event count, checked after every step."""

        def __init__(self) -> None:
            super().__init__()
            self.in_house = False
            self.cid: int | None = None
            self.status = spec.initial
            self.events = 1

        @initialize(in_house=st.booleans())
        def open(self, in_house: bool) -> None:
            self.in_house = in_house
            self.cid = _open(world, case_type, in_house)

        def _fire(self, trigger: str, role: str, seed: int, give_params: bool, advance: bool = True) -> bool:
            """Fire as ``role``; whether it succeeded (a refusal is checked to have changed nothing)."""
            assert self.cid is not None
            if advance:
                world.clock.advance(hours=1)
            actor = Actor.system(world.orgs["NORTH"]) if role == "system" else world.actor("NORTH", role)
            tr = spec.transition(trigger, self.status)
            today = local_date(world.clock()) + timedelta(days=1)
            params = sample_params(spec, tr, self.in_house, today, seed) if tr and give_params else None
            try:
                res = world.wf.fire(
                    self.cid,
                    trigger,
                    actor,
                    "stateful test",
                    registry_number="NOR-2026-00001" if tr and tr.decision else None,
                    params=params,
                )
            except (Refused, WorkflowError):
                status, _, events, _ = _facts(engine, self.cid)
                assert (status, events) == (self.status, self.events), "a refusal changed the case"
                return False
            assert tr is not None, f"{trigger} succeeded from {self.status} though the table has no such row"
            assert not (tr.contractual and self.in_house), "a contractual step succeeded for an in-house unit"
            assert res.to_status == tr.dest
            self.status, self.events = tr.dest, self.events + 1
            return True

        @rule(data=st.data(), role=st.sampled_from(ROLES), seed=st.integers(0, 5), give_params=st.booleans())
        def fire_a_trigger_of_the_current_state(
            self, data: st.DataObject, role: str, seed: int, give_params: bool
        ) -> None:
            options = [t.trigger for t in spec.triggers_from(self.status)]
            if options:
                self._fire(data.draw(st.sampled_from(options)), role, seed, give_params)

        @rule(trigger=st.sampled_from(ALL_TRIGGERS), role=st.sampled_from(ROLES))
        def fire_any_trigger(self, trigger: str, role: str) -> None:
            self._fire(trigger, role, 0, True)

        @rule(data=st.data(), role=st.sampled_from(STAFF), seed=st.integers(0, 5))
        def fire_as_the_options_say(self, data: st.DataObject, role: str, seed: int) -> None:
            assert self.cid is not None
            world.clock.advance(hours=1)
            options = world.wf.options(self.cid, world.actor("NORTH", role))
            assert [o.trigger for o in options] == [t.trigger for t in MACHINES[case_type].triggers(self.status)]
            if not options:
                return
            offered = data.draw(st.sampled_from(options))
            fired = self._fire(offered.trigger, role, seed, give_params=True, advance=False)
            assert fired == offered.allowed, f"{offered.trigger} as {role}: options said {offered.why_not or 'allowed'}"

        @rule(action=st.sampled_from(["suspend", "resume", "extend"]), days=st.integers(1, 40))
        def change_the_open_deadline(self, action: str, days: int) -> None:
            assert self.cid is not None
            world.clock.advance(hours=1)
            now = world.clock()
            actor = world.actor("NORTH", "contract_strategist")
            d = Deadline.__table__  # type: ignore[attr-defined]
            with engine.begin() as conn:
                found = conn.execute(
                    select(d.c.id, d.c.due_at).where(d.c.case_id == self.cid, d.c.status != "closed")
                ).first()
                if found is None:
                    return
                try:
                    if action == "suspend":
                        changes.suspend(conn, found.id, actor, "away", now + timedelta(days=days), now)
                    elif action == "resume":
                        changes.resume(conn, found.id, actor, "back", now)
                    else:
                        later = local_date(found.due_at) + timedelta(days=days)
                        changes.extend(conn, found.id, actor, "more time", later, now)
                except WorkflowError:
                    return  # the wrong status for this change: nothing written

        @rule(days=st.integers(1, 30))
        def let_time_pass_and_sweep(self, days: int) -> None:
            world.clock.advance(days=days)
            sweep(engine, world.clock)
            assert self.cid is not None
            status, _, events, _ = _facts(engine, self.cid)
            if status != self.status:  # an expiry moved it, as the system
                self.status, self.events = status, events

        @invariant()
        def next_due_is_the_earliest_pending_deadline(self) -> None:
            if self.cid is not None:
                stored, earliest = next_due_of(engine, self.cid)
                assert stored == earliest

        @invariant()
        def stored_case_matches_the_model(self) -> None:
            if self.cid is None:
                return
            status, version, events, pending = _facts(engine, self.cid)
            assert (status, events, version) == (self.status, self.events, self.events)
            suspended = _suspended(engine, self.cid)
            assert sorted(pending + suspended) == ([self.status] if self.status in spec.deadlines else [])

    return CaseLifecycle


@pytest.mark.parametrize("case_type", sorted(CASE_TYPES))
def test_random_triggers_only_ever_take_legal_transitions(engine: Engine, case_type: str) -> None:
    world = build_world(engine)
    run_state_machine_as_test(
        _machine_for(world, case_type),
        settings=settings(
            max_examples=10,
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
