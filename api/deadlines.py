"""Deadlines over HTTP (tidsfrister): the organisation's open ones, and changing one (ändrad tidsfrist):
suspend, resume, extend, and the changes made.

A deadline is seen through its case: another board's deadline, or an individual-level case's
deadline asked for by an aggregate-only role, answers 404. Each change records who made it,
why and until when (``workflow.deadlines.changes``); an extension or a resumption closes the
old row and answers with the new one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
import structlog
from litestar import Request, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.auth import AuthUser
from api.deps import Page, application_of, items, to
from api.problems import LIST, READ, WRITE
from workflow.deadlines import queries as deadline_queries
from workflow.deadlines.commands import ExtendDeadline, ResumeDeadline, SuspendDeadline

DeadlineId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class SuspendIn(msgspec.Struct, forbid_unknown_fields=True):
    """Stop the clock until ``until`` (an aware time within a year)."""

    reason: Reason
    until: datetime


class ExtendIn(msgspec.Struct, forbid_unknown_fields=True):
    """Move the due date to ``new_due`` (a later local date in Europe/Stockholm)."""

    reason: Reason
    new_due: date


class ResumeIn(msgspec.Struct, forbid_unknown_fields=True):
    """End a suspension now; the due date moves on by the days it lasted."""

    reason: Reason


class DeadlineOut(msgspec.Struct):
    """A deadline row after the change."""

    id: int
    case_id: int
    kind: str
    state: str
    status: str
    due_at: datetime
    rule_version: str
    suspended_until: datetime | None


class DeadlineChangeOut(msgspec.Struct):
    """One recorded change: what, by whom, why, until when, from which due date to which."""

    id: int
    deadline_id: int
    new_deadline_id: int | None
    action: str
    changed_by_id: int | None
    reason: str
    until: datetime | None
    old_due_at: datetime
    new_due_at: datetime | None
    at: datetime


class OpenDeadlineOut(msgspec.Struct):
    """An open deadline of the organisation, with its case."""

    id: int
    case_id: int
    case_type: str
    case_status: str
    case_title: str
    kind: str
    state: str
    status: str
    due_at: datetime
    next_rung: int
    suspended_until: datetime | None
    overdue: bool


class DeadlinePage(msgspec.Struct):
    """One page of open deadlines."""

    page: int | None
    page_size: int
    total: int
    items: list[OpenDeadlineOut]
    next_cursor: str | None


@get(
    "/deadlines",
    operation_id="listOpenDeadlines",
    summary="List the open deadlines, overdue first.",
    tags=["deadlines"],
    sync_to_thread=True,
    responses=LIST,
)
def open_deadlines(
    request: Request[Any, Any, Any],
    user: AuthUser,
    paging: Page,
    mine: Annotated[bool, QueryParameter(description="only deadlines of cases the caller owns")] = False,
    cursor: Annotated[str | None, QueryParameter(min_length=1, max_length=400)] = None,
) -> DeadlinePage:
    """The open deadlines of the caller's organisation's cases, overdue first, then by due date."""
    found = deadline_queries.organisation_deadlines(
        application_of(request).uow, user.actor, replace(paging, cursor=cursor), mine=mine
    )
    return DeadlinePage(found.page, found.page_size, found.total, items(OpenDeadlineOut, found), found.next_cursor)


def _out(row: dict[str, Any]) -> DeadlineOut:
    return to(DeadlineOut, row)  # type: ignore[no-any-return]


def _change(request: Request[Any, Any, Any], user: AuthUser, command: Any) -> DeadlineOut:
    structlog.contextvars.bind_contextvars(deadline_id=command.deadline_id)
    return _out(application_of(request).execute(command, user.actor))


@post(
    "/deadlines/{deadline_id:int}/suspend",
    operation_id="suspendDeadline",
    summary="Suspend a pending deadline with a reason.",
    tags=["deadlines"],
    sync_to_thread=True,
    responses=WRITE,
    status_code=200,
)
def suspend(
    request: Request[Any, Any, Any], user: AuthUser, deadline_id: DeadlineId, data: JSONBody[SuspendIn]
) -> DeadlineOut:
    """Suspend a pending deadline: no reminders until it ends."""
    return _change(request, user, SuspendDeadline(deadline_id, data.reason, data.until))


@post(
    "/deadlines/{deadline_id:int}/resume",
    operation_id="resumeDeadline",
    summary="Resume a suspended deadline now.",
    tags=["deadlines"],
    sync_to_thread=True,
    responses=WRITE,
    status_code=200,
)
def resume(
    request: Request[Any, Any, Any], user: AuthUser, deadline_id: DeadlineId, data: JSONBody[ResumeIn]
) -> DeadlineOut:
    """End a suspension now; answered with the new deadline row."""
    return _change(request, user, ResumeDeadline(deadline_id, data.reason))


@post(
    "/deadlines/{deadline_id:int}/extend",
    operation_id="extendDeadline",
    summary="Move a pending deadline to a later date with a reason.",
    tags=["deadlines"],
    sync_to_thread=True,
    responses=WRITE,
    status_code=200,
)
def extend(
    request: Request[Any, Any, Any], user: AuthUser, deadline_id: DeadlineId, data: JSONBody[ExtendIn]
) -> DeadlineOut:
    """Move a pending deadline to a later date; answered with the new deadline row."""
    return _change(request, user, ExtendDeadline(deadline_id, data.reason, data.new_due))


@get(
    "/deadlines/{deadline_id:int}/changes",
    operation_id="listDeadlineChanges",
    summary="List every change made to a deadline.",
    tags=["deadlines"],
    sync_to_thread=True,
    responses=READ,
)
def changes(request: Request[Any, Any, Any], user: AuthUser, deadline_id: DeadlineId) -> list[DeadlineChangeOut]:
    """Every change made to this deadline, and to the rows it was replaced by, oldest first."""
    rows = deadline_queries.deadline_changes(application_of(request).uow, user.actor, deadline_id)
    return [to(DeadlineChangeOut, r) for r in rows]


HANDLERS = [open_deadlines, suspend, resume, extend, changes]
