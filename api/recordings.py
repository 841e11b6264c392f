"""Recording the report inputs that are not cases, over HTTP (registrering av underlag).

Invoice sampling rounds (fakturagranskning), individual follow-ups of the pilot model
(individuppföljning, domain.md §4.4) and the follow-up owner of a unit (uppföljningsansvarig).
Each request is one command of ``workflow.reports.recording``, validated before anything is
written; creating requests take an ``Idempotency-Key``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, post, put
from litestar.params import JSONBody, PathParameter
from sqlalchemy import Connection, select

from workflow import scoping
from api.auth import AuthUser
from api.deps import IdempotencyKeyHeader, create_once, writing
from api.problems import WRITE
from workflow.errors import NotFound
from workflow.reports import recording
from workflow.reports.queries import AGREEMENT, PLACEMENT

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
    scoping.require_staff(user, "record follow-up data")

    def create(conn: Connection) -> InvoiceRoundOut:
        for agreement_id in {i.agreement_id for i in data.invoices if i.agreement_id is not None}:
            visible = conn.execute(
                select(AGREEMENT.c.id).where(AGREEMENT.c.id == agreement_id, scoping.agreements(user))
            ).first()
            if visible is None:
                raise NotFound(f"agreement {agreement_id} not found")
        stored = recording.record_invoice_samples(
            conn,
            user.organisation_id,
            data.round_label,
            data.sampled_on,
            data.selection,
            [recording.SampledInvoice(i.invoice_ref, i.correct, i.agreement_id, i.error_type) for i in data.invoices],
        )
        return InvoiceRoundOut(data.round_label.strip(), stored)

    return create_once(request, user, idempotency_key, request.url.path, data, create)


@post(
    "/placements/{placement_id:int}/individual-follow-ups",
    operation_id="recordIndividualFollowUp",
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
    scoping.require_individual_access(user)
    scoping.require_staff(user, "record follow-up data")

    def create(conn: Connection) -> IndividualFollowUpOut:
        visible = conn.execute(
            select(PLACEMENT.c.id).where(PLACEMENT.c.id == placement_id, scoping.placements(user))
        ).first()
        if visible is None:
            raise NotFound(f"placement {placement_id} not found")
        answers = {str(q): str(r) for q, r in data.answers.items()} if data.answers is not None else None
        fid = recording.record_individual_follow_up(
            conn, user.organisation_id, placement_id, data.performed_on, answers
        )
        return IndividualFollowUpOut(fid, placement_id, answers is not None)

    return create_once(request, user, idempotency_key, request.url.path, data, create)


@put(
    "/providers/{provider_id:int}/follow-up-owner",
    operation_id="setFollowUpOwner",
    tags=["recording"],
    sync_to_thread=True,
    responses=WRITE,
)
def set_follow_up_owner(
    request: Request[Any, Any, Any], user: AuthUser, provider_id: PathId, data: JSONBody[FollowUpOwnerIn]
) -> FollowUpOwnerOut:
    """Make a user of the caller's organisation responsible for following up the unit."""
    scoping.require_staff(user, "record follow-up data")
    with writing(request) as conn:
        recording.set_follow_up_owner(conn, user.organisation_id, provider_id, data.owner_id, data.since)
    return FollowUpOwnerOut(provider_id, data.owner_id, data.since)


HANDLERS = [record_invoice_samples, record_individual_follow_up, set_follow_up_owner]
