"""Recording the report inputs that are not cases, over HTTP (registrering av underlag).

Invoice sampling rounds (fakturagranskning), individual follow-ups of the pilot model
(individuppföljning, domain.md §4.4) and the follow-up owner of a unit (uppföljningsansvarig).
Each request is one command of ``workflow.reports.recording_commands``, validated before anything is
written; creating requests take an ``Idempotency-Key``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, post, put
from litestar.params import JSONBody, PathParameter

from api.auth import AuthUser
from api.deps import IdempotencyKeyHeader, application_of, create_once
from api.problems import WRITE
from workflow.reports import recording
from workflow.reports.recording_commands import RecordIndividualFollowUp, RecordInvoiceSamples, SetFollowUpOwner

PathId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
Selection = Literal["random_invoices", "random_closed_cases", "special_follow_up", "pilot"]
InvoiceError = Literal[
    "move_out_day_billed",
    "missing_financial_assistance_deduction",
    "wrong_price",
    "service_not_ordered",
    "cost_responsibility",
    "other",
]
Rating = Literal["deficient", "could_do_better", "approved", "very_good"]
Question = Literal["C1", "C2", "C3", "A1", "A2", "A3", "A4"]


class SampledInvoiceIn(msgspec.Struct, forbid_unknown_fields=True):
    """One checked invoice: correct, or the kind of error found."""

    invoice_ref: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    correct: bool
    agreement_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None
    error_type: InvoiceError | None = None


class InvoiceRoundIn(msgspec.Struct, forbid_unknown_fields=True):
    """A sampling round: its label, date, how the invoices were selected, and what was found."""

    round_label: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    sampled_on: date
    selection: Selection
    invoices: Annotated[list[SampledInvoiceIn], msgspec.Meta(min_length=1, max_length=2000)]


class InvoiceRoundOut(msgspec.Struct):
    """How many invoices the round stored."""

    round_label: str
    stored: int


class IndividualFollowUpIn(msgspec.Struct, forbid_unknown_fields=True):
    """A performed individual follow-up; ``answers`` when it was registered (assessment questions mandatory)."""

    performed_on: date
    answers: dict[Question, Rating] | None = None


class IndividualFollowUpOut(msgspec.Struct):
    """The stored follow-up."""

    id: int
    placement_id: int
    registered: bool


class FollowUpOwnerIn(msgspec.Struct, forbid_unknown_fields=True):
    """Who in the caller's organisation follows up the unit, from when."""

    owner_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
    since: date


class FollowUpOwnerOut(msgspec.Struct):
    """The unit's follow-up owner now."""

    provider_id: int
    owner_id: int
    since: date


@post(
    "/invoice-samples",
    operation_id="recordInvoiceSamples",
    summary="Record an invoice sampling round.",
    tags=["recording"],
    sync_to_thread=True,
    responses=WRITE,
)
def record_invoice_samples(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[InvoiceRoundIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[InvoiceRoundOut]:
    """Record one invoice sampling round of the caller's organisation."""
    command = RecordInvoiceSamples(
        data.round_label,
        data.sampled_on,
        data.selection,
        tuple(recording.SampledInvoice(i.invoice_ref, i.correct, i.agreement_id, i.error_type) for i in data.invoices),
    )
    return create_once(
        request, user, idempotency_key, data, command, lambda done, uow: InvoiceRoundOut(done.round_label, done.stored)
    )


@post(
    "/placements/{placement_id:int}/individual-follow-ups",
    operation_id="recordIndividualFollowUp",
    summary="Record an individual follow-up of a placement.",
    tags=["recording"],
    sync_to_thread=True,
    responses=WRITE,
)
def record_individual_follow_up(
    request: Request[Any, Any, Any],
    user: AuthUser,
    placement_id: PathId,
    data: JSONBody[IndividualFollowUpIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[IndividualFollowUpOut]:
    """Record an individual follow-up of a placement of the caller's board (individual-level data)."""
    answers = {str(q): str(r) for q, r in data.answers.items()} if data.answers is not None else None
    command = RecordIndividualFollowUp(placement_id, data.performed_on, answers)
    return create_once(
        request,
        user,
        idempotency_key,
        data,
        command,
        lambda done, uow: IndividualFollowUpOut(done.id, done.placement_id, done.registered),
    )


@put(
    "/providers/{provider_id:int}/follow-up-owner",
    operation_id="setFollowUpOwner",
    summary="Make a user responsible for following up a unit.",
    tags=["recording"],
    sync_to_thread=True,
    responses=WRITE,
)
def set_follow_up_owner(
    request: Request[Any, Any, Any], user: AuthUser, provider_id: PathId, data: JSONBody[FollowUpOwnerIn]
) -> FollowUpOwnerOut:
    """Make a user of the caller's organisation responsible for following up the unit."""
    done = application_of(request).execute(SetFollowUpOwner(provider_id, data.owner_id, data.since), user.actor)
    return FollowUpOwnerOut(done.provider_id, done.owner_id, done.since)


HANDLERS = [record_invoice_samples, record_individual_follow_up, set_follow_up_owner]
