"""Commands recording the report inputs that are not cases (registrering av underlag).

Invoice sampling rounds (fakturagranskning), individual follow-ups of the pilot model
(individuppföljning) and the follow-up owner of a unit (uppföljningsansvarig); only staff of
the organisation record them, and what they refer to must be in the actor's scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from workflow.cases import scoping
from workflow.engine.commands import handles
from workflow.engine.errors import NotFound
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork
from workflow.registers.queries import agreement
from workflow.reports import recording
from workflow.schema.tables import PLACEMENT


@dataclass(frozen=True, slots=True)
class RecordInvoiceSamples:
    """Record one invoice sampling round (stickprov) of the actor's organisation: label, date, selection, invoices."""

    round_label: str
    sampled_on: date
    selection: str
    invoices: tuple[recording.SampledInvoice, ...]


@dataclass(frozen=True, slots=True)
class InvoiceRound:
    """What a recorded round stored."""

    round_label: str
    stored: int


@dataclass(frozen=True, slots=True)
class RecordIndividualFollowUp:
    """Record a performed individual follow-up of a placement; ``answers`` (question → rating) when registered."""

    placement_id: int
    performed_on: date
    answers: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class IndividualFollowUpRecorded:
    """The stored follow-up."""

    id: int
    placement_id: int
    registered: bool


@dataclass(frozen=True, slots=True)
class SetFollowUpOwner:
    """Make a user of the actor's organisation responsible for following up a unit, from ``since``."""

    provider_id: int
    owner_id: int
    since: date


@handles(RecordInvoiceSamples)
def record_invoice_samples(cmd: RecordInvoiceSamples, actor: Actor, uow: UnitOfWork) -> InvoiceRound:
    """Store the round; every agreement named must be in the actor's scope."""
    scoping.require_staff(actor, "record follow-up data")

    def work(conn: Connection) -> InvoiceRound:
        for agreement_id in sorted({i.agreement_id for i in cmd.invoices if i.agreement_id is not None}):
            agreement(conn, actor, agreement_id)  # NotFound outside the actor's scope
        stored = recording.record_invoice_samples(
            conn, actor.organisation_id, cmd.round_label, cmd.sampled_on, cmd.selection, cmd.invoices
        )
        return InvoiceRound(cmd.round_label.strip(), stored)

    return uow.write(work)


@handles(RecordIndividualFollowUp)
def record_individual_follow_up(
    cmd: RecordIndividualFollowUp, actor: Actor, uow: UnitOfWork
) -> IndividualFollowUpRecorded:
    """Store the follow-up of a placement of the actor's board."""
    scoping.require_individual_access(actor)
    scoping.require_staff(actor, "record follow-up data")

    def work(conn: Connection) -> IndividualFollowUpRecorded:
        visible = conn.execute(
            select(PLACEMENT.c.id).where(PLACEMENT.c.id == cmd.placement_id, scoping.placements(actor))
        ).first()
        if visible is None:
            raise NotFound(f"placement {cmd.placement_id} not found")
        answers = dict(cmd.answers) if cmd.answers is not None else None
        fid = recording.record_individual_follow_up(
            conn, actor.organisation_id, cmd.placement_id, cmd.performed_on, answers
        )
        return IndividualFollowUpRecorded(fid, cmd.placement_id, answers is not None)

    return uow.write(work)


@handles(SetFollowUpOwner)
def set_follow_up_owner(cmd: SetFollowUpOwner, actor: Actor, uow: UnitOfWork) -> SetFollowUpOwner:
    """Make the user the follow-up owner; answers the command as done."""
    scoping.require_staff(actor, "record follow-up data")
    uow.write(
        lambda conn: recording.set_follow_up_owner(
            conn, actor.organisation_id, cmd.provider_id, cmd.owner_id, cmd.since
        )
    )
    return cmd
