"""The board's handling recorded: meetings, decisions on matters, reports presented, audit responses and measures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, select

from tests.world import Clock, World, build_world
from workflow.board import queries
from workflow.board.commands import (
    AddAuditMeasure,
    CreateBoardMeeting,
    GenerateBoardMatter,
    MarkReportPresented,
    Measure,
    RecordAuditResponse,
    RecordBoardDecision,
)
from workflow.bootstrap import Application
from workflow.clock import STOCKHOLM
from workflow.deadlines.sweep import sweep
from workflow.engine.commands import FireTrigger
from workflow.engine.errors import GuardFailed, InvalidInput, NotFound, NotPermitted
from workflow.i18n import due_date
from workflow.schema.tables import CASE, DEADLINE, OUTBOX
from workflow.settings import Settings

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def _setup(engine: Engine) -> tuple[World, Application]:
    w = build_world(engine, Clock(START))
    return w, Application(Settings(), engine, w.clock)


def _matter(app: Application, w: World, rn: str, org: str = "NORTH") -> int:
    done = app.execute(
        GenerateBoardMatter("decisions", rn, date(2026, 1, 1), date(2026, 2, 28)),
        w.actor(org, "contract_strategist"),
    )
    return done.id


def test_recording_the_boards_decision_on_a_matter(engine: Engine) -> None:
    w, app = _setup(engine)
    secretary = w.actor("NORTH", "board_secretary")
    matter_id = _matter(app, w, "NOR-2026-00100")
    meeting = app.execute(CreateBoardMeeting(date(2026, 3, 18), "Nämndsammanträde mars"), secretary).id
    decided = app.execute(
        RecordBoardDecision(meeting, matter_id, "42", "adopted", "NOR-2026-00100", "Enligt förslaget."), secretary
    )
    amended = _matter(app, w, "NOR-2026-00101")
    app.execute(
        RecordBoardDecision(
            meeting, amended, "§ 43", "amended", "NOR-2026-00101", "Lagd till handlingarna med tillägg."
        ),
        secretary,
    )
    seen = queries.meeting(app.uow, secretary, meeting)
    assert seen["held_on"] == date(2026, 3, 18)
    assert [(d["paragraph"], d["outcome"], d["matter_registry_number"]) for d in seen["decisions"]] == [
        ("§ 42", "adopted", "NOR-2026-00100"),
        ("§ 43", "amended", "NOR-2026-00101"),
    ]
    on_matter = queries.matter(app.uow, secretary, matter_id)["decisions"]
    assert [(d["id"], d["held_on"], d["paragraph"], d["text"]) for d in on_matter] == [
        (decided.id, date(2026, 3, 18), "§ 42", "Enligt förslaget.")
    ]


def test_a_decision_is_refused_when_its_paragraph_is_taken_or_an_amendment_has_no_text(engine: Engine) -> None:
    w, app = _setup(engine)
    secretary = w.actor("NORTH", "board_secretary")
    first, second = _matter(app, w, "NOR-2026-00200"), _matter(app, w, "NOR-2026-00201")
    meeting = app.execute(CreateBoardMeeting(date(2026, 3, 18)), secretary).id
    app.execute(RecordBoardDecision(meeting, first, "7", "returned", "NOR-2026-00200"), secretary)
    with pytest.raises(InvalidInput) as taken:
        app.execute(RecordBoardDecision(meeting, second, "§7", "adopted", "NOR-2026-00201"), secretary)
    assert taken.value.context["rule"] == "paragraph"
    with pytest.raises(InvalidInput) as again:
        app.execute(RecordBoardDecision(meeting, first, "8", "adopted", "NOR-2026-00200"), secretary)
    assert again.value.context["rule"] == "board_decision"
    with pytest.raises(InvalidInput) as bare:
        app.execute(RecordBoardDecision(meeting, second, "9", "amended", "NOR-2026-00201"), secretary)
    assert bare.value.context["rule"] == "board_decision"
    with pytest.raises(InvalidInput):
        app.execute(RecordBoardDecision(meeting, second, "9", "postponed", "NOR-2026-00201"), secretary)
    with pytest.raises(NotPermitted):
        app.execute(
            RecordBoardDecision(meeting, second, "9", "adopted", "NOR-2026-00201"),
            w.actor("NORTH", "contract_strategist"),
        )


def test_a_report_is_marked_as_presented_at_a_meeting_under_a_paragraph(engine: Engine) -> None:
    w, app = _setup(engine)
    secretary = w.actor("NORTH", "board_secretary")
    meeting = app.execute(CreateBoardMeeting(date(2026, 3, 18)), secretary).id
    app.execute(MarkReportPresented(meeting, "annual", date(2025, 1, 1), date(2025, 12, 31), "12"), secretary)
    presented = queries.meeting(app.uow, secretary, meeting)["reports_presented"]
    assert [(p["report"], p["period_from"], p["paragraph"]) for p in presented] == [
        ("annual", date(2025, 1, 1), "§ 12")
    ]
    with pytest.raises(InvalidInput) as unknown:
        app.execute(MarkReportPresented(meeting, "budget", date(2025, 1, 1), date(2025, 12, 31), "13"), secretary)
    assert unknown.value.context["rule"] == "report"


def test_another_boards_meeting_and_matter_answer_not_found(engine: Engine) -> None:
    w, app = _setup(engine)
    north, south = w.actor("NORTH", "board_secretary"), w.actor("SOUTH", "board_secretary")
    north_matter = _matter(app, w, "NOR-2026-00300")
    north_meeting = app.execute(CreateBoardMeeting(date(2026, 3, 18)), north).id
    south_meeting = app.execute(CreateBoardMeeting(date(2026, 3, 19)), south).id
    with pytest.raises(NotFound):
        app.execute(RecordBoardDecision(south_meeting, north_matter, "1", "adopted", "X-1"), south)
    with pytest.raises(NotFound):
        app.execute(RecordBoardDecision(north_meeting, north_matter, "1", "adopted", "X-1"), south)
    with pytest.raises(NotFound):
        queries.meeting(app.uow, south, north_meeting)
    assert [m["id"] for m in queries.list_meetings(app.uow, south)] == [south_meeting]


def _outbox(engine: Engine) -> list[tuple[int, str, list[str]]]:
    with engine.connect() as conn:
        return [
            (r.case_id, r.kind, sorted(r.recipients))
            for r in conn.execute(select(OUTBOX.c.case_id, OUTBOX.c.kind, OUTBOX.c.recipients).order_by(OUTBOX.c.id))
        ]


def test_a_measures_follow_up_date_becomes_a_deadline_that_reminds_its_responsible_role(engine: Engine) -> None:
    w, app = _setup(engine)
    strategist = w.actor("NORTH", "contract_strategist")
    recorded = app.execute(
        RecordAuditResponse(
            "Revisionsrapport 2026:3 Uppföljning av privata utförare",
            date(2026, 3, 31),
            (
                Measure("Ta fram rutin för riskanalys", "unit_manager", date(2026, 6, 15)),
                Measure("Utbilda handläggare", "department_head", date(2026, 9, 30)),
            ),
        ),
        strategist,
    )
    routine, training = recorded.measure_case_ids
    with engine.connect() as conn:
        due = {
            r.case_id: (r.kind, due_date(r.due_at))
            for r in conn.execute(select(DEADLINE.c.case_id, DEADLINE.c.kind, DEADLINE.c.due_at))
        }
    assert due[routine] == ("audit_measure_follow_up", date(2026, 6, 15))
    assert due[recorded.case_id][0] == "audit_response_due"
    response = queries.audit_response(app.uow, strategist, recorded.case_id)
    assert [(m["text"], m["responsible_role"], m["follow_up_on"]) for m in response["measures"]] == [
        ("Ta fram rutin för riskanalys", "unit_manager", date(2026, 6, 15)),
        ("Utbilda handläggare", "department_head", date(2026, 9, 30)),
    ]
    w.clock.now = datetime(2026, 6, 10, 7, 1, tzinfo=STOCKHOLM)  # five days before: the first reminder
    assert sweep(engine, w.clock).reminders >= 1
    reminded = [o for o in _outbox(engine) if o[0] == routine]
    assert reminded == [
        (routine, "reminder", ["contract_strategist@north.test.invalid", "unit_manager@north.test.invalid"])
    ]
    w.clock.now = datetime(2026, 6, 15, 7, 1, tzinfo=STOCKHOLM)  # on the day: the second reminder
    sweep(engine, w.clock)
    w.clock.now = datetime(2026, 6, 16, 7, 1, tzinfo=STOCKHOLM)  # the day after: overdue, then escalated
    sweep(engine, w.clock)
    sweep(engine, w.clock)
    with engine.connect() as conn:
        status = conn.execute(select(CASE.c.status).where(CASE.c.id == routine)).scalar_one()
    assert status == "overdue"
    sent = [o for o in _outbox(engine) if o[0] == routine]
    assert [o[1] for o in sent] == ["reminder", "reminder", "escalation"]
    assert sent[-1][2] == ["contract_strategist@north.test.invalid", "unit_manager@north.test.invalid"]
    assert not [o for o in _outbox(engine) if o[0] == training], "the other measure's date is still ahead"


def test_an_audit_response_is_followed_up_only_when_every_measure_has_ended(engine: Engine) -> None:
    w, app = _setup(engine)
    strategist = w.actor("NORTH", "contract_strategist")
    recorded = app.execute(
        RecordAuditResponse(
            "Revisionsrapport 2026:4", date(2026, 3, 31), (Measure("Ny rutin", "unit_manager", date(2026, 5, 4)),)
        ),
        strategist,
    )
    rid = recorded.case_id
    app.execute(FireTrigger(rid, "submit", "sent to the auditors"), strategist)
    app.execute(FireTrigger(rid, "start_measures", "adopted by the board"), strategist)
    extra = app.execute(
        AddAuditMeasure(rid, Measure("Kontrollera efterlevnad", "unit_manager", date(2026, 6, 1))), strategist
    )
    with pytest.raises(GuardFailed):
        app.execute(FireTrigger(rid, "complete_follow_up", "all done?"), strategist)
    for cid in (*recorded.measure_case_ids, *extra.measure_case_ids):
        app.execute(FireTrigger(cid, "complete_measure", "done"), strategist)
    app.execute(FireTrigger(rid, "complete_follow_up", "every measure done"), strategist)
    assert queries.audit_response(app.uow, strategist, rid)["status"] == "followed_up"
    with pytest.raises(InvalidInput):
        app.execute(AddAuditMeasure(rid, Measure("För sent", "unit_manager", date(2026, 7, 1))), strategist)


def test_a_measure_needs_a_staff_role_and_a_date_ahead_and_another_boards_response_is_not_found(engine: Engine) -> None:
    w, app = _setup(engine)
    strategist = w.actor("NORTH", "contract_strategist")
    with pytest.raises(InvalidInput) as role:
        app.execute(RecordAuditResponse("R", date(2026, 3, 31), (Measure("x", "board", date(2026, 5, 4)),)), strategist)
    assert role.value.context["rule"] == "audit_measure"
    with pytest.raises(InvalidInput):
        app.execute(
            RecordAuditResponse("R", date(2026, 3, 31), (Measure("x", "unit_manager", date(2026, 3, 1)),)), strategist
        )
    rid = app.execute(RecordAuditResponse("R", date(2026, 3, 31)), strategist).case_id
    south = w.actor("SOUTH", "contract_strategist")
    with pytest.raises(NotFound):
        queries.audit_response(app.uow, south, rid)
    with pytest.raises(NotFound):
        app.execute(AddAuditMeasure(rid, Measure("x", "unit_manager", date(2026, 5, 4))), south)


def test_dates_out_of_any_reasonable_range_are_refused_naming_the_rule(engine: Engine) -> None:
    w, app = _setup(engine)
    strategist, secretary = w.actor("NORTH", "contract_strategist"), w.actor("NORTH", "board_secretary")
    with pytest.raises(InvalidInput) as response:
        app.execute(RecordAuditResponse("R", date(1, 1, 1)), strategist)
    assert response.value.context["rule"] == "audit_response"
    with pytest.raises(InvalidInput) as measure:
        app.execute(
            RecordAuditResponse("R", date(2026, 3, 31), (Measure("x", "unit_manager", date(9999, 12, 31)),)),
            strategist,
        )
    assert measure.value.context["rule"] == "audit_measure"
    with pytest.raises(InvalidInput) as meeting:
        app.execute(CreateBoardMeeting(date(1, 1, 1)), secretary)
    assert meeting.value.context["rule"] == "date"
    with pytest.raises(InvalidInput) as period:
        app.execute(GenerateBoardMatter("annual", "X-1", date(1, 1, 1), date(1, 12, 31)), strategist)
    assert period.value.context["rule"] == "date"
