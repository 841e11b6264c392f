"""Recurring controls, implementation plans and monthly reports, lateness, deadline changes, the leader lock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, update

from tests.world import Clock, build_world
from workflow.cases.opening import open_case
from workflow.clock import STOCKHOLM
from workflow.deadlines.changes import extend, resume, suspend
from workflow.deadlines.leader import LeaderLock
from workflow.deadlines.scheduled import OPENING
from workflow.deadlines.sweep import sweep
from workflow.engine.errors import InvalidInput, NotFound, Refused
from workflow.engine.firing import CASE
from workflow.pacing import DutyCycle
from workflow.registers.controls import load, period_of, run_controls
from workflow.registers.deliveries import ensure_implementation_plans, open_monthly_reports, request_implementation_plan
from workflow.registers.placements import PlacementTerms, register_placement
from workflow.schema.tables import CHANGE, DEADLINE, OUTBOX, PLACEMENT

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM)


def _cases(engine: Engine, case_type: str) -> list[tuple[str | None, int | None, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)  # type: ignore[misc]
            for r in conn.execute(
                select(CASE.c.kind, CASE.c.provider_id, CASE.c.title)
                .where(CASE.c.case_type == case_type)
                .order_by(CASE.c.id)
            )
        ]


def test_controls_open_once_per_subject_and_period_with_their_deadline(engine: Engine) -> None:
    clock = Clock(NOW)
    w = build_world(engine, clock)
    first = run_controls(engine, clock)
    again = run_controls(engine, clock)
    assert first > 0 and again == 0
    checks = _cases(engine, "control_check")
    acme = w.providers["Acme Care AB"]
    assert ("ivo_check", acme, "IVO-kontroll av ramavtalsleverantör / IVO check of framework provider 2026-H1") in [
        (k, p, t) for k, p, t in checks
    ]
    kinds = sorted(k or "" for k, _, _ in checks)
    assert kinds.count("ivo_check") == 1, "one provider in the framework: one IVO check"
    assert kinds.count("annual_documents") == 1, "the expired individual agreement and in-house units are out"
    assert "care_reconsideration" not in kinds, "the placement started a month ago: not within 30 days of six months"
    clock.now = datetime(2026, 7, 5, 9, 0, tzinfo=STOCKHOLM)  # second half-year; the placement nears six months
    run_controls(engine, clock)
    kinds = sorted(k or "" for k, _, _ in _cases(engine, "control_check"))
    assert kinds.count("ivo_check") == 2 and kinds.count("annual_documents") == 1
    assert kinds.count("care_reconsideration") == 1
    with engine.connect() as conn:
        owner, due = conn.execute(
            select(CASE.c.owner_id, DEADLINE.c.due_at)
            .join(DEADLINE, DEADLINE.c.case_id == CASE.c.id)
            .where(CASE.c.kind == "care_reconsideration")
        ).one()
    assert owner == w.users[("NORTH", "social_worker")]
    assert due.astimezone(STOCKHOLM).date() == date(2026, 8, 2)  # six months after 2026-02-01, end of day


def _reconsiderations(engine: Engine) -> list[tuple[str, date]]:
    """Each reconsideration case's title and its deadline's due date (Stockholm)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(CASE.c.title, DEADLINE.c.due_at)
            .join(DEADLINE, DEADLINE.c.case_id == CASE.c.id)
            .where(CASE.c.kind == "care_reconsideration")
            .order_by(CASE.c.id)
        ).all()
    # A deadline ends with its due date: the instant stored is that day's end (midnight after it).
    return [(title, (due.astimezone(STOCKHOLM) - timedelta(seconds=1)).date()) for title, due in rows]


def _registered(engine: Engine, placement_id: int, at: datetime | None) -> None:
    with engine.begin() as conn:
        conn.execute(update(PLACEMENT).where(PLACEMENT.c.id == placement_id).values(registered_at=at))


AFTER_FIRST_ROUND = datetime(2026, 8, 11, 9, 0, tzinfo=STOCKHOLM)  # the first round fell due on 2026-08-01


def test_paced_controls_rest_after_each_opening_and_open_the_same_cases(engine: Engine) -> None:
    clock = Clock(NOW)
    build_world(engine, clock)
    rests: list[float] = []
    pace = DutyCycle(0.5, sleep=rests.append, longest_rest=float("inf"))  # uncapped: exact under any load
    opened = run_controls(engine, clock, pace=pace)
    assert opened > 1
    assert len(rests) == opened, "one rest after each opening"
    assert sum(rests) == pytest.approx(pace.worked)
    assert run_controls(engine, clock, pace=pace) == 0, "nothing is opened twice"


def test_a_reconsideration_missed_while_the_placement_was_registered_is_opened_late_and_due_today(
    engine: Engine,
) -> None:
    clock = Clock(AFTER_FIRST_ROUND)
    w = build_world(engine, clock)
    _registered(engine, w.placements["north"], datetime(2026, 2, 1, 10, 0, tzinfo=STOCKHOLM))
    run_controls(engine, clock)
    [(title, due)] = _reconsiderations(engine)
    assert "R1" in title and "missed: fell due 2026-08-01" in title
    assert due == date(2026, 8, 11)
    run_controls(engine, clock)
    assert len(_reconsiderations(engine)) == 1


def test_a_round_that_fell_due_before_the_placement_was_registered_is_not_opened(engine: Engine) -> None:
    clock = Clock(AFTER_FIRST_ROUND)
    w = build_world(engine, clock)
    _registered(engine, w.placements["north"], datetime(2026, 8, 5, 10, 0, tzinfo=STOCKHOLM))
    run_controls(engine, clock)
    assert _reconsiderations(engine) == []


def test_a_placement_loaded_without_a_registration_time_gets_no_missed_round(engine: Engine) -> None:
    clock = Clock(AFTER_FIRST_ROUND)
    build_world(engine, clock)
    run_controls(engine, clock)
    assert _reconsiderations(engine) == []


def test_a_round_opened_in_time_is_not_opened_again_once_it_has_passed(engine: Engine) -> None:
    clock = Clock(datetime(2026, 7, 5, 9, 0, tzinfo=STOCKHOLM))
    w = build_world(engine, clock)
    _registered(engine, w.placements["north"], datetime(2026, 2, 1, 10, 0, tzinfo=STOCKHOLM))
    run_controls(engine, clock)
    clock.now = AFTER_FIRST_ROUND
    run_controls(engine, clock)
    [(title, due)] = _reconsiderations(engine)
    assert "missed" not in title and due == date(2026, 8, 1)


def test_registering_a_placement_records_when_it_entered_the_register(engine: Engine) -> None:
    clock = Clock(NOW)
    w = build_world(engine, clock)
    terms = PlacementTerms(agreement_id=w.agreements["north_calloff"], client_ref="KL-0042", starts_on=date(2026, 3, 1))
    with engine.begin() as conn:
        pid = register_placement(w.wf, conn, w.actor("NORTH", "social_worker"), terms)
    with engine.connect() as conn:
        at = conn.execute(select(PLACEMENT.c.registered_at).where(PLACEMENT.c.id == pid)).scalar_one()
    assert at == NOW


def test_the_control_configuration_names_a_source_for_every_rule() -> None:
    cfg = load()
    assert {c.id for c in cfg["controls"]} == {
        "ivo_check",
        "criminal_record_check",
        "care_reconsideration",
        "annual_documents",
    }
    assert all(c.source.strip() for c in cfg["controls"])
    assert period_of(date(2026, 6, 30), 6) == ("2026-H1", date(2026, 1, 1))
    assert period_of(date(2026, 7, 1), 6) == ("2026-H2", date(2026, 7, 1))


def test_a_control_file_with_an_unknown_control_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text(
        "controls:\n  - {id: horoscope, label: x, source: y, every_months: 6, subjects: placements, owner_role: r}\n"
    )
    with pytest.raises(InvalidInput, match="unknown control 'horoscope'"):
        load(bad)


def test_a_placement_gets_one_implementation_plan_and_a_report_per_month(engine: Engine) -> None:
    clock = Clock(NOW)
    w = build_world(engine, clock)
    pid = w.placements["north"]
    first = request_implementation_plan(engine, pid, clock=clock, organisation_id=w.orgs["NORTH"])
    assert request_implementation_plan(engine, pid, clock=clock) == first
    assert ensure_implementation_plans(engine, clock) == 0
    with pytest.raises(NotFound):
        request_implementation_plan(engine, pid, clock=clock, organisation_id=w.orgs["SOUTH"])
    assert open_monthly_reports(engine, clock) == 1  # February 2026
    assert open_monthly_reports(engine, clock) == 0
    clock.now = datetime(2026, 4, 1, 8, 0, tzinfo=STOCKHOLM)
    assert open_monthly_reports(engine, clock) == 1  # March; February is not opened again
    with engine.connect() as conn:
        rows = conn.execute(
            select(CASE.c.case_type, CASE.c.owner_id, DEADLINE.c.due_at)
            .join(DEADLINE, DEADLINE.c.case_id == CASE.c.id)
            .order_by(CASE.c.id)
        ).all()
    assert [r.case_type for r in rows] == ["implementation_plan", "monthly_report", "monthly_report"]
    assert {r.owner_id for r in rows} == {w.users[("NORTH", "social_worker")]}
    assert rows[0].due_at.astimezone(STOCKHOLM).date() == date(2026, 3, 4)  # start + 30 days, end of day
    assert rows[1].due_at.astimezone(STOCKHOLM).date() == date(2026, 3, 14)  # 10 working days after Feb 28


def test_a_second_delivery_request_of_the_same_kind_is_refused_while_the_first_is_open(engine: Engine) -> None:
    clock = Clock(NOW)
    w = build_world(engine, clock)
    pid, worker = w.placements["north"], w.actor("NORTH", "social_worker")
    plan = request_implementation_plan(engine, pid, clock=clock, organisation_id=w.orgs["NORTH"])
    with pytest.raises(Refused, match="already has an open implementation_plan") as refused:
        open_case(w.wf, "implementation_plan", worker, "another plan", placement_id=pid)
    assert refused.value.context["rule"] == "delivery_request_open"
    report = open_case(w.wf, "monthly_report", worker, "report asked for", placement_id=pid).case_id
    with pytest.raises(Refused, match="open monthly_report"):
        open_case(w.wf, "monthly_report", worker, "asked again", placement_id=pid)
    assert open_monthly_reports(engine, clock) == 1, "the scheduler's month is its own request"
    w.wf.fire(report, "receive", worker, "arrived")
    w.wf.fire(report, "approve", worker, "fine")
    w.wf.fire(plan, "cancel", worker, "placement ends")
    assert _cases(engine, "implementation_plan") == [(None, w.providers["Acme Care AB"], "Genomförandeplan")]
    again = open_case(w.wf, "implementation_plan", worker, "a new plan after the first closed", placement_id=pid)
    assert again.status == "requested"


def test_three_late_deliveries_open_one_deviation_against_the_provider(engine: Engine) -> None:
    clock = Clock(NOW)
    w = build_world(engine, clock)
    pid = w.placements["north"]
    with engine.begin() as conn:  # two more placements with the same provider
        for ref in ("KL-0002", "KL-0003"):
            conn.execute(
                insert(PLACEMENT).values(
                    organisation_id=w.orgs["NORTH"],
                    agreement_id=w.agreements["north_calloff"],
                    provider_id=w.providers["Acme Care AB"],
                    client_ref=ref,
                    social_worker_id=w.users[("NORTH", "social_worker")],
                    starts_on=date(2026, 2, 20),
                )
            )
    assert ensure_implementation_plans(engine, clock) == 3
    clock.now = datetime(2026, 3, 25, 9, 0, tzinfo=STOCKHOLM)
    sweep(engine, clock)
    deviations = _cases(engine, "deviation")
    assert deviations == [("late_delivery", w.providers["Acme Care AB"], "Upprepade förseningar av leveranser")]
    with engine.connect() as conn:
        late = {r.placement_id: r.status for r in conn.execute(select(CASE).where(CASE.c.placement_id.is_not(None)))}
        key = conn.execute(select(OPENING.c.period).where(OPENING.c.control == "late_delivery")).scalar_one()
    assert len(late) == 3 and set(late.values()) <= {"overdue", "sanction_flagged"}
    assert pid in late  # the world's own placement is one of the three late deliveries
    assert key.startswith("event-")


def test_a_suspended_deadline_sends_nothing_and_resumes_with_the_days_it_lost(engine: Engine) -> None:
    clock = Clock(NOW)
    w = build_world(engine, clock)
    cid = request_implementation_plan(engine, w.placements["north"], clock=clock, due_date=date(2026, 3, 20))
    strategist = w.actor("NORTH", "contract_strategist")
    with engine.connect() as conn:
        did = conn.execute(select(DEADLINE.c.id).where(DEADLINE.c.case_id == cid)).scalar_one()
    with engine.begin() as conn:
        suspend(conn, did, strategist, "provider's premises closed after fire", NOW + timedelta(days=10), clock.now)
    with pytest.raises(InvalidInput, match="is suspended, not pending"), engine.begin() as conn:
        suspend(conn, did, strategist, "again", NOW + timedelta(days=10), clock.now)
    clock.now = datetime(2026, 3, 12, 9, 0, tzinfo=STOCKHOLM)
    r = sweep(engine, clock)
    assert r.resumed == 1 and r.reminders == 0
    with engine.connect() as conn:
        new = conn.execute(select(DEADLINE).where(DEADLINE.c.case_id == cid, DEADLINE.c.status == "pending")).one()
        change = conn.execute(select(CHANGE).where(CHANGE.c.action == "suspend")).one()
    assert new.due_at.astimezone(STOCKHOLM).date() == date(2026, 3, 31)  # 20 March + 10 days, end of day
    assert new.rule_version == "implementation_plan.due/2026-1"
    assert (change.changed_by_id, change.reason) == (strategist.user_id, "provider's premises closed after fire")
    assert change.until == NOW + timedelta(days=10)
    # Resumed by hand before its end, the due date moves on by the days the suspension actually lasted.
    with engine.begin() as conn:
        suspend(conn, new.id, strategist, "inspection postponed", clock.now + timedelta(days=30), clock.now)
    clock.now += timedelta(days=4)
    with pytest.raises(InvalidInput, match="is closed, not suspended"), engine.begin() as conn:
        resume(conn, did, strategist, "the first row is closed", clock.now)
    with engine.begin() as conn:
        resumed_id = resume(conn, new.id, strategist, "inspection held", clock.now)
    with engine.connect() as conn:
        resumed = conn.execute(select(DEADLINE).where(DEADLINE.c.id == resumed_id)).one()
        last = conn.execute(select(CHANGE).order_by(CHANGE.c.id.desc()).limit(1)).one()
    assert resumed.status == "pending"
    assert resumed.due_at.astimezone(STOCKHOLM).date() == date(2026, 4, 4)  # 31 March + 4 days
    assert (last.action, last.reason, last.changed_by_id) == ("resume", "inspection held", strategist.user_id)


def test_an_extension_moves_the_due_date_and_records_who_and_why(engine: Engine) -> None:
    clock = Clock(NOW)
    w = build_world(engine, clock)
    cid = request_implementation_plan(engine, w.placements["north"], clock=clock, due_date=date(2026, 3, 20))
    coordinator = w.actor("NORTH", "placement_coordinator")
    with engine.connect() as conn:
        did = conn.execute(select(DEADLINE.c.id).where(DEADLINE.c.case_id == cid)).scalar_one()
    with pytest.raises(InvalidInput, match="later than 2026-03-20"), engine.begin() as conn:
        extend(conn, did, coordinator, "x", date(2026, 3, 19), clock.now)
    with pytest.raises(NotFound), engine.begin() as conn:
        extend(conn, did, w.actor("SOUTH", "contract_strategist"), "x", date(2026, 4, 1), clock.now)
    with engine.begin() as conn:
        new_id = extend(conn, did, coordinator, "new care plan agreed", date(2026, 4, 10), clock.now)
    with engine.connect() as conn:
        old = conn.execute(select(DEADLINE.c.status, DEADLINE.c.closed_by).where(DEADLINE.c.id == did)).one()
        change = conn.execute(select(CHANGE)).one()
    assert tuple(old) == ("closed", "extended")
    assert (change.new_deadline_id, change.changed_by_id, change.reason) == (
        new_id,
        coordinator.user_id,
        "new care plan agreed",
    )
    clock.now = datetime(2026, 3, 21, 9, 0, tzinfo=STOCKHOLM)
    assert sweep(engine, clock).transitions == 0, "the old due date no longer counts"


def test_only_one_instance_holds_the_leader_lock_until_it_lets_go(engine: Engine) -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    clock = Clock(now)
    a = LeaderLock(engine, lease_seconds=60, clock=clock)
    b = LeaderLock(engine, lease_seconds=60, clock=clock)
    assert a.acquire() and a.acquire(), "the holder renews"
    assert not b.acquire()
    a.release()
    assert b.acquire() and not a.acquire()
    b.release()


@pytest.mark.only_on("sqlite")  # PostgreSQL's advisory lock ends with the holder's session instead
def test_a_crashed_leaders_sqlite_lease_runs_out(engine: Engine) -> None:
    clock = Clock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    a = LeaderLock(engine, lease_seconds=60, clock=clock)
    b = LeaderLock(engine, lease_seconds=60, clock=clock)
    assert a.acquire() and not b.acquire()
    clock.advance(seconds=61)  # a stopped renewing
    assert b.acquire()


def test_the_outbox_is_untouched_by_a_sweep_with_nothing_due(engine: Engine) -> None:
    clock = Clock(NOW)
    build_world(engine, clock)
    assert sweep(engine, clock).claimed == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OUTBOX)).scalar_one() == 0


@pytest.mark.only_on("postgresql")  # SQLite's single writer serialises the two requests by itself
def test_two_delivery_requests_typed_in_at_once_wait_for_each_other_and_the_second_is_refused(engine: Engine) -> None:
    import threading

    clock = Clock(NOW)
    w = build_world(engine, clock)
    pid, worker = w.placements["north"], w.actor("NORTH", "social_worker")
    second: dict[str, object] = {}

    def type_in_second() -> None:
        try:
            second["case"] = open_case(w.wf, "implementation_plan", worker, "second", placement_id=pid).case_id
        except Refused as refused:
            second["rule"] = refused.context["rule"]

    with engine.begin() as conn:
        first = open_case(w.wf, "implementation_plan", worker, "first", placement_id=pid, conn=conn).case_id
        racer = threading.Thread(target=type_in_second)
        racer.start()
        racer.join(timeout=1.0)
        assert racer.is_alive(), "the second request must wait for the first one's transaction"
    racer.join(timeout=10)
    assert second == {"rule": "delivery_request_open"}
    with engine.connect() as conn:
        opened = conn.execute(
            select(CASE.c.id).where(CASE.c.placement_id == pid, CASE.c.case_type == "implementation_plan")
        ).all()
    assert [r.id for r in opened] == [first]
