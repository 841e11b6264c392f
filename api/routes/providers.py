"""Providers (leverantörer) and contract areas (avtalsområden): shared registers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, Response, get, patch, post
from litestar.params import FromQuery, JSONBody, Parameter

from api.auth import AuthUser
from api.deps import IdempotencyKeyHeader, Page, application_of, create_once, items, to
from api.problems import LIST, READ, WRITE
from api.schemas.catalogue import (
    ContractAreaIn,
    ContractAreaOut,
    ContractAreaPage,
    ContractAreaPatch,
    ProviderIn,
    ProviderListedOut,
    ProviderOut,
    ProviderOverviewOut,
    ProviderPage,
    ProviderPatch,
    Regime,
)
from workflow.registers import queries as registers
from workflow.registers.commands import (
    RegisterContractArea,
    RegisterProvider,
    RenameContractArea,
    UpdateProvider,
)

PathId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Search = Annotated[str | None, Parameter(min_length=1, max_length=100, description="part of the name")]


def _row(kind: type[Any]) -> Any:
    """The response to a register command: its row as ``kind``."""
    return lambda row, uow: to(kind, row)


@get(
    "/providers",
    operation_id="listProviders",
    summary="List providers and in-house units.",
    tags=["registers"],
    sync_to_thread=True,
    responses=LIST,
)
def list_providers(
    request: Request[Any, Any, Any],
    user: AuthUser,
    paging: Page,
    name: Search = None,
    in_house: FromQuery[bool | None] = None,
    sort: FromQuery[Literal["name", "-name", "id", "-id"]] = "name",
    open_cases: Annotated[
        bool, Parameter(description="also count each provider's open cases in the caller's organisation")
    ] = False,
) -> ProviderPage:
    """Providers and in-house units, filtered by name and kind."""
    filters = registers.ProviderFilter(name, in_house, sort, open_cases)
    found = registers.list_providers(application_of(request).uow, user.actor, filters, paging)
    return ProviderPage(paging.page, paging.page_size, found.total, items(ProviderListedOut, found))


@get(
    "/providers/{provider_id:int}",
    operation_id="getProvider",
    summary="Read one provider or in-house unit.",
    tags=["registers"],
    sync_to_thread=True,
    responses=READ,
)
def get_provider(request: Request[Any, Any, Any], user: AuthUser, provider_id: PathId) -> ProviderOut:
    """One provider."""
    return to(ProviderOut, registers.get_provider(application_of(request).uow, user.actor, provider_id))  # type: ignore[no-any-return]


@get(
    "/providers/{provider_id:int}/overview",
    operation_id="getProviderOverview",
    summary="Show a provider's screen: agreements, cases and exclusions.",
    tags=["registers"],
    sync_to_thread=True,
    responses=READ,
)
def provider_overview(request: Request[Any, Any, Any], user: AuthUser, provider_id: PathId) -> ProviderOverviewOut:
    """A provider's screen: the agreements the caller sees; the caller's board's cases, exclusions, placements."""
    view = registers.provider_view(application_of(request).uow, user.actor, provider_id)
    return to(ProviderOverviewOut, view)  # type: ignore[no-any-return]


@post(
    "/providers",
    operation_id="registerProvider",
    summary="Register a provider or an in-house unit.",
    tags=["registers"],
    sync_to_thread=True,
    responses=WRITE,
)
def register_provider(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[ProviderIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[ProviderOut]:
    """Register a provider; an in-house unit belongs to the caller's organisation."""
    command = RegisterProvider(data.org_number, data.name, data.in_house, data.contact_email)
    return create_once(request, user, idempotency_key, data, command, _row(ProviderOut))


@patch(
    "/providers/{provider_id:int}",
    operation_id="updateProvider",
    summary="Change a provider's name or contact address.",
    tags=["registers"],
    sync_to_thread=True,
    responses=WRITE,
)
def update_provider(
    request: Request[Any, Any, Any], user: AuthUser, provider_id: PathId, data: JSONBody[ProviderPatch]
) -> ProviderOut:
    """Change a provider's name or contact address."""
    row = application_of(request).execute(UpdateProvider(provider_id, data.name, data.contact_email), user.actor)
    return to(ProviderOut, row)  # type: ignore[no-any-return]


@get(
    "/contract-areas",
    operation_id="listContractAreas",
    summary="List contract areas.",
    tags=["registers"],
    sync_to_thread=True,
    responses=LIST,
)
def list_areas(
    request: Request[Any, Any, Any],
    user: AuthUser,
    paging: Page,
    organisation_id: Annotated[int | None, Parameter(ge=1, le=2**31 - 1)] = None,
    regime: FromQuery[Regime | None] = None,
    sort: FromQuery[Literal["code", "-code", "id", "-id"]] = "code",
) -> ContractAreaPage:
    """Contract areas of every board, filtered by owner and regime."""
    filters = registers.AreaFilter(organisation_id, regime, sort)
    found = registers.list_contract_areas(application_of(request).uow, user.actor, filters, paging)
    return ContractAreaPage(paging.page, paging.page_size, found.total, items(ContractAreaOut, found))


@get(
    "/contract-areas/{area_id:int}",
    operation_id="getContractArea",
    summary="Read one contract area.",
    tags=["registers"],
    sync_to_thread=True,
    responses=READ,
)
def get_area(request: Request[Any, Any, Any], user: AuthUser, area_id: PathId) -> ContractAreaOut:
    """One contract area."""
    return to(ContractAreaOut, registers.get_contract_area(application_of(request).uow, user.actor, area_id))  # type: ignore[no-any-return]


@post(
    "/contract-areas",
    operation_id="addContractArea",
    summary="Add a contract area of the caller's organisation.",
    tags=["registers"],
    sync_to_thread=True,
    responses=WRITE,
)
def add_area(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[ContractAreaIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[ContractAreaOut]:
    """Add a contract area owned by the caller's organisation."""
    command = RegisterContractArea(data.code, data.name, data.regime)
    return create_once(request, user, idempotency_key, data, command, _row(ContractAreaOut))


@patch(
    "/contract-areas/{area_id:int}",
    operation_id="renameContractArea",
    summary="Rename a contract area of the caller's organisation.",
    tags=["registers"],
    sync_to_thread=True,
    responses=WRITE,
)
def rename_area(
    request: Request[Any, Any, Any], user: AuthUser, area_id: PathId, data: JSONBody[ContractAreaPatch]
) -> ContractAreaOut:
    """Rename a contract area of the caller's organisation."""
    row = application_of(request).execute(RenameContractArea(area_id, data.name), user.actor)
    return to(ContractAreaOut, row)  # type: ignore[no-any-return]


HANDLERS = [
    list_providers,
    get_provider,
    provider_overview,
    register_provider,
    update_provider,
    list_areas,
    get_area,
    add_area,
    rename_area,
]
