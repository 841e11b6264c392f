"""Commands on outbox incidents (utkorgens incidenter): send a failed message again, or confirm it arrived.

Only staff of the organisation act on its incidents; another organisation's message is :class:`NotFound`.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.cases import scoping
from workflow.engine.commands import handles
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork
from workflow.notify import outbox


@dataclass(frozen=True, slots=True)
class RetryIncident:
    """Queue a failed message again, its attempts starting over (check first if it was ``uncertain``)."""

    outbox_id: int


@dataclass(frozen=True, slots=True)
class ConfirmDelivered:
    """Close an ``uncertain`` incident: the recipient is known to have the message."""

    outbox_id: int


@dataclass(frozen=True, slots=True)
class IncidentStatus:
    """The message's delivery state after the action."""

    outbox_id: int
    status: str


@handles(RetryIncident)
def retry_incident(cmd: RetryIncident, actor: Actor, uow: UnitOfWork) -> IncidentStatus:
    """Queue the message again."""
    scoping.require_staff(actor, "act on outbox incidents")
    uow.write(lambda conn: outbox.retry_incident(conn, actor.organisation_id, cmd.outbox_id, uow.clock()))
    return IncidentStatus(cmd.outbox_id, "pending")


@handles(ConfirmDelivered)
def confirm_delivered(cmd: ConfirmDelivered, actor: Actor, uow: UnitOfWork) -> IncidentStatus:
    """Mark the message delivered."""
    scoping.require_staff(actor, "act on outbox incidents")
    uow.write(lambda conn: outbox.confirm_delivered(conn, actor.organisation_id, cmd.outbox_id, uow.clock()))
    return IncidentStatus(cmd.outbox_id, "sent")
