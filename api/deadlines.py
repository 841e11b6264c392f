"""Changing a deadline over HTTP (ändrad tidsfrist): suspend, resume, extend, and the changes made.

A deadline is seen through its case: another board's deadline, or an individual-level case's
deadline asked for by an aggregate-only role, answers 404. Each change records who made it,
why and until when (``workflow.deadline_changes``); an extension or a resumption closes the
old row and answers with the new one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
import structlog
from litestar import Request, get, post
from litestar.params import JSONBody, PathParameter
from sqlalchemy import Connection, select

from workflow import scoping
from api.auth import AuthUser
from api.deps import workflow_of, writing
from api.problems import READ, WRITE
from workflow import deadline_changes
from workflow.db import read
from workflow.engine import CASE, DEADLINE
from workflow.errors import NotFound
from workflow.scheduler_tables import DeadlineChange

CHANGE = DeadlineChange.__table__  # type: ignore[attr-defined]

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


def _visible(conn: Connection, user: Any, deadline_id: int) -> None:
    """404 unless the deadline's case is in the caller's scope (organisation and secrecy)."""
    row = conn.execute(
        select(CASE.c.organisation_id, CASE.c.case_type, CASE.c.placement_id)
        .select_from(DEADLINE.join(CASE, CASE.c.id == DEADLINE.c.case_id))
        .where(DEADLINE.c.id == deadline_id)
    ).first()
    if row is None or not scoping.case_visible(user, row):
        raise NotFound(f"deadline {deadline_id} not found")


def _out(conn: Connection, deadline_id: int) -> DeadlineOut:
    d = conn.execute(select(DEADLINE).where(DEADLINE.c.id == deadline_id)).one()
    return DeadlineOut(d.id, d.case_id, d.kind, d.state, d.status, d.due_at, d.rule_version, d.suspended_until)


def _change(request: Request[Any, Any, Any], user: AuthUser, deadline_id: int, apply: Any) -> DeadlineOut:
    structlog.contextvars.bind_contextvars(deadline_id=deadline_id)
    now = workflow_of(request).clock()
    with writing(request) as conn:
        _visible(conn, user, deadline_id)
        result_id = apply(conn, now)
        return _out(conn, result_id)


@post(
    "/deadlines/{deadline_id:int}/suspend",
    operation_id="suspendDeadline",
    tags=["deadlines"],
    sync_to_thread=True,
    responses=WRITE,
    status_code=200,
)
def suspend(
    request: Request[Any, Any, Any], user: AuthUser, deadline_id: DeadlineId, data: JSONBody[SuspendIn]
) -> DeadlineOut:
    """Suspend a pending deadline: no reminders until it ends."""

    def apply(conn: Connection, now: datetime) -> int:
        deadline_changes.suspend(conn, deadline_id, user.actor, data.reason, data.until, now)
        return deadline_id

    return _change(request, user, deadline_id, apply)


@post(
    "/deadlines/{deadline_id:int}/resume",
    operation_id="resumeDeadline",
    tags=["deadlines"],
    sync_to_thread=True,
    responses=WRITE,
    status_code=200,
)
def resume(
    request: Request[Any, Any, Any], user: AuthUser, deadline_id: DeadlineId, data: JSONBody[ResumeIn]
) -> DeadlineOut:
    """End a suspension now; answered with the new deadline row."""
    return _change(
        request,
        user,
        deadline_id,
        lambda conn, now: deadline_changes.resume(conn, deadline_id, user.actor, data.reason, now),
    )


@post(
    "/deadlines/{deadline_id:int}/extend",
    operation_id="extendDeadline",
    tags=["deadlines"],
    sync_to_thread=True,
    responses=WRITE,
    status_code=200,
)
def extend(
    request: Request[Any, Any, Any], user: AuthUser, deadline_id: DeadlineId, data: JSONBody[ExtendIn]
) -> DeadlineOut:
    """Move a pending deadline to a later date; answered with the new deadline row."""
    return _change(
        request,
        user,
        deadline_id,
        lambda conn, now: deadline_changes.extend(conn, deadline_id, user.actor, data.reason, data.new_due, now),
    )


@get(
    "/deadlines/{deadline_id:int}/changes",
    operation_id="listDeadlineChanges",
    tags=["deadlines"],
    sync_to_thread=True,
    responses=READ,
)
def changes(request: Request[Any, Any, Any], user: AuthUser, deadline_id: DeadlineId) -> list[DeadlineChangeOut]:
    """Every change made to this deadline, and to the rows it was replaced by, oldest first."""
    with read(workflow_of(request).engine) as conn:
        _visible(conn, user, deadline_id)
        case_id = conn.execute(select(DEADLINE.c.case_id).where(DEADLINE.c.id == deadline_id)).scalar_one()
        rows = conn.execute(select(CHANGE).where(CHANGE.c.case_id == case_id).order_by(CHANGE.c.id)).all()
    chain: set[int | None] = {deadline_id}
    grown = True
    while grown:  # a lineage of replacements, followed both ways
        before = len(chain)
        for r in rows:
            if r.deadline_id in chain or r.new_deadline_id in chain:
                chain |= {r.deadline_id, r.new_deadline_id}
        grown = len(chain) > before
    return [
        DeadlineChangeOut(
            r.id,
            r.deadline_id,
            r.new_deadline_id,
            r.action,
            r.changed_by_id,
            r.reason,
            r.until,
            r.old_due_at,
            r.new_due_at,
            r.at,
        )
        for r in rows
        if r.deadline_id in chain
    ]


HANDLERS = [suspend, resume, extend, changes]
