"""Outbox dashboard over HTTP (utkorg): counts of pending, sent and failed messages, and the incidents.

Scoped to the caller's organisation: another board's messages are neither counted nor listed.
An incident is a message that was not delivered after its retries, was refused by the
server, had nobody to go to, or may or may not have arrived (``uncertain``; never resent
automatically).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import PathParameter, QueryParameter

from api.auth import AuthUser
from api.deps import application_of
from api.problems import LIST, WRITE
from workflow.notify.outbox_commands import ConfirmDelivered, RetryIncident
from workflow.reports import board_queries


class OutboxSummaryOut(msgspec.Struct):
    """How many of the organisation's messages are waiting (in flight included), sent and failed."""

    pending: int
    sent: int
    failed: int


class IncidentOut(msgspec.Struct):
    """A message that needs a person: why it failed and how often it was tried."""

    id: int
    case_id: int | None
    kind: str
    subject: str
    attempts: int
    incident: str | None
    last_error: str | None
    message_id: str | None
    created_at: datetime


Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0, le=10**9)]


@get(
    "/outbox/summary",
    operation_id="getOutboxSummary",
    summary="Count the organisation's outgoing messages by delivery state.",
    tags=["outbox"],
    sync_to_thread=True,
    responses=LIST,
)
def outbox_summary(request: Request[Any, Any, Any], user: AuthUser) -> OutboxSummaryOut:
    """Counts of the caller's organisation's messages by delivery state."""
    counts = board_queries.outbox_summary(application_of(request).uow, user.actor)
    return OutboxSummaryOut(counts["pending"], counts["sent"], counts["failed"])


@get(
    "/outbox/incidents",
    operation_id="listOutboxIncidents",
    summary="List the organisation's failed messages, newest first.",
    tags=["outbox"],
    sync_to_thread=True,
    responses=LIST,
)
def outbox_incidents(
    request: Request[Any, Any, Any], user: AuthUser, limit: Limit = 100, offset: Offset = 0
) -> list[IncidentOut]:
    """The caller's organisation's failed messages, newest first."""
    rows = board_queries.outbox_incidents(application_of(request).uow, user.actor, limit, offset)
    return [IncidentOut(**r) for r in rows]


class IncidentActionOut(msgspec.Struct):
    """The message's delivery state after the action."""

    id: int
    status: str


IncidentId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]


@post(
    "/outbox/incidents/{outbox_id:int}/retry",
    operation_id="retryOutboxIncident",
    summary="Queue a failed message again.",
    tags=["outbox"],
    sync_to_thread=True,
    responses=WRITE,
    status_code=200,
)
def retry_incident(request: Request[Any, Any, Any], user: AuthUser, outbox_id: IncidentId) -> IncidentActionOut:
    """Queue a failed message again, its attempts starting over (check first if it was ``uncertain``)."""
    done = application_of(request).execute(RetryIncident(outbox_id), user.actor)
    return IncidentActionOut(done.outbox_id, done.status)


@post(
    "/outbox/incidents/{outbox_id:int}/confirm-delivered",
    operation_id="confirmOutboxIncidentDelivered",
    summary="Close an uncertain incident as delivered.",
    tags=["outbox"],
    sync_to_thread=True,
    responses=WRITE,
    status_code=200,
)
def confirm_delivered(request: Request[Any, Any, Any], user: AuthUser, outbox_id: IncidentId) -> IncidentActionOut:
    """Close an ``uncertain`` incident: the recipient is known to have the message."""
    done = application_of(request).execute(ConfirmDelivered(outbox_id), user.actor)
    return IncidentActionOut(done.outbox_id, done.status)


HANDLERS = [outbox_summary, outbox_incidents, retry_incident, confirm_delivered]
