"""Cases (ärenden): open, read with timeline and deadlines, list with filters."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any, Literal

import structlog
from litestar import Request, Response, get, post
from litestar.params import FromQuery, JSONBody, Parameter, QueryParameter

from api.auth import AuthUser
from api.deps import IdempotencyKeyHeader, Page, application_of, create_once, items, to
from api.problems import LIST, READ, WRITE
from api.schemas.cases import CaseDetail, CaseOut, CasePage, CaseTypeName, OpenCaseIn, OverviewOut
from workflow.cases.opening import OpenedCase
from workflow.cases.queries import DUE_SOON_DAYS, CaseFilter, case_view, list_cases, listed_case, overview
from workflow.engine.commands import OpenCase
from workflow.engine.uow import UnitOfWork

CaseSort = Literal["overdue_first", "next_due", "opened_at", "-opened_at", "updated_at", "-updated_at", "id", "-id"]
PathId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Filter = Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]
Search = Annotated[str | None, Parameter(min_length=1, max_length=100)]


@get(
    "/cases",
    operation_id="listCases",
    summary="List the caller's organisation's cases, with filters and sorting.",
    tags=["cases"],
    sync_to_thread=True,
    responses=LIST,
)
def get_cases(
    request: Request[Any, Any, Any],
    user: AuthUser,
    paging: Page,
    mine: Annotated[bool, Parameter(description="only cases the caller owns")] = False,
    case_type: FromQuery[CaseTypeName | None] = None,  # type: ignore[valid-type]
    status: Annotated[str | None, Parameter(max_length=40)] = None,
    kind: Annotated[str | None, Parameter(max_length=32)] = None,
    provider_id: Filter = None,
    agreement_id: Filter = None,
    placement_id: Filter = None,
    contract_area_id: Filter = None,
    is_open: Annotated[
        bool | None, QueryParameter(name="open", description="open (true) or closed (false) cases")
    ] = None,
    is_overdue: Annotated[
        bool | None, QueryParameter(name="overdue", description="a pending deadline has passed")
    ] = None,
    opened_from: FromQuery[date | None] = None,
    opened_to: FromQuery[date | None] = None,
    registry_number: Annotated[
        str | None, Parameter(min_length=1, max_length=40, description="part of a registry number (diarienummer)")
    ] = None,
    provider_name: Search = None,
    sort: FromQuery[CaseSort] = "-opened_at",
    cursor: Annotated[
        str | None, Parameter(min_length=1, max_length=400, description="the next_cursor of the page before")
    ] = None,
) -> CasePage:
    """Cases of the caller's organisation; ``sort=overdue_first`` (or ``next_due``) puts the earliest deadline first.

    Page by ``page`` or, steadier while cases change, by ``cursor`` (each page's ``next_cursor``).
    """
    filters = CaseFilter(
        mine=mine,
        case_type=case_type.value if case_type else None,
        status=status,
        kind=kind,
        provider_id=provider_id,
        agreement_id=agreement_id,
        placement_id=placement_id,
        contract_area_id=contract_area_id,
        open=is_open,
        overdue=is_overdue,
        opened_from=opened_from,
        opened_to=opened_to,
        registry_number=registry_number,
        provider_name=provider_name,
        sort=sort,
    )
    found = list_cases(application_of(request).uow, user.actor, filters, replace(paging, cursor=cursor))
    return CasePage(found.page, found.page_size, found.total, items(CaseOut, found), found.next_cursor)


@get(
    "/cases/{case_id:int}",
    operation_id="getCase",
    summary="Read one case with its timeline and deadlines.",
    tags=["cases"],
    sync_to_thread=True,
    responses=READ,
)
def get_case(request: Request[Any, Any, Any], user: AuthUser, case_id: PathId) -> CaseDetail:
    """One case with the names of what it is about, its timeline and its deadlines; 404 if out of scope."""
    structlog.contextvars.bind_contextvars(case_id=case_id)
    view = case_view(application_of(request).uow, user.actor, case_id)
    deadlines = view.pop("deadlines")
    view["deadlines"] = [d for d in deadlines if d["open"]]
    view["closed_deadlines"] = [d for d in deadlines if not d["open"]]
    return to(CaseDetail, view)  # type: ignore[no-any-return]


@post(
    "/cases",
    operation_id="openCase",
    summary="Open a case of any type.",
    tags=["cases"],
    sync_to_thread=True,
    responses=WRITE,
    status_code=201,
)
def create_case(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[OpenCaseIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[CaseOut]:
    """Open a case of any type in the caller's organisation (its first deadline opens with it)."""
    command = OpenCase(
        data.case_type.value,
        data.reason,
        kind=data.kind,
        title=data.title,
        provider_id=data.provider_id,
        agreement_id=data.agreement_id,
        placement_id=data.placement_id,
        parent_case_id=data.parent_case_id,
        owner_id=data.owner_id,
        plan_year=data.plan_year,
        params=dict(data.params) if data.params else None,
        occurred_on=data.occurred_on,
        late_reason=data.late_reason,
    )

    def respond(opened: OpenedCase, uow: UnitOfWork) -> CaseOut:
        return to(CaseOut, listed_case(uow, user.actor, opened.case_id))  # type: ignore[no-any-return]

    return create_once(request, user, idempotency_key, data, command, respond)


@get(
    "/overview",
    operation_id="getOverview",
    summary="Read the start page's figures: my deadlines and cases, the organisation's open and overdue cases.",
    tags=["cases"],
    sync_to_thread=True,
    responses=READ,
)
def get_overview(request: Request[Any, Any, Any], user: AuthUser) -> OverviewOut:
    """What the overview page shows (the same query function): the caller's overdue and due-soon deadlines, its
    open cases by type and state, and its organisation's open and overdue cases per type."""
    found = overview(application_of(request).uow, user.actor)
    return to(OverviewOut, {**found, "due_soon_days": DUE_SOON_DAYS})  # type: ignore[no-any-return]


HANDLERS = [get_cases, get_case, create_case, get_overview]
