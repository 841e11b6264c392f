"""Cases (ärenden): open, read with timeline and deadlines, list with filters."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

import structlog
from litestar import Request, Response, get, post
from litestar.params import FromQuery, JSONBody, Parameter, QueryParameter
from sqlalchemy import Connection, case, select

from workflow import scoping
from api.auth import AuthUser
from api.deps import IdempotencyKeyHeader, Page, create_once, to, workflow_of, writing
from api.problems import LIST, READ, WRITE
from api.queries import case_columns, case_detail, overdue
from api.schemas.cases import CaseDetail, CaseOut, CasePage, CaseTypeName, OpenCaseIn
from workflow.access import record_reads
from workflow.calendar import end_of_day
from workflow.db import read
from workflow.engine import CASE
from workflow.errors import NotFound
from workflow.opening import open_case

CaseSort = Literal["overdue_first", "opened_at", "-opened_at", "updated_at", "-updated_at", "id", "-id"]
PathId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Filter = Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]


@get("/cases", operation_id="listCases", tags=["cases"], sync_to_thread=True, responses=LIST)
def list_cases(
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
    sort: FromQuery[CaseSort] = "-opened_at",
) -> CasePage:
    """Cases of the caller's organisation; ``sort=overdue_first`` puts overdue cases first, earliest due first."""
    wf = workflow_of(request)
    now = wf.clock()
    cols = case_columns()
    due = cols[-1]
    q = select(*cols).where(scoping.cases(user))
    conditions = {
        CASE.c.owner_id: user.user_id if mine else None,
        CASE.c.case_type: case_type.value if case_type else None,
        CASE.c.status: status,
        CASE.c.kind: kind,
        CASE.c.provider_id: provider_id,
        CASE.c.agreement_id: agreement_id,
        CASE.c.placement_id: placement_id,
        CASE.c.contract_area_id: contract_area_id,
    }
    for column, value in conditions.items():
        if value is not None:
            q = q.where(column == value)
    if is_open is not None:
        q = q.where(CASE.c.closed_at.is_(None) if is_open else CASE.c.closed_at.is_not(None))
    if opened_from is not None:
        q = q.where(CASE.c.opened_at > end_of_day(opened_from) - timedelta(days=1))
    if opened_to is not None:
        q = q.where(CASE.c.opened_at <= end_of_day(opened_to))
    late = overdue(due, now)
    if is_overdue is not None:
        q = q.where(late if is_overdue else ~late)
    q = q.order_by(*_order(sort, late, due))
    with read(wf.engine) as conn:
        rows, total = paging.apply(conn, q)
    items = [to(CaseOut, {**r, "overdue": bool(r["next_due_at"] and r["next_due_at"] < now)}) for r in rows]
    individual = [c.id for c in items if scoping.is_individual_case(c.case_type, c.placement_id)]
    if individual:  # logged before anything individual leaves the server
        with writing(request) as conn:
            record_reads(conn, user.actor, "case", individual, "list", now)
    return CasePage(page=paging.page, page_size=paging.page_size, total=total, items=items)


def _order(sort: str, late: Any, due: Any) -> list[Any]:
    if sort == "overdue_first":
        return [case((late, 0), else_=1), case((due.is_(None), 1), else_=0), due, CASE.c.id]
    column = {"opened_at": CASE.c.opened_at, "updated_at": CASE.c.updated_at, "id": CASE.c.id}[sort.lstrip("-")]
    return [column.desc(), CASE.c.id.desc()] if sort.startswith("-") else [column, CASE.c.id]


@get("/cases/{case_id:int}", operation_id="getCase", tags=["cases"], sync_to_thread=True, responses=READ)
def get_case(request: Request[Any, Any, Any], user: AuthUser, case_id: PathId) -> CaseDetail:
    """One case with its timeline (audit events) and open deadlines; 404 if unknown or out of scope."""
    wf = workflow_of(request)
    structlog.contextvars.bind_contextvars(case_id=case_id)
    now = wf.clock()
    with read(wf.engine) as conn:
        found = case_detail(conn, user, case_id, now)
    if found is None:
        raise NotFound(f"case {case_id} not found")
    detail, individual = found
    if individual:  # logged before the record leaves the server
        with writing(request) as conn:
            record_reads(conn, user.actor, "case", [case_id], "read", now)
    return detail


@post("/cases", operation_id="openCase", tags=["cases"], sync_to_thread=True, responses=WRITE, status_code=201)
def create_case(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[OpenCaseIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[CaseOut]:
    """Open a case of any type in the caller's organisation (its first deadline opens with it)."""
    wf = workflow_of(request)

    def create(conn: Connection) -> CaseOut:
        opened = open_case(
            wf,
            data.case_type.value,
            user.actor,
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
            conn=conn,
        )
        row = conn.execute(select(*case_columns()).where(CASE.c.id == opened.case_id)).mappings().one()
        return to(CaseOut, {**row, "overdue": False})

    return create_once(request, user, idempotency_key, request.url.path, data, create)


HANDLERS = [list_cases, get_case, create_case]
