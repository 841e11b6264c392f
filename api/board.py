"""The board's work over HTTP (nämnden): board matters, their templates, meetings, decisions, audit responses.

Thin controllers: each request is one command of :mod:`workflow.board.commands` or one query function of
:mod:`workflow.board.queries`, which apply the organisation scoping (another board's object answers 404).
A board matter is stored as it was generated; ``GET /board/matters/{id}/html`` answers that document.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.auth import AuthUser
from api.deps import IdempotencyKeyHeader, application_of, create_once, to
from api.problems import LIST, READ, WRITE
from workflow.board import queries
from workflow.board.commands import (
    AddAuditMeasure,
    CreateBoardMeeting,
    GenerateBoardMatter,
    MarkReportPresented,
    Measure,
    RecordAuditResponse,
    RecordBoardDecision,
    SaveBoardTemplate,
)
from workflow.documents.pdf import html_to_pdf

PathId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
MatterType = Literal["annual", "terminations", "decisions", "termination"]
ReportName = Literal["annual", "terminations", "decisions", "plan", "individual"]
Outcome = Literal["adopted", "returned", "amended"]
StaffRole = Literal[
    "contract_strategist",
    "placement_coordinator",
    "social_worker",
    "needs_assessor",
    "unit_manager",
    "department_head",
    "director",
    "board_secretary",
]
RegistryNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=40, description="diarienummer")]
Paragraph = Annotated[str, msgspec.Meta(min_length=1, max_length=14, description="the minutes' paragraph, e.g. '§ 42'")]
Text = Annotated[str, msgspec.Meta(max_length=4000)]


class MatterTexts(msgspec.Struct, forbid_unknown_fields=True):
    """The author's own texts; the template decides where they stand (empty: the template's own text)."""

    background: Text = ""
    assessment: Text = ""
    proposal: Text = ""


class MatterIn(msgspec.Struct, forbid_unknown_fields=True, rename={"start": "from", "end": "to"}):
    """A board matter to generate: a report matter for a period (``from``, ``to``), or a ``termination`` matter
    on an agreement case with the ``measure`` proposed and its ``ground``."""

    matter_type: MatterType
    registry_number: RegistryNumber
    start: date | None = None
    end: date | None = None
    case_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None
    measure: Literal["terminate", "rescind"] | None = None
    ground: Annotated[str, msgspec.Meta(max_length=48)] | None = None
    title: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    texts: MatterTexts | None = None
    locale: Literal["sv", "en"] = "sv"


class BoardDecisionOut(msgspec.Struct):
    """The board's decision on a matter at a meeting."""

    id: int
    meeting_id: int
    held_on: date
    paragraph: str
    outcome: str
    text: str
    registry_number: str


class MatterOut(msgspec.Struct):
    """A generated board matter (without its text); ``template_version`` 0 is the product's own template."""

    id: int
    matter_type: str
    registry_number: str
    title: str
    period_from: date | None
    period_to: date | None
    case_id: int | None
    template_version: int
    locale: str
    created_at: datetime
    created_by: str | None


class MatterDetailOut(MatterOut):
    """A board matter with its stored HTML document and the board's decisions on it."""

    html: str = ""
    decisions: list[BoardDecisionOut] = []


class TemplateVersionOut(msgspec.Struct):
    """One version of a template; version 0 is shipped with the product."""

    version: int
    note: str
    created_at: datetime | None
    created_by: str | None


class TemplateOut(msgspec.Struct):
    """A matter type's template: the version in use and every version."""

    matter_type: str
    current_version: int
    versions: list[TemplateVersionOut]


class TemplateSourceOut(msgspec.Struct):
    """One version's Jinja2 source."""

    matter_type: str
    version: int
    source: str


class TemplateIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new version of a template: its Jinja2 source (rendered in a sandbox) and a note on what changed."""

    source: Annotated[str, msgspec.Meta(min_length=1, max_length=100_000)]
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class MeetingIn(msgspec.Struct, forbid_unknown_fields=True):
    """A board meeting."""

    held_on: date
    title: Annotated[str, msgspec.Meta(max_length=200)] = ""


class MeetingOut(msgspec.Struct):
    """A board meeting."""

    id: int
    held_on: date
    title: str


class MeetingDecisionOut(msgspec.Struct):
    """A decision taken at the meeting."""

    id: int
    paragraph: str
    matter_id: int
    matter_title: str
    matter_registry_number: str
    outcome: str
    text: str
    registry_number: str


class PresentedOut(msgspec.Struct):
    """A report presented at the meeting."""

    id: int
    paragraph: str
    report: str
    period_from: date
    period_to: date
    matter_id: int | None


class MeetingDetailOut(MeetingOut):
    """A meeting with its decisions and the reports presented."""

    decisions: list[MeetingDecisionOut] = []
    reports_presented: list[PresentedOut] = []


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    """The board's decision on a matter: adopted, returned, or amended (then ``text`` says how)."""

    matter_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
    paragraph: Paragraph
    outcome: Outcome
    registry_number: RegistryNumber
    text: Text = ""


class PresentedIn(msgspec.Struct, forbid_unknown_fields=True, rename={"start": "from", "end": "to"}):
    """A report presented to the board at the meeting."""

    report: ReportName
    start: date
    end: date
    paragraph: Paragraph
    matter_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None


class CreatedOut(msgspec.Struct):
    """The new row's id."""

    id: int


class MeasureIn(msgspec.Struct, forbid_unknown_fields=True):
    """A measure: what, the role responsible, and the follow-up date (its deadline)."""

    text: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    responsible_role: StaffRole
    follow_up_on: date


class AuditResponseIn(msgspec.Struct, forbid_unknown_fields=True):
    """A response (yttrande) to an audit report, due to the auditors on ``response_due_on``, with its measures."""

    audit_report: Annotated[str, msgspec.Meta(min_length=1, max_length=250)]
    response_due_on: date
    measures: Annotated[list[MeasureIn], msgspec.Meta(max_length=100)] = []


class MeasureOut(msgspec.Struct):
    """A measure and where it stands; ``case_id`` is its case (its deadline, reminders and timeline)."""

    case_id: int
    text: str
    status: str
    responsible_role: str | None
    follow_up_on: date | None


class AuditResponseOut(msgspec.Struct):
    """An audit response (a case of type ``audit_response``) with its measures."""

    case_id: int
    audit_report: str
    status: str
    response_due_on: str | None
    opened_at: datetime
    measures: list[MeasureOut]


class AuditResponseCreatedOut(msgspec.Struct):
    """The response's case and its measures' cases."""

    case_id: int
    measure_case_ids: list[int]


def _uow(request: Request[Any, Any, Any]) -> Any:
    return application_of(request).uow


# --- matters ---------------------------------------------------------------------------------------------------


@get(
    "/board/matters",
    operation_id="listBoardMatters",
    summary="List the board matters.",
    tags=["board"],
    sync_to_thread=True,
    responses=LIST,
)
def list_matters(
    request: Request[Any, Any, Any],
    user: AuthUser,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
) -> list[MatterOut]:
    """The caller's board's generated matters, newest first."""
    return [to(MatterOut, r) for r in queries.list_matters(_uow(request), user.actor, limit, offset)]


@post(
    "/board/matters",
    operation_id="generateBoardMatter",
    summary="Generate a board matter.",
    tags=["board"],
    sync_to_thread=True,
    responses=WRITE,
)
def generate_matter(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[MatterIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[MatterOut]:
    """Generate a board matter (tjänsteutlåtande) with the board's current template and store it as generated.

    The figures come from the report (or, for a termination, the agreement case); refused with `rule`
    `registry_number` when the number already names a matter, `template_unsafe` or `template_error` when the
    board's template is stopped by the sandbox or fails."""
    texts = data.texts or MatterTexts()
    command = GenerateBoardMatter(
        data.matter_type,
        data.registry_number,
        data.start,
        data.end,
        data.case_id,
        data.measure,
        data.ground,
        data.title,
        {"background": texts.background, "assessment": texts.assessment, "proposal": texts.proposal},
        data.locale,
    )
    return create_once(
        request,
        user,
        idempotency_key,
        data,
        command,
        lambda done, uow: to(MatterOut, queries.matter(uow, user.actor, done.id)),
    )


@get(
    "/board/matters/{matter_id:int}",
    operation_id="getBoardMatter",
    summary="A board matter as JSON.",
    tags=["board"],
    sync_to_thread=True,
    responses=READ,
)
def get_matter(request: Request[Any, Any, Any], user: AuthUser, matter_id: PathId) -> MatterDetailOut:
    """A matter of the caller's board with its stored HTML and the board's decisions on it."""
    return to(MatterDetailOut, queries.matter(_uow(request), user.actor, matter_id))


@get(
    "/board/matters/{matter_id:int}/html",
    operation_id="getBoardMatterHtml",
    summary="A board matter as its printable document.",
    tags=["board"],
    sync_to_thread=True,
    media_type="text/html; charset=utf-8",
    responses=READ,
)
def get_matter_html(request: Request[Any, Any, Any], user: AuthUser, matter_id: PathId) -> Response[bytes]:
    """The stored HTML document (A4 print-ready, the municipality and the registry number in the page header)."""
    matter = queries.matter(_uow(request), user.actor, matter_id)
    return Response(
        str(matter["html"]).encode(),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{matter["registry_number"]}.html"'},
    )


@get(
    "/board/matters/{matter_id:int}/pdf",
    operation_id="getBoardMatterPdf",
    summary="A board matter as PDF.",
    tags=["board"],
    sync_to_thread=True,
    media_type="application/pdf",
    responses=READ,
)
def get_matter_pdf(request: Request[Any, Any, Any], user: AuthUser, matter_id: PathId) -> Response[bytes]:
    """The stored document printed to PDF (A4, page numbers, the municipality and the registry number on every page)."""
    matter = queries.matter(_uow(request), user.actor, matter_id)
    return Response(
        html_to_pdf(str(matter["html"])),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{matter["registry_number"]}.pdf"'},
    )


# --- templates -------------------------------------------------------------------------------------------------


@get(
    "/board/templates",
    operation_id="listBoardTemplates",
    summary="List the board-matter templates.",
    tags=["board"],
    sync_to_thread=True,
    responses=LIST,
)
def list_templates(request: Request[Any, Any, Any], user: AuthUser) -> list[TemplateOut]:
    """Each matter type's template: the version in use and every version, with who and when."""
    return [to(TemplateOut, t) for t in queries.list_templates(_uow(request), user.actor)]


@get(
    "/board/templates/{matter_type:str}",
    operation_id="getBoardTemplate",
    summary="A board-matter template's source.",
    tags=["board"],
    sync_to_thread=True,
    responses=READ,
)
def get_template(
    request: Request[Any, Any, Any],
    user: AuthUser,
    matter_type: Annotated[MatterType, PathParameter()],
    version: Annotated[
        int | None,
        QueryParameter(gt=-1, le=100_000, description="0 is the shipped template; default: the version in use"),
    ] = None,
) -> TemplateSourceOut:
    """The Jinja2 source of a template version (0: the product's own)."""
    return to(TemplateSourceOut, queries.template_source(_uow(request), user.actor, matter_type, version))


@put(
    "/board/templates/{matter_type:str}",
    operation_id="editBoardTemplate",
    summary="Store a new version of a board-matter template.",
    tags=["board"],
    sync_to_thread=True,
    responses=WRITE,
)
def edit_template(
    request: Request[Any, Any, Any],
    user: AuthUser,
    matter_type: Annotated[MatterType, PathParameter()],
    data: JSONBody[TemplateIn],
) -> TemplateSourceOut:
    """Store the source as the next version (older versions and the matters made with them stay as they were).

    Refused (422) with `rule` `template_syntax` when it does not parse and `template_unsafe` when it includes
    other files or reaches for names starting with `_` (Python internals); the board secretary, department
    heads and directors may edit (else 403)."""
    done = application_of(request).execute(SaveBoardTemplate(matter_type, data.source, data.note), user.actor)
    return TemplateSourceOut(done.matter_type, done.version, data.source)


# --- meetings and decisions ------------------------------------------------------------------------------------


@get(
    "/board/meetings",
    operation_id="listBoardMeetings",
    summary="List the board's meetings.",
    tags=["board"],
    sync_to_thread=True,
    responses=LIST,
)
def list_meetings(request: Request[Any, Any, Any], user: AuthUser) -> list[MeetingOut]:
    """The caller's board's meetings, newest first."""
    return [to(MeetingOut, m) for m in queries.list_meetings(_uow(request), user.actor)]


@post(
    "/board/meetings",
    operation_id="createBoardMeeting",
    summary="Record a board meeting.",
    tags=["board"],
    sync_to_thread=True,
    responses=WRITE,
)
def create_meeting(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[MeetingIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[MeetingOut]:
    """Record a meeting of the caller's board (the board secretary or the board)."""
    return create_once(
        request,
        user,
        idempotency_key,
        data,
        CreateBoardMeeting(data.held_on, data.title),
        lambda done, uow: to(MeetingOut, queries.meeting(uow, user.actor, done.id)),
    )


@get(
    "/board/meetings/{meeting_id:int}",
    operation_id="getBoardMeeting",
    summary="A board meeting.",
    tags=["board"],
    sync_to_thread=True,
    responses=READ,
)
def get_meeting(request: Request[Any, Any, Any], user: AuthUser, meeting_id: PathId) -> MeetingDetailOut:
    """A meeting with the decisions taken and the reports presented, by paragraph."""
    return to(MeetingDetailOut, queries.meeting(_uow(request), user.actor, meeting_id))


@post(
    "/board/meetings/{meeting_id:int}/decisions",
    operation_id="recordBoardDecision",
    summary="Record the board's decision on a matter.",
    tags=["board"],
    sync_to_thread=True,
    responses=WRITE,
)
def record_decision(
    request: Request[Any, Any, Any], user: AuthUser, meeting_id: PathId, data: JSONBody[DecisionIn]
) -> Response[CreatedOut]:
    """Record the board's decision on a matter under a paragraph of the meeting (rule `paragraph` when taken,
    `board_decision` when the matter is decided already or an amendment has no text)."""
    done = application_of(request).execute(
        RecordBoardDecision(meeting_id, data.matter_id, data.paragraph, data.outcome, data.registry_number, data.text),
        user.actor,
    )
    return Response(CreatedOut(done.id), status_code=201)


@post(
    "/board/meetings/{meeting_id:int}/reports-presented",
    operation_id="markReportPresented",
    summary="Mark a report as presented to the board.",
    tags=["board"],
    sync_to_thread=True,
    responses=WRITE,
)
def mark_presented(
    request: Request[Any, Any, Any], user: AuthUser, meeting_id: PathId, data: JSONBody[PresentedIn]
) -> Response[CreatedOut]:
    """Mark a report (name and period) as presented at the meeting under a paragraph."""
    done = application_of(request).execute(
        MarkReportPresented(meeting_id, data.report, data.start, data.end, data.paragraph, data.matter_id), user.actor
    )
    return Response(CreatedOut(done.id), status_code=201)


# --- audit responses -------------------------------------------------------------------------------------------


@get(
    "/board/audit-responses",
    operation_id="listAuditResponses",
    summary="List the audit responses.",
    tags=["board"],
    sync_to_thread=True,
    responses=LIST,
)
def list_audit_responses(request: Request[Any, Any, Any], user: AuthUser) -> list[AuditResponseOut]:
    """The caller's board's responses to audit reports, newest first, with their measures."""
    return [to(AuditResponseOut, r) for r in queries.list_audit_responses(_uow(request), user.actor)]


@post(
    "/board/audit-responses",
    operation_id="recordAuditResponse",
    summary="Record a response to an audit report.",
    tags=["board"],
    sync_to_thread=True,
    responses=WRITE,
)
def record_audit_response(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[AuditResponseIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[AuditResponseCreatedOut]:
    """Open the response (case type `audit_response`, its due date a deadline) and a case per measure (type
    `audit_measure`), whose follow-up date is a deadline: the responsible role is reminded, then it escalates.
    Move them with `POST /cases/{id}/transitions`."""
    command = RecordAuditResponse(
        data.audit_report,
        data.response_due_on,
        tuple(Measure(m.text, m.responsible_role, m.follow_up_on) for m in data.measures),
    )
    return create_once(
        request,
        user,
        idempotency_key,
        data,
        command,
        lambda done, uow: AuditResponseCreatedOut(done.case_id, list(done.measure_case_ids)),
    )


@get(
    "/board/audit-responses/{case_id:int}",
    operation_id="getAuditResponse",
    summary="An audit response with its measures.",
    tags=["board"],
    sync_to_thread=True,
    responses=READ,
)
def get_audit_response(request: Request[Any, Any, Any], user: AuthUser, case_id: PathId) -> AuditResponseOut:
    """A response of the caller's board with its measures."""
    return to(AuditResponseOut, queries.audit_response(_uow(request), user.actor, case_id))


@post(
    "/board/audit-responses/{case_id:int}/measures",
    operation_id="addAuditMeasure",
    summary="Add a measure to an audit response.",
    tags=["board"],
    sync_to_thread=True,
    responses=WRITE,
)
def add_measure(
    request: Request[Any, Any, Any], user: AuthUser, case_id: PathId, data: JSONBody[MeasureIn]
) -> Response[AuditResponseCreatedOut]:
    """Open one more measure under a response not yet followed up."""
    done = application_of(request).execute(
        AddAuditMeasure(case_id, Measure(data.text, data.responsible_role, data.follow_up_on)), user.actor
    )
    return Response(AuditResponseCreatedOut(done.case_id, list(done.measure_case_ids)), status_code=201)


HANDLERS = [
    list_matters,
    generate_matter,
    get_matter,
    get_matter_html,
    get_matter_pdf,
    list_templates,
    get_template,
    edit_template,
    list_meetings,
    create_meeting,
    get_meeting,
    record_decision,
    mark_presented,
    list_audit_responses,
    record_audit_response,
    get_audit_response,
    add_measure,
]
