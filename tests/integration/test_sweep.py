"""The deadline sweep: reminders before and on the due date, escalation after it, the expiry
transition, nothing twice, and a 72-hour catch-up that equals having ticked all along."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tests.world import Clock, World, build_world, next_due_of
from workflow.cases.opening import open_case
from workflow.clock import STOCKHOLM
from workflow.deadlines.calendar import end_of_day
from workflow.deadlines.sweep import sweep
from workflow.engine.firing import Actor
from workflow.schema.db import make_engine
from workflow.schema.tables import Case, CaseEvent, Deadline, DeadlineEffect, Outbox

pytestmark = pytest.mark.integration
CASE, EVENT, DEADLINE, EFFECT, OUTBOX = (
    m.__table__  # type: ignore[attr-defined]
    for m in (Case, CaseEvent, Deadline, DeadlineEffect, Outbox)
)
START = datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM)  # a Monday


def _send_request(w: World, due: date) -> int:
    actor = w.actor("NORTH", "contract_strategist")
    cid = open_case(
        w.wf,
        "rectification_request",
        actor,
        "deficiency found",
        kind="supplementation",
        agreement_id=w.agreements["north_calloff"],
    ).case_id
    w.wf.fire(cid, "send", actor, "send", registry_number="NOR-2026-00001", params={"response_due": due.isoformat()})
    return cid


def _status(engine: Engine, cid: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(CASE.c.status).where(CASE.c.id == cid)).scalar_one())


def _effects(engine: Engine) -> list[tuple[int, int, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(EFFECT.c.deadline_id, EFFECT.c.rung, EFFECT.c.kind))]


def test_a_request_is_reminded_before_and_on_the_due_date_then_escalated_after_it(engine: Engine) -> None:
    clock = Clock(START)
    w = build_world(engine, clock)
    cid = _send_request(w, date(2026, 3, 13))  # a Friday
    clock.now = datetime(2026, 3, 10, 7, 0, 1, tzinfo=STOCKHOLM)  # three working days before
    assert sweep(engine, clock).reminders == 1
    assert sweep(engine, clock).claimed == 0, "the same rung must not fire twice"
    clock.now = datetime(2026, 3, 13, 7, 0, 1, tzinfo=STOCKHOLM)
    assert sweep(engine, clock).reminders == 1
    clock.now = datetime(2026, 3, 14, 0, 0, 1, tzinfo=STOCKHOLM)  # the due date has ended
    assert sweep(engine, clock).transitions == 1
    assert _status(engine, cid) == "overdue"
    clock.now = datetime(2026, 3, 16, 7, 0, 1, tzinfo=STOCKHOLM)  # next working day: first escalation
    r = sweep(engine, clock)
    assert r.escalations == 1
    with engine.connect() as conn:
        msgs = conn.execute(select(OUTBOX.c.kind, OUTBOX.c.recipients, OUTBOX.c.subject).order_by(OUTBOX.c.id)).all()
    kinds = [m.kind for m in msgs if m.kind != "transition"]
    assert kinds == ["reminder", "reminder", "escalation"]
    assert "p0@provider.test.invalid" in msgs[-1].recipients
    assert "contract_strategist@north.test.invalid" in msgs[-1].recipients
    assert msgs[-1].subject.startswith("Eskalering: ")
    clock.now = datetime(2026, 3, 23, 7, 0, 1, tzinfo=STOCKHOLM)  # five working days on: the unit manager
    sweep(engine, clock)
    with engine.connect() as conn:
        last = conn.execute(select(OUTBOX.c.recipients).order_by(OUTBOX.c.id.desc()).limit(1)).scalar_one()
    assert last == ["unit_manager@north.test.invalid"]


def test_an_answered_request_gets_no_further_reminders(engine: Engine) -> None:
    clock = Clock(START)
    w = build_world(engine, clock)
    cid = _send_request(w, date(2026, 3, 13))
    w.wf.fire(cid, "answer", w.actor("NORTH", "contract_strategist"), "answer in")
    clock.now = datetime(2026, 3, 14, 0, 0, 1, tzinfo=STOCKHOLM)
    r = sweep(engine, clock)
    assert (r.reminders, r.transitions) == (0, 0)
    assert _status(engine, cid) == "answered"


def _world_with_due_items(engine: Engine, clock: Clock) -> World:
    w = build_world(engine, clock)
    for i in range(12):
        _send_request(w, date(2026, 3, 3) + timedelta(days=i % 4))
    scheduler = Actor.system(w.orgs["NORTH"])  # as the scheduler requests them: a person asks once per placement
    for i in range(4):
        open_case(
            w.wf,
            "implementation_plan",
            scheduler,
            "placement started",
            placement_id=w.placements["north"],
            params={"due_date": (date(2026, 3, 3) + timedelta(days=i)).isoformat()},
        )
    return w


def _fingerprint(engine: Engine) -> tuple[list[tuple[int, str]], list[tuple[int, int, str]]]:
    with engine.connect() as conn:
        statuses = [tuple(r) for r in conn.execute(select(CASE.c.id, CASE.c.status).order_by(CASE.c.id))]
        done = [
            tuple(r)
            for r in conn.execute(
                select(DEADLINE.c.case_id, EFFECT.c.rung, EFFECT.c.kind)
                .join(EFFECT, EFFECT.c.deadline_id == DEADLINE.c.id)
                .where(EFFECT.c.kind.in_(("escalation", "transition")))
                .order_by(DEADLINE.c.case_id, DEADLINE.c.id, EFFECT.c.rung)
            )
        ]
    return statuses, done  # type: ignore[return-value]


def test_a_clock_72_hours_ahead_fires_every_overdue_item_once_on_start(engine: Engine) -> None:
    clock = Clock(START)
    _world_with_due_items(engine, clock)
    clock.advance(hours=72)
    first = sweep(engine, clock)
    again = sweep(engine, clock)
    assert first.transitions == 8 and again.claimed == 0
    with engine.connect() as conn:
        late = conn.execute(
            select(func.count())
            .select_from(DEADLINE)
            .where(DEADLINE.c.status == "pending", DEADLINE.c.next_action_at <= clock.now)
        ).scalar_one()
        overdue_events = conn.execute(
            select(EVENT.c.case_id, func.count()).where(EVENT.c.trigger == "mark_overdue").group_by(EVENT.c.case_id)
        ).all()
        dupes = conn.execute(select(OUTBOX.c.dedupe_key).group_by(OUTBOX.c.dedupe_key).having(func.count() > 1)).all()
    assert late == 0, "a due rung was left behind"
    assert len(overdue_events) == 8 and all(n == 1 for _, n in overdue_events)
    assert dupes == []
    effects = _effects(engine)
    assert len(effects) == len({(d, r) for d, r, _ in effects})


def test_catching_up_72_hours_at_once_ends_where_ticking_every_ten_minutes_ends(
    _sqlite_template: Path, tmp_path: Path
) -> None:
    ends = []
    for name, step in (("caught_up", timedelta(hours=72)), ("ticking", timedelta(minutes=10))):
        shutil.copy(_sqlite_template, tmp_path / f"{name}.db")
        eng = make_engine(f"sqlite:///{tmp_path / name}.db")
        clock = Clock(START)
        _world_with_due_items(eng, clock)
        while clock.now < START + timedelta(hours=72):
            clock.now += step
            sweep(eng, clock)
        ends.append(_fingerprint(eng))
        eng.dispose()
    assert ends[0] == ends[1]
    assert any(kind == "escalation" for _, _, kind in ends[0][1])


def test_the_overdue_ladder_after_a_late_expiry_starts_from_when_the_rule_expired(engine: Engine) -> None:
    clock = Clock(START)
    w = build_world(engine, clock)
    cid = _send_request(w, date(2026, 3, 3))
    clock.now = datetime(2026, 3, 5, 15, 0, tzinfo=STOCKHOLM)  # down from before the due date until two days later
    sweep(engine, clock)
    assert _status(engine, cid) == "overdue"
    with engine.connect() as conn:
        escalations = conn.execute(select(func.count()).select_from(EFFECT).where(EFFECT.c.kind == "escalation"))
        assert escalations.scalar_one() == 1, "the first escalation (owner and provider) was due and must not be lost"
        due = conn.execute(
            select(DEADLINE.c.due_at).where(DEADLINE.c.case_id == cid, DEADLINE.c.status == "pending")
        ).scalar_one()
    assert due == end_of_day(date(2026, 3, 4))


def test_the_scheduler_cannot_act_for_a_deadline_whose_case_moved_on(engine: Engine) -> None:
    clock = Clock(START)
    w = build_world(engine, clock)
    cid = _send_request(w, date(2026, 3, 13))
    with engine.begin() as conn:  # simulate a row left pending by an older version of the engine
        conn.execute(CASE.update().where(CASE.c.id == cid).values(status="answered"))
    clock.now = datetime(2026, 3, 14, 0, 0, 1, tzinfo=STOCKHOLM)
    r = sweep(engine, clock)
    assert (r.stale, r.transitions) == (1, 0)
    assert next_due_of(engine, cid) == (None, None), "closing the stale deadline clears the case's next due time"
    assert Actor.system(w.orgs["NORTH"]).is_system
