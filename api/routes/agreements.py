"""Agreements (avtal): register, read, list, change what the domain allows."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from litestar import Request, Response, get, patch, post
from litestar.params import FromQuery, JSONBody, Parameter
from sqlalchemy import Connection, select

from workflow import scoping
from api.auth import AuthUser
from api.deps import IdempotencyKeyHeader, Page, create_once, to, workflow_of, writing
from api.problems import LIST, READ, WRITE
from api.schemas.catalogue import AgreementIn, AgreementOut, AgreementPage, AgreementPatch, AgreementType
from workflow import contracts
from workflow.contracts import AGREEMENT
from workflow.db import read
from workflow.errors import NotFound

PathId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Filter = Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]
SORTS = {"id": AGREEMENT.c.id, "starts_on": AGREEMENT.c.starts_on, "ends_on": AGREEMENT.c.ends_on}


@get("/agreements", operation_id="listAgreements", tags=["registers"], sync_to_thread=True, responses=LIST)
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
    q = select(AGREEMENT).where(scoping.agreements(user))
    for column, value in (
        (AGREEMENT.c.organisation_id, organisation_id),
        (AGREEMENT.c.provider_id, provider_id),
        (AGREEMENT.c.contract_area_id, contract_area_id),
        (AGREEMENT.c.agreement_type, agreement_type),
        (AGREEMENT.c.status, status),
    ):
        if value is not None:
            q = q.where(column == value)
    if active_on is not None:
        q = q.where(AGREEMENT.c.starts_on <= active_on)
        q = q.where(AGREEMENT.c.ends_on.is_(None) | (AGREEMENT.c.ends_on >= active_on))
    if ends_before is not None:
        q = q.where(AGREEMENT.c.ends_on < ends_before)
    col = SORTS[sort.lstrip("-")]
    q = q.order_by(col.desc() if sort.startswith("-") else col, AGREEMENT.c.id)
    with read(workflow_of(request).engine) as conn:
        rows, total = paging.apply(conn, q)
    return AgreementPage(paging.page, paging.page_size, total, [to(AgreementOut, r) for r in rows])


@get(
    "/agreements/{agreement_id:int}",
    operation_id="getAgreement",
    tags=["registers"],
    sync_to_thread=True,
    responses=READ,
)
def get_agreement(request: Request[Any, Any, Any], user: AuthUser, agreement_id: PathId) -> AgreementOut:
    """One agreement; 404 if unknown or another board's own agreement."""
    with read(workflow_of(request).engine) as conn:
        row = (
            conn.execute(select(AGREEMENT).where(AGREEMENT.c.id == agreement_id, scoping.agreements(user)))
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"agreement {agreement_id} not found")
    return to(AgreementOut, row)  # type: ignore[no-any-return]


@post("/agreements", operation_id="registerAgreement", tags=["registers"], sync_to_thread=True, responses=WRITE)
def register_agreement(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[AgreementIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[AgreementOut]:
    """Register an agreement of the caller's organisation (status ``active``)."""

    def create(conn: Connection) -> AgreementOut:
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
        aid = contracts.register_agreement(conn, user.actor, terms)
        return to(AgreementOut, conn.execute(select(AGREEMENT).where(AGREEMENT.c.id == aid)).mappings().one())  # type: ignore[no-any-return]

    return create_once(request, user, idempotency_key, request.url.path, data, create)


@patch(
    "/agreements/{agreement_id:int}",
    operation_id="updateAgreement",
    tags=["registers"],
    sync_to_thread=True,
    responses=WRITE,
)
def update_agreement(
    request: Request[Any, Any, Any], user: AuthUser, agreement_id: PathId, data: JSONBody[AgreementPatch]
) -> AgreementOut:
    """Change an open agreement's end date, purchase value or contract area. Its status follows its case."""
    changes = {
        k: v
        for k, v in (
            ("ends_on", data.ends_on),
            ("purchase_value_sek", data.purchase_value_sek),
            ("contract_area_id", data.contract_area_id),
        )
        if v is not None
    }
    with writing(request) as conn:
        contracts.update_agreement(conn, user.actor, agreement_id, changes)
        row = conn.execute(select(AGREEMENT).where(AGREEMENT.c.id == agreement_id)).mappings().one()
    return to(AgreementOut, row)  # type: ignore[no-any-return]


HANDLERS = [list_agreements, get_agreement, register_agreement, update_agreement]
