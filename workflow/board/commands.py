"""Commands of the board's work (nämndens handläggning): generating board matters, editing their templates,
meetings, the board's decisions, reports presented, and audit responses with their measures.

Every write of the API, the staff pages and the CLI is one of these, run by
:meth:`workflow.bootstrap.Application.execute`. Each acts in the actor's organisation only: anything it refers
to (a report's organisation, a case, a meeting, a matter) outside that organisation answers "not found". The
rows record who and when; audit responses and their measures are cases, so each step is an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, func, insert, select

from states.roles import RESPONSIBLE_ROLE, STAFF_ROLES, Role
from workflow import i18n
from workflow.board import matters, templates
from workflow.cases import queries as case_queries
from workflow.cases import scoping
from workflow.cases.opening import open_case
from workflow.deadlines.calendar import local_date
from workflow.engine.commands import handles
from workflow.engine.errors import InvalidInput, NotFound, NotPermitted
from workflow.engine.firing import CASE, Actor, Workflow
from workflow.engine.params import DATE_HORIZON_DAYS
from workflow.engine.uow import UnitOfWork
from workflow.reports.catalogue import REPORTS
from workflow.schema.db import new_id
from workflow.schema.tables import (
    BOARD_DECISION,
    BOARD_MATTER,
    BOARD_MEETING,
    BOARD_TEMPLATE,
    ORG,
    PRESENTATION,
)

log = structlog.get_logger("workflow.board")

#: Who may edit the templates of board matters.
TEMPLATE_ROLES = frozenset({Role.BOARD_SECRETARY.value, Role.DEPARTMENT_HEAD.value, Role.DIRECTOR.value})
#: Who records the board's meetings, decisions and the reports presented to it.
MINUTES_ROLES = frozenset({Role.BOARD_SECRETARY.value, Role.BOARD.value})
#: The board's decision on a matter.
OUTCOMES = ("adopted", "returned", "amended")
MAX_REGISTRY_NUMBER = 40


def _require(actor: Actor, roles: frozenset[str], what: str) -> None:
    if not set(actor.roles) & roles:
        raise NotPermitted(f"only {', '.join(sorted(roles))} may {what}", rule="role")


def _registry_number(value: str) -> str:
    rn = (value or "").strip()
    if not rn or len(rn) > MAX_REGISTRY_NUMBER or any(ch.isspace() for ch in rn):
        raise InvalidInput(
            f"a registry number (diarienummer) is 1–{MAX_REGISTRY_NUMBER} characters without spaces",
            rule="registry_number",
        )
    return rn


#: Dates the board's work may name (a meeting, a period, a due date): anything else is a typing error.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _dates(*days: date | None) -> None:
    for day in days:
        if day is not None and not EARLIEST <= day <= LATEST:
            raise InvalidInput(f"{day.isoformat()} is outside {EARLIEST.isoformat()}–{LATEST.isoformat()}", rule="date")


def _paragraph(value: str) -> str:
    text = (value or "").strip().removeprefix("§").strip()
    if not text or len(text) > 12:
        raise InvalidInput("a paragraph of the minutes is 1–12 characters, e.g. '42' or '§ 42'", rule="paragraph")
    return f"§ {text}"


# --- board matters -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GenerateBoardMatter:
    """Generate and store a board matter (tjänsteutlåtande) with the organisation's current template.

    Report matters (``annual``, ``terminations``, ``decisions``) take the period ``start``–``end``; a
    ``termination`` matter takes an agreement case, the ``measure`` proposed (terminate or rescind) and its
    ``ground``. ``inputs`` are the author's own texts (background, assessment, proposal) for the template.
    """

    matter_type: str
    registry_number: str
    start: date | None = None
    end: date | None = None
    case_id: int | None = None
    measure: str | None = None
    ground: str | None = None
    title: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    locale: str = i18n.DEFAULT_LOCALE


@dataclass(frozen=True, slots=True)
class MatterGenerated:
    """The stored matter."""

    id: int
    registry_number: str
    title: str
    template_version: int


@handles(GenerateBoardMatter)
def generate_board_matter(cmd: GenerateBoardMatter, actor: Actor, uow: UnitOfWork) -> MatterGenerated:
    """Read the figures through the report query functions, render the template, store the matter."""
    scoping.require_staff(actor, "generate board matters")
    templates.require_type(cmd.matter_type)
    rn = _registry_number(cmd.registry_number)
    if cmd.locale not in i18n.LOCALES:
        raise InvalidInput(f"locale must be one of {', '.join(i18n.LOCALES)}", rule="matter_input")
    inputs = matters.clean_inputs(cmd.inputs)
    _dates(cmd.start, cmd.end)
    if cmd.matter_type == "termination":
        if cmd.case_id is None or cmd.start is not None or cmd.end is not None:
            raise InvalidInput("a termination matter takes a case, and no period", rule="matter_input")
        case = case_queries.case_view(uow, actor, cmd.case_id)  # NotFound outside the actor's organisation
        matters.check_proposal(case, cmd.measure, cmd.ground)
        subject = matters.Subject(cmd.matter_type, case=case, measure=cmd.measure, ground=cmd.ground, inputs=inputs)
    else:
        if cmd.start is None or cmd.end is None or cmd.case_id is not None:
            raise InvalidInput("a report matter takes the period (from and to), and no case", rule="period")
        start, end = cmd.start, cmd.end
        report, details = uow.read(
            lambda conn: matters.report_data(conn, actor, templates.REPORT_OF[cmd.matter_type], start, end)
        )
        subject = matters.Subject(cmd.matter_type, start, end, report=report, details=details, inputs=inputs)
    org, template = uow.read(
        lambda conn: (
            dict(
                conn.execute(select(ORG.c.name, ORG.c.code).where(ORG.c.id == actor.organisation_id)).mappings().one()
            ),
            matters.current_template(conn, actor.organisation_id, cmd.matter_type),
        )
    )
    now = uow.clock()
    composed = matters.compose(
        subject,
        template,
        organisation=org,
        registry_number=rn,
        title=cmd.title,
        today=local_date(now),
        locale=cmd.locale,
    )

    def work(conn: Connection) -> MatterGenerated:
        taken = conn.execute(
            select(BOARD_MATTER.c.id).where(
                BOARD_MATTER.c.organisation_id == actor.organisation_id, BOARD_MATTER.c.registry_number == rn
            )
        ).first()
        if taken is not None:
            raise InvalidInput(f"registry number {rn} already names board matter {taken.id}", rule="registry_number")
        mid = new_id(
            conn.execute(
                insert(BOARD_MATTER).values(
                    organisation_id=actor.organisation_id,
                    matter_type=cmd.matter_type,
                    registry_number=rn,
                    title=composed.title,
                    period_from=cmd.start,
                    period_to=cmd.end,
                    case_id=cmd.case_id,
                    template_id=template.id,
                    template_version=template.version,
                    locale=cmd.locale,
                    html=composed.html,
                    created_by_id=actor.user_id,
                    created_at=now,
                )
            )
        )
        return MatterGenerated(int(mid), rn, composed.title, template.version)

    done = uow.write(work)
    log.info(
        "board.matter_generated",
        matter_id=done.id,
        matter_type=cmd.matter_type,
        organisation_id=actor.organisation_id,
        template_version=template.version,
    )
    return done


# --- templates -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SaveBoardTemplate:
    """Store a new version of the organisation's template for ``matter_type`` (the old versions stay)."""

    matter_type: str
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class TemplateSaved:
    """The new version."""

    id: int
    matter_type: str
    version: int


@handles(SaveBoardTemplate)
def save_board_template(cmd: SaveBoardTemplate, actor: Actor, uow: UnitOfWork) -> TemplateSaved:
    """Check the template (it parses; no includes; nothing starting with '_') and store it as the next version."""
    _require(actor, TEMPLATE_ROLES, "edit board-matter templates")
    templates.require_type(cmd.matter_type)
    templates.check(cmd.source)
    if len(cmd.note) > 500:
        raise InvalidInput("the note is longer than 500 characters", rule="template_input")
    now = uow.clock()

    def work(conn: Connection) -> TemplateSaved:
        last = conn.execute(
            select(func.max(BOARD_TEMPLATE.c.version)).where(
                BOARD_TEMPLATE.c.organisation_id == actor.organisation_id,
                BOARD_TEMPLATE.c.matter_type == cmd.matter_type,
            )
        ).scalar_one()
        version = int(last or templates.SHIPPED_VERSION) + 1
        tid = new_id(
            conn.execute(
                insert(BOARD_TEMPLATE).values(
                    organisation_id=actor.organisation_id,
                    matter_type=cmd.matter_type,
                    version=version,
                    source=cmd.source,
                    note=cmd.note.strip(),
                    created_by_id=actor.user_id,
                    created_at=now,
                )
            )
        )
        return TemplateSaved(int(tid), cmd.matter_type, version)

    done = uow.write(work)
    log.info(
        "board.template_saved",
        matter_type=done.matter_type,
        version=done.version,
        organisation_id=actor.organisation_id,
    )
    return done


# --- meetings, decisions, reports presented ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateBoardMeeting:
    """Record a meeting of the actor's board (nämndsammanträde)."""

    held_on: date
    title: str = ""


@dataclass(frozen=True, slots=True)
class Created:
    """The new row's id."""

    id: int


@handles(CreateBoardMeeting)
def create_board_meeting(cmd: CreateBoardMeeting, actor: Actor, uow: UnitOfWork) -> Created:
    """Store the meeting."""
    _require(actor, MINUTES_ROLES, "record the board's meetings")
    _dates(cmd.held_on)
    if len(cmd.title) > 200:
        raise InvalidInput("the title is longer than 200 characters", rule="meeting_input")
    now = uow.clock()
    return uow.write(
        lambda conn: Created(
            int(
                new_id(
                    conn.execute(
                        insert(BOARD_MEETING).values(
                            organisation_id=actor.organisation_id,
                            held_on=cmd.held_on,
                            title=cmd.title.strip(),
                            created_by_id=actor.user_id,
                            created_at=now,
                        )
                    )
                )
            )
        )
    )


def _meeting(conn: Connection, actor: Actor, meeting_id: int) -> Any:
    row = conn.execute(
        select(BOARD_MEETING).where(
            BOARD_MEETING.c.id == meeting_id, BOARD_MEETING.c.organisation_id == actor.organisation_id
        )
    ).first()
    if row is None:
        raise NotFound(f"board meeting {meeting_id} not found")
    return row


def _matter(conn: Connection, actor: Actor, matter_id: int) -> Any:
    row = conn.execute(
        select(BOARD_MATTER.c.id, BOARD_MATTER.c.registry_number).where(
            BOARD_MATTER.c.id == matter_id, BOARD_MATTER.c.organisation_id == actor.organisation_id
        )
    ).first()
    if row is None:
        raise NotFound(f"board matter {matter_id} not found")
    return row


def _paragraph_free(conn: Connection, meeting_id: int, paragraph: str) -> None:
    for table in (BOARD_DECISION, PRESENTATION):
        if conn.execute(
            select(table.c.id).where(table.c.meeting_id == meeting_id, table.c.paragraph == paragraph)
        ).first():
            raise InvalidInput(f"{paragraph} of this meeting is already recorded", rule="paragraph")


@dataclass(frozen=True, slots=True)
class RecordBoardDecision:
    """Record the board's decision on a matter at a meeting: adopted, returned or amended (with the text)."""

    meeting_id: int
    matter_id: int
    paragraph: str
    outcome: str
    registry_number: str
    text: str = ""


@handles(RecordBoardDecision)
def record_board_decision(cmd: RecordBoardDecision, actor: Actor, uow: UnitOfWork) -> Created:
    """Store the decision; an amended decision needs its text, and a matter is decided once per meeting."""
    _require(actor, MINUTES_ROLES, "record the board's decisions")
    if cmd.outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}", rule="board_decision")
    text = cmd.text.strip()
    if cmd.outcome == "amended" and not text:
        raise InvalidInput("an amended decision needs the text the board decided", rule="board_decision")
    if len(text) > 4000:
        raise InvalidInput("the text is longer than 4000 characters", rule="board_decision")
    rn = _registry_number(cmd.registry_number)
    paragraph = _paragraph(cmd.paragraph)
    now = uow.clock()

    def work(conn: Connection) -> Created:
        _meeting(conn, actor, cmd.meeting_id)
        _matter(conn, actor, cmd.matter_id)
        if conn.execute(
            select(BOARD_DECISION.c.id).where(
                BOARD_DECISION.c.meeting_id == cmd.meeting_id, BOARD_DECISION.c.matter_id == cmd.matter_id
            )
        ).first():
            raise InvalidInput(
                "the board's decision on this matter at this meeting is already recorded", rule="board_decision"
            )
        _paragraph_free(conn, cmd.meeting_id, paragraph)
        did = new_id(
            conn.execute(
                insert(BOARD_DECISION).values(
                    organisation_id=actor.organisation_id,
                    meeting_id=cmd.meeting_id,
                    matter_id=cmd.matter_id,
                    paragraph=paragraph,
                    outcome=cmd.outcome,
                    text=text,
                    registry_number=rn,
                    recorded_by_id=actor.user_id,
                    recorded_at=now,
                )
            )
        )
        return Created(int(did))

    done = uow.write(work)
    log.info("board.decision_recorded", decision_id=done.id, organisation_id=actor.organisation_id)
    return done


@dataclass(frozen=True, slots=True)
class MarkReportPresented:
    """Mark a report (name and period) as presented to the board at a meeting, under a paragraph."""

    meeting_id: int
    report: str
    start: date
    end: date
    paragraph: str
    matter_id: int | None = None


@handles(MarkReportPresented)
def mark_report_presented(cmd: MarkReportPresented, actor: Actor, uow: UnitOfWork) -> Created:
    """Store that the report was presented (redovisad för nämnden)."""
    _require(actor, MINUTES_ROLES, "mark reports as presented to the board")
    if cmd.report not in REPORTS:
        raise InvalidInput(f"unknown report {cmd.report!r}; one of {', '.join(REPORTS)}", rule="report")
    _dates(cmd.start, cmd.end)
    if cmd.end < cmd.start:
        raise InvalidInput("the period ends before it starts", rule="period")
    paragraph = _paragraph(cmd.paragraph)
    now = uow.clock()

    def work(conn: Connection) -> Created:
        _meeting(conn, actor, cmd.meeting_id)
        if cmd.matter_id is not None:
            _matter(conn, actor, cmd.matter_id)
        _paragraph_free(conn, cmd.meeting_id, paragraph)
        pid = new_id(
            conn.execute(
                insert(PRESENTATION).values(
                    organisation_id=actor.organisation_id,
                    meeting_id=cmd.meeting_id,
                    report=cmd.report,
                    period_from=cmd.start,
                    period_to=cmd.end,
                    paragraph=paragraph,
                    matter_id=cmd.matter_id,
                    recorded_by_id=actor.user_id,
                    recorded_at=now,
                )
            )
        )
        return Created(int(pid))

    return uow.write(work)


# --- audit responses -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """A measure promised in an audit response: what, the role responsible, the follow-up date."""

    text: str
    responsible_role: str
    follow_up_on: date


@dataclass(frozen=True, slots=True)
class RecordAuditResponse:
    """Record the administration's response (yttrande) to an audit report, due to the auditors on
    ``response_due_on``, with its measures; each measure's follow-up date becomes its deadline."""

    audit_report: str
    response_due_on: date
    measures: tuple[Measure, ...] = ()


@dataclass(frozen=True, slots=True)
class AddAuditMeasure:
    """Add a measure to an audit response not yet followed up."""

    response_case_id: int
    measure: Measure


@dataclass(frozen=True, slots=True)
class AuditResponseRecorded:
    """The response's case and its measures' cases."""

    case_id: int
    measure_case_ids: tuple[int, ...]


def _check_measure(m: Measure, today: date) -> None:
    if not m.text.strip() or len(m.text) > 300:
        raise InvalidInput("a measure is described in 1–300 characters", rule="audit_measure")
    if m.responsible_role not in STAFF_ROLES:
        raise InvalidInput(f"responsible_role must be one of {', '.join(STAFF_ROLES)}", rule="audit_measure")
    if not today <= m.follow_up_on <= today + timedelta(days=DATE_HORIZON_DAYS):
        raise InvalidInput(
            f"a measure's follow-up date is from today to {DATE_HORIZON_DAYS} days ahead", rule="audit_measure"
        )


def _open_measure(wf: Workflow, conn: Connection, actor: Actor, response_id: int, m: Measure) -> int:
    opened = open_case(
        wf,
        "audit_measure",
        actor,
        f"Measure of audit response {response_id}; responsible: {m.responsible_role}",
        title=m.text.strip(),
        parent_case_id=response_id,
        params={"follow_up_on": m.follow_up_on},
        conn=conn,
    )
    attributes = conn.execute(select(CASE.c.attributes).where(CASE.c.id == opened.case_id)).scalar_one()
    conn.execute(
        CASE.update()
        .where(CASE.c.id == opened.case_id)
        .values(attributes={**(attributes or {}), RESPONSIBLE_ROLE: m.responsible_role})
    )
    return opened.case_id


@handles(RecordAuditResponse)
def record_audit_response(cmd: RecordAuditResponse, actor: Actor, uow: UnitOfWork) -> AuditResponseRecorded:
    """Open the response case (its due date a deadline) and one measure case per measure, in one transaction."""
    scoping.require_staff(actor, "record audit responses")
    name = cmd.audit_report.strip()
    if not name or len(name) > 250:
        raise InvalidInput("the audit report is named in 1–250 characters", rule="audit_response")
    today = local_date(uow.clock())
    if not today - timedelta(days=366) <= cmd.response_due_on <= today + timedelta(days=DATE_HORIZON_DAYS):
        raise InvalidInput(
            f"the response's due date is from a year ago to {DATE_HORIZON_DAYS} days ahead", rule="audit_response"
        )
    for m in cmd.measures:
        _check_measure(m, today)
    wf = Workflow(uow.engine, uow.clock)

    def work(conn: Connection) -> AuditResponseRecorded:
        response = open_case(
            wf,
            "audit_response",
            actor,
            "Audit response recorded",
            title=name,
            params={"response_due_on": cmd.response_due_on},
            conn=conn,
        ).case_id
        ids = tuple(_open_measure(wf, conn, actor, response, m) for m in cmd.measures)
        return AuditResponseRecorded(response, ids)

    return uow.write(work)


@handles(AddAuditMeasure)
def add_audit_measure(cmd: AddAuditMeasure, actor: Actor, uow: UnitOfWork) -> AuditResponseRecorded:
    """Open one more measure case under a response of the actor's organisation that is still open."""
    scoping.require_staff(actor, "record audit responses")
    _check_measure(cmd.measure, local_date(uow.clock()))
    wf = Workflow(uow.engine, uow.clock)

    def work(conn: Connection) -> AuditResponseRecorded:
        row = conn.execute(
            select(CASE.c.id, CASE.c.status).where(
                CASE.c.id == cmd.response_case_id,
                CASE.c.case_type == "audit_response",
                CASE.c.organisation_id == actor.organisation_id,
            )
        ).first()
        if row is None:
            raise NotFound(f"audit response {cmd.response_case_id} not found")
        if row.status in ("followed_up", "withdrawn"):
            raise InvalidInput(f"the audit response is {row.status}; no measure can be added", rule="audit_response")
        return AuditResponseRecorded(row.id, (_open_measure(wf, conn, actor, row.id, cmd.measure),))

    return uow.write(work)
