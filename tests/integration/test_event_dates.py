"""Two times on every event: each rule on the date something happened, refusals included (issue 13).

The world's clock stands at 2026-03-02 10:00 in Stockholm; the late-entry window is 30 days, so 2026-01-31 is
the earliest date recorded without a reason. The delegation order 2025-1 was in force in 2025, 2026-1 since.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select, update

from tests.world import World
from workflow.cases.opening import open_case
from workflow.deadlines.calendar import add_days, end_of_day
from workflow.deadlines.sweep import sweep
from workflow.engine.audit import verify
from workflow.engine.errors import EventDateRefused, InvalidInput, NoMandate
from workflow.schema.tables import CASE, DEADLINE, DECISION, EFFECT, EVENT

pytestmark = pytest.mark.integration
LATE = "entered from the paper file"


def _agreement_case(w: World, on: date | None = None, late_reason: str | None = None) -> int:
    return open_case(
        w.wf,
        "agreement",
        w.actor("NORTH", "contract_strategist"),
        "register",
        agreement_id=w.agreements["north_calloff"],
        occurred_on=on,
        late_reason=late_reason,
    ).case_id


def _suspension(w: World, on: date, late_reason: str | None = LATE) -> int:
    return open_case(
        w.wf,
        "call_off_suspension",
        w.actor("NORTH", "contract_strategist"),
        "proposed",
        agreement_id=w.agreements["north_calloff"],
        occurred_on=on,
        late_reason=late_reason,
    ).case_id


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _refused(w: World, rule: str, case_id: int, on: date, late_reason: str | None = None) -> None:
    before = _count(w.engine, EVENT)
    with pytest.raises(EventDateRefused) as err:
        w.wf.fire(
            case_id,
            "open_termination_investigation",
            w.actor("NORTH", "department_head"),
            "grounds",
            registry_number="NOR-2026-00100",
            occurred_on=on,
            late_reason=late_reason,
        )
    assert err.value.context["rule"] == rule
    assert _count(w.engine, EVENT) == before, "a refusal writes nothing"


def test_a_step_dated_in_the_future_is_refused(world: World) -> None:
    cid = _agreement_case(world)
    _refused(world, "occurred_on_in_future", cid, date(2026, 3, 3))


def test_a_case_opened_in_the_future_is_refused(world: World) -> None:
    with pytest.raises(EventDateRefused) as err:
        _agreement_case(world, date(2026, 3, 3))
    assert err.value.context["rule"] == "occurred_on_in_future"
    assert _count(world.engine, CASE) == 0


def test_a_step_dated_before_the_case_was_opened_is_refused(world: World) -> None:
    cid = _agreement_case(world, date(2026, 2, 20))
    _refused(world, "occurred_on_before_opened", cid, date(2026, 2, 19))


def test_a_step_dated_before_the_cases_latest_event_is_refused(world: World) -> None:
    cid = _agreement_case(world, date(2026, 2, 10))
    world.wf.fire(
        cid,
        "suspend",
        world.actor("NORTH", "department_head"),
        "dormant",
        registry_number="NOR-2026-00101",
        params={"reason_code": "dormant", "evidence": "IVO"},
        occurred_on=date(2026, 2, 20),
    )
    _refused(world, "occurred_on_out_of_order", cid, date(2026, 2, 15))


def test_a_step_older_than_the_window_needs_a_reason_and_is_marked_a_late_entry(world: World) -> None:
    cid = _agreement_case(world, date(2025, 12, 1), LATE)
    _refused(world, "late_entry_needs_reason", cid, date(2026, 1, 30))
    world.wf.fire(
        cid,
        "open_termination_investigation",
        world.actor("NORTH", "department_head"),
        "grounds",
        registry_number="NOR-2026-00102",
        occurred_on=date(2026, 1, 30),
        late_reason="  the minutes came late  ",
    )
    world.wf.fire(cid, "close_investigation", world.actor("NORTH", "department_head"), "no grounds")
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(EVENT.c.trigger, EVENT.c.occurred_on, EVENT.c.late_entry, EVENT.c.late_reason).order_by(EVENT.c.seq)
        ).all()
        assert verify(conn) == []
    assert [tuple(r) for r in rows] == [
        ("open", date(2025, 12, 1), True, LATE),
        ("open_termination_investigation", date(2026, 1, 30), True, "the minutes came late"),
        ("close_investigation", date(2026, 3, 2), False, None),
    ]


def test_the_last_day_inside_the_window_needs_no_reason(world: World) -> None:
    cid = _agreement_case(world, date(2026, 1, 31))
    with world.engine.connect() as conn:
        assert conn.execute(select(EVENT.c.late_entry).where(EVENT.c.case_id == cid)).scalar_one() is False


def test_opening_a_case_long_ago_needs_a_late_reason(world: World) -> None:
    with pytest.raises(EventDateRefused) as err:
        _agreement_case(world, date(2025, 6, 1))
    assert err.value.context["rule"] == "late_entry_needs_reason"


def test_a_date_that_is_not_a_date_is_invalid_input(world: World) -> None:
    cid = _agreement_case(world)
    with pytest.raises(InvalidInput, match="occurred_on must be an ISO date"):
        world.wf.fire(cid, "suspend", world.actor("NORTH", "department_head"), "x", occurred_on="1/2")


def test_the_delegation_order_in_force_on_the_decision_date_applies_not_the_one_on_the_day_of_typing(
    world: World,
) -> None:
    # 2025-1 gave temporary exclusion to the director (department head as substitute); 2026-1 turned it round.
    old = _suspension(world, date(2025, 12, 15))
    world.wf.fire(
        old,
        "decide",
        world.actor("NORTH", "director"),
        "board meeting of 2025-12-18",
        registry_number="NOR-2025-00201",
        params={"reason_code": "dormant", "evidence": "IVO"},
        occurred_on=date(2025, 12, 18),
        late_reason=LATE,
    )
    new = _suspension(world, date(2026, 3, 1), None)
    world.wf.fire(
        new,
        "decide",
        world.actor("NORTH", "director"),
        "today",
        registry_number="NOR-2026-00202",
        params={"reason_code": "dormant", "evidence": "IVO"},
    )
    with world.engine.connect() as conn:
        got = conn.execute(
            select(DECISION.c.case_id, DECISION.c.decided_on, DECISION.c.rule_ref, DECISION.c.substitute)
            .where(DECISION.c.case_id.in_((old, new)))
            .order_by(DECISION.c.case_id)
        ).all()
        mandates = conn.execute(select(EVENT.c.mandate).where(EVENT.c.trigger == "decide").order_by(EVENT.c.id))
        texts = [m[0] for m in mandates]
    assert [tuple(r) for r in got] == [(old, date(2025, 12, 18), "4.3", False), (new, date(2026, 3, 2), "4.3", True)]
    assert texts == [
        "delegation order 2025-1 item 4.3 (director)",
        "delegation order 2026-1 item 4.3 (substitute director)",
    ]
    # Rectification requests were not the strategist's to decide in 2025; they are since 2026-1.
    request = open_case(
        world.wf,
        "rectification_request",
        world.actor("NORTH", "contract_strategist"),
        "deficiency",
        kind="rectification",
        agreement_id=world.agreements["north_calloff"],
        occurred_on=date(2025, 12, 1),
        late_reason=LATE,
    ).case_id
    send = {"response_due": "2025-12-31"}
    with pytest.raises(NoMandate):
        world.wf.fire(
            request,
            "send",
            world.actor("NORTH", "contract_strategist"),
            "sent",
            registry_number="NOR-2025-00203",
            params=send,
            occurred_on=date(2025, 12, 10),
            late_reason=LATE,
        )


def test_date_parameters_are_judged_against_the_day_it_happened(world: World) -> None:
    fu = open_case(
        world.wf,
        "follow_up",
        world.actor("NORTH", "contract_strategist"),
        "plan",
        kind="planned_special",
        agreement_id=world.agreements["north_calloff"],
        plan_year=2025,
        occurred_on=date(2025, 3, 1),
        late_reason=LATE,
    ).case_id
    strategist = world.actor("NORTH", "contract_strategist")
    with pytest.raises(InvalidInput, match="scheduled_for 2025-03-09 is in the past"):
        world.wf.fire(
            fu,
            "schedule",
            strategist,
            "visit",
            params={"scheduled_for": "2025-03-09"},
            occurred_on=date(2025, 3, 10),
            late_reason=LATE,
        )
    world.wf.fire(
        fu,
        "schedule",
        strategist,
        "visit",
        params={"scheduled_for": "2025-03-20"},
        occurred_on=date(2025, 3, 10),
        late_reason=LATE,
    )


def test_a_deadline_opened_by_a_back_dated_step_runs_from_its_date_skipping_rungs_already_past(world: World) -> None:
    cid = _agreement_case(world, date(2026, 2, 5))
    world.wf.fire(
        cid,
        "open_termination_investigation",
        world.actor("NORTH", "department_head"),
        "grounds",
        registry_number="NOR-2026-00104",
        occurred_on=date(2026, 2, 10),
    )
    due = add_days(date(2026, 2, 10), 30, True)  # 30 working days from the step's date, not from today
    with world.engine.connect() as conn:
        d = conn.execute(select(DEADLINE).where(DEADLINE.c.case_id == cid)).mappings().one()
    assert d["due_at"] == end_of_day(due)
    assert d["next_action_at"] > world.clock.now  # the first rung still ahead, not one already past


def test_an_expiry_already_past_when_recorded_does_not_fire_and_the_deadline_shows_overdue(world: World) -> None:
    cid = _suspension(world, date(2025, 10, 1))
    world.wf.fire(
        cid,
        "decide",
        world.actor("NORTH", "director"),
        "decided",
        registry_number="NOR-2025-00205",
        params={"reason_code": "dormant", "evidence": "IVO"},
        occurred_on=date(2025, 10, 3),
        late_reason=LATE,
    )  # its 60-day review fell due on 2025-12-02, and every rung of its ladder before today
    with world.engine.connect() as conn:
        d = conn.execute(select(DEADLINE).where(DEADLINE.c.case_id == cid, DEADLINE.c.status == "pending")).one()
    assert d.due_at < world.clock.now and d.next_action_at is None and d.next_rung == -1
    for _ in range(2):
        result = sweep(world.engine, world.clock)
        assert (result.claimed, result.transitions) == (0, 0)
    with world.engine.connect() as conn:
        assert conn.execute(select(CASE.c.status).where(CASE.c.id == cid)).scalar_one() == "active"
        assert conn.execute(select(func.count()).select_from(EFFECT)).scalar_one() == 0


def test_the_audit_hash_covers_the_date_it_happened_and_the_late_entry(world: World) -> None:
    cid = _agreement_case(world, date(2025, 12, 1), LATE)
    with world.engine.begin() as conn:
        assert verify(conn) == []
        conn.execute(update(EVENT).where(EVENT.c.case_id == cid).values(occurred_on=date(2025, 12, 2)))
        assert [b.problem for b in verify(conn)] == ["content does not match its hash"]
        conn.execute(update(EVENT).where(EVENT.c.case_id == cid).values(occurred_on=date(2025, 12, 1)))
        assert verify(conn) == []
        conn.execute(update(EVENT).where(EVENT.c.case_id == cid).values(late_entry=False))
        assert [b.problem for b in verify(conn)] == ["content does not match its hash"]


def test_each_decision_keeps_its_own_reason_when_later_steps_change_the_case(world: World) -> None:
    cid = _agreement_case(world, date(2026, 2, 2))
    head = world.actor("NORTH", "department_head")
    board = world.actor("NORTH", "board")
    steps = [
        ("suspend", head, {"reason_code": "criminal_record_hit", "evidence": "e"}, date(2026, 2, 3)),
        ("reinstate", head, None, date(2026, 2, 10)),
        ("suspend", head, {"reason_code": "credit_remark", "evidence": "e"}, date(2026, 2, 12)),
        ("rescind", board, {"rescission_ground": "permit_not_applied", "initiator": "provider"}, date(2026, 2, 24)),
    ]
    for n, (trigger, actor, params, on) in enumerate(steps):
        world.wf.fire(cid, trigger, actor, trigger, registry_number=f"NOR-2026-0030{n}", params=params, occurred_on=on)
    with world.engine.connect() as conn:
        got = conn.execute(
            select(DECISION.c.decision_kind, DECISION.c.decided_on, DECISION.c.reason_code, DECISION.c.initiator)
            .where(DECISION.c.case_id == cid)
            .order_by(DECISION.c.id)
        ).all()
    assert [tuple(r) for r in got] == [
        ("temporary_exclusion", date(2026, 2, 3), "criminal_record_hit", None),
        ("lift_exclusion", date(2026, 2, 10), "criminal_record_hit", None),
        ("temporary_exclusion", date(2026, 2, 12), "credit_remark", None),
        ("rescind_agreement", date(2026, 2, 24), "permit_not_applied", "provider"),
    ]


def test_the_recording_instant_stays_the_clocks(world: World) -> None:
    cid = _agreement_case(world, date(2026, 2, 20))
    with world.engine.connect() as conn:
        row = conn.execute(select(EVENT.c.occurred_at, EVENT.c.occurred_on).where(EVENT.c.case_id == cid)).one()
    assert row.occurred_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert row.occurred_on == date(2026, 2, 20)
