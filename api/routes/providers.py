"""Providers (leverantörer) and contract areas (avtalsområden): shared registers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, Response, get, patch, post
from litestar.params import FromQuery, JSONBody, Parameter
from sqlalchemy import Connection, select

from workflow import scoping
from api.auth import AuthUser
from api.deps import IdempotencyKeyHeader, Page, create_once, to, workflow_of, writing
from api.problems import LIST, READ, WRITE
from api.schemas.catalogue import (
    ContractAreaIn,
    ContractAreaOut,
    ContractAreaPage,
    ContractAreaPatch,
    ProviderIn,
    ProviderOut,
    ProviderPage,
    ProviderPatch,
    Regime,
)
from workflow import contracts
from workflow.contracts import AREA, PROVIDER
from workflow.db import read
from workflow.errors import NotFound

PathId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Search = Annotated[str | None, Parameter(min_length=1, max_length=100, description="part of the name")]


def _read(request: Request[Any, Any, Any]) -> Any:
    return read(workflow_of(request).engine)


@get("/providers", operation_id="listProviders", tags=["registers"], sync_to_thread=True, responses=LIST)
def list_providers(
    request: Request[Any, Any, Any],
    user: AuthUser,
    paging: Page,
    name: Search = None,
    in_house: FromQuery[bool | None] = None,
    sort: FromQuery[Literal["name", "-name", "id", "-id"]] = "name",
) -> ProviderPage:
    """Providers and in-house units, filtered by name and kind."""
    q = select(PROVIDER).where(scoping.shared_register())
    if name:
        q = q.where(PROVIDER.c.name.ilike(f"%{name}%"))
    if in_house is not None:
        q = q.where(PROVIDER.c.in_house.is_(in_house))
    col = PROVIDER.c.name if sort.lstrip("-") == "name" else PROVIDER.c.id
    q = q.order_by(col.desc() if sort.startswith("-") else col, PROVIDER.c.id)
    with _read(request) as conn:
        rows, total = paging.apply(conn, q)
    return ProviderPage(paging.page, paging.page_size, total, [to(ProviderOut, r) for r in rows])


@get(
    "/providers/{provider_id:int}", operation_id="getProvider", tags=["registers"], sync_to_thread=True, responses=READ
)
def get_provider(request: Request[Any, Any, Any], user: AuthUser, provider_id: PathId) -> ProviderOut:
    """One provider."""
    with _read(request) as conn:
        row = conn.execute(select(PROVIDER).where(PROVIDER.c.id == provider_id)).mappings().first()
    if row is None:
        raise NotFound(f"provider {provider_id} not found")
    return to(ProviderOut, row)  # type: ignore[no-any-return]


@post("/providers", operation_id="registerProvider", tags=["registers"], sync_to_thread=True, responses=WRITE)
def register_provider(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[ProviderIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[ProviderOut]:
    """Register a provider; an in-house unit belongs to the caller's organisation."""

    def create(conn: Connection) -> ProviderOut:
        pid = contracts.register_provider(
            conn, user.actor, data.org_number, data.name, data.in_house, data.contact_email
        )
        return to(ProviderOut, conn.execute(select(PROVIDER).where(PROVIDER.c.id == pid)).mappings().one())  # type: ignore[no-any-return]

    return create_once(request, user, idempotency_key, request.url.path, data, create)


@patch(
    "/providers/{provider_id:int}",
    operation_id="updateProvider",
    tags=["registers"],
    sync_to_thread=True,
    responses=WRITE,
)
def update_provider(
    request: Request[Any, Any, Any], user: AuthUser, provider_id: PathId, data: JSONBody[ProviderPatch]
) -> ProviderOut:
    """Change a provider's name or contact address."""
    changes = {k: v for k, v in (("name", data.name), ("contact_email", data.contact_email)) if v is not None}
    with writing(request) as conn:
        contracts.update_provider(conn, user.actor, provider_id, changes)
        row = conn.execute(select(PROVIDER).where(PROVIDER.c.id == provider_id)).mappings().one()
    return to(ProviderOut, row)  # type: ignore[no-any-return]


@get("/contract-areas", operation_id="listContractAreas", tags=["registers"], sync_to_thread=True, responses=LIST)
def list_areas(
    request: Request[Any, Any, Any],
    user: AuthUser,
    paging: Page,
    organisation_id: Annotated[int | None, Parameter(ge=1, le=2**31 - 1)] = None,
    regime: FromQuery[Regime | None] = None,
    sort: FromQuery[Literal["code", "-code", "id", "-id"]] = "code",
) -> ContractAreaPage:
    """Contract areas of every board, filtered by owner and regime."""
    q = select(AREA).where(scoping.shared_register())
    if organisation_id is not None:
        q = q.where(AREA.c.organisation_id == organisation_id)
    if regime is not None:
        q = q.where(AREA.c.regime == regime)
    col = AREA.c.code if sort.lstrip("-") == "code" else AREA.c.id
    q = q.order_by(col.desc() if sort.startswith("-") else col, AREA.c.id)
    with _read(request) as conn:
        rows, total = paging.apply(conn, q)
    return ContractAreaPage(paging.page, paging.page_size, total, [to(ContractAreaOut, r) for r in rows])


@get(
    "/contract-areas/{area_id:int}",
    operation_id="getContractArea",
    tags=["registers"],
    sync_to_thread=True,
    responses=READ,
)
def get_area(request: Request[Any, Any, Any], user: AuthUser, area_id: PathId) -> ContractAreaOut:
    """One contract area."""
    with _read(request) as conn:
        row = conn.execute(select(AREA).where(AREA.c.id == area_id)).mappings().first()
    if row is None:
        raise NotFound(f"contract area {area_id} not found")
    return to(ContractAreaOut, row)  # type: ignore[no-any-return]


@post("/contract-areas", operation_id="addContractArea", tags=["registers"], sync_to_thread=True, responses=WRITE)
def add_area(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[ContractAreaIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[ContractAreaOut]:
    """Add a contract area owned by the caller's organisation."""

    def create(conn: Connection) -> ContractAreaOut:
        aid = contracts.register_contract_area(conn, user.actor, data.code, data.name, data.regime)
        return to(ContractAreaOut, conn.execute(select(AREA).where(AREA.c.id == aid)).mappings().one())  # type: ignore[no-any-return]

    return create_once(request, user, idempotency_key, request.url.path, data, create)


@patch(
    "/contract-areas/{area_id:int}",
    operation_id="renameContractArea",
    tags=["registers"],
    sync_to_thread=True,
    responses=WRITE,
)
def rename_area(
    request: Request[Any, Any, Any], user: AuthUser, area_id: PathId, data: JSONBody[ContractAreaPatch]
) -> ContractAreaOut:
    """Rename a contract area of the caller's organisation."""
    with writing(request) as conn:
        contracts.update_contract_area(conn, user.actor, area_id, data.name)
        row = conn.execute(select(AREA).where(AREA.c.id == area_id)).mappings().one()
    return to(ContractAreaOut, row)  # type: ignore[no-any-return]


HANDLERS = [
    list_providers,
    get_provider,
    register_provider,
    update_provider,
    list_areas,
    get_area,
    add_area,
    rename_area,
]
