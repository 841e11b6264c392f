"""Agreements (avtal): register, read, list, change what the domain allows."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from litestar import Request, Response, get, patch, post
from litestar.params import FromQuery, JSONBody, Parameter

from api.auth import AuthUser
from api.deps import IdempotencyKeyHeader, Page, application_of, create_once, items, to
from api.problems import LIST, READ, WRITE
from api.schemas.catalogue import (
    AgreementIn,
    AgreementOut,
    AgreementOverviewOut,
    AgreementPage,
    AgreementPatch,
    AgreementType,
)
from workflow.registers import contracts
from workflow.registers import queries as registers
from workflow.registers.commands import RegisterAgreement, UpdateAgreement

PathId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Filter = Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]


@get(
    "/agreements",
    operation_id="listAgreements",
    summary="List the agreements the caller sees, with filters.",
    tags=["registers"],
    sync_to_thread=True,
    responses=LIST,
)
def list_agreements(
    request: Request[Any, Any, Any],
    user: AuthUser,
    paging: Page,
    organisation_id: Filter = None,
    provider_id: Filter = None,
    contract_area_id: Filter = None,
    agreement_type: FromQuery[AgreementType | None] = None,
    status: Annotated[str | None, Parameter(max_length=32)] = None,
    active_on: Annotated[date | None, Parameter(description="in force on this date")] = None,
    ends_before: FromQuery[date | None] = None,
    sort: FromQuery[Literal["id", "-id", "starts_on", "-starts_on", "ends_on", "-ends_on"]] = "id",
) -> AgreementPage:
    """The caller's agreements and every board's framework and LOV agreements."""
    filters = registers.AgreementFilter(
        organisation_id, provider_id, contract_area_id, agreement_type, status, active_on, ends_before, sort
    )
    found = registers.list_agreements(application_of(request).uow, user.actor, filters, paging)
    return AgreementPage(paging.page, paging.page_size, found.total, items(AgreementOut, found))


@get(
    "/agreements/{agreement_id:int}",
    operation_id="getAgreement",
    summary="Read one agreement.",
    tags=["registers"],
    sync_to_thread=True,
    responses=READ,
)
def get_agreement(request: Request[Any, Any, Any], user: AuthUser, agreement_id: PathId) -> AgreementOut:
    """One agreement; 404 if unknown or another board's own agreement."""
    row = registers.get_agreement(application_of(request).uow, user.actor, agreement_id)
    return to(AgreementOut, row)  # type: ignore[no-any-return]


@get(
    "/agreements/{agreement_id:int}/overview",
    operation_id="getAgreementOverview",
    summary="Show an agreement's screen: call-offs, cases, exclusions and placements.",
    tags=["registers"],
    sync_to_thread=True,
    responses=READ,
)
def agreement_overview(request: Request[Any, Any, Any], user: AuthUser, agreement_id: PathId) -> AgreementOverviewOut:
    """An agreement's screen: its provider and area by name, its call-offs, and the caller's board's work on it."""
    view = registers.agreement_view(application_of(request).uow, user.actor, agreement_id)
    return to(AgreementOverviewOut, view)  # type: ignore[no-any-return]


@post(
    "/agreements",
    operation_id="registerAgreement",
    summary="Register an agreement of the caller's organisation.",
    tags=["registers"],
    sync_to_thread=True,
    responses=WRITE,
)
def register_agreement(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[AgreementIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[AgreementOut]:
    """Register an agreement of the caller's organisation (status ``active``)."""
    terms = contracts.AgreementTerms(
        data.registry_number,
        data.agreement_type,
        data.provider_id,
        data.starts_on,
        data.ends_on,
        data.contract_area_id,
        data.parent_id,
        data.purchase_value_sek,
    )
    return create_once(
        request, user, idempotency_key, data, RegisterAgreement(terms), lambda row, uow: to(AgreementOut, row)
    )


@patch(
    "/agreements/{agreement_id:int}",
    operation_id="updateAgreement",
    summary="Change an open agreement's end date, value or contract area.",
    tags=["registers"],
    sync_to_thread=True,
    responses=WRITE,
)
def update_agreement(
    request: Request[Any, Any, Any], user: AuthUser, agreement_id: PathId, data: JSONBody[AgreementPatch]
) -> AgreementOut:
    """Change an open agreement's end date, purchase value or contract area. Its status follows its case."""
    command = UpdateAgreement(agreement_id, data.ends_on, data.purchase_value_sek, data.contract_area_id)
    row = application_of(request).execute(command, user.actor)
    return to(AgreementOut, row)  # type: ignore[no-any-return]


HANDLERS = [list_agreements, get_agreement, agreement_overview, register_agreement, update_agreement]
