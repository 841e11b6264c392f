"""Placements (placeringar): individual-level, inside the ordering board, every read logged."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from litestar import Request, Response, get, patch, post
from litestar.params import FromQuery, JSONBody, Parameter

from api.auth import AuthUser
from api.deps import IdempotencyKeyHeader, Page, application_of, create_once, items, to
from api.problems import READ, WRITE, responses
from api.schemas.catalogue import PlacementIn, PlacementOut, PlacementPage, PlacementPatch
from workflow.registers import placement_queries, placements
from workflow.registers.commands import RegisterPlacement, UpdatePlacement

PathId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Filter = Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]
LIST_RESPONSES = responses(401, 403, 422)
READ_RESPONSES = {**READ, **responses(403)}


@get(
    "/placements",
    operation_id="listPlacements",
    summary="List the placements the caller may see.",
    tags=["placements"],
    sync_to_thread=True,
    responses=LIST_RESPONSES,
)
def list_placements(
    request: Request[Any, Any, Any],
    user: AuthUser,
    paging: Page,
    agreement_id: Filter = None,
    provider_id: Filter = None,
    social_worker_id: Filter = None,
    mine: Annotated[bool, Parameter(description="only placements where the caller is the social worker")] = False,
    ongoing_on: Annotated[date | None, Parameter(description="ongoing on this date")] = None,
    sort: FromQuery[Literal["id", "-id", "starts_on", "-starts_on"]] = "-starts_on",
) -> PlacementPage:
    """The caller's organisation's placements (403 for roles that see aggregates only)."""
    filters = placement_queries.PlacementFilter(agreement_id, provider_id, social_worker_id, mine, ongoing_on, sort)
    found = placement_queries.list_placements(application_of(request).uow, user.actor, filters, paging)
    return PlacementPage(paging.page, paging.page_size, found.total, items(PlacementOut, found))


@get(
    "/placements/{placement_id:int}",
    operation_id="getPlacement",
    summary="Read one placement.",
    tags=["placements"],
    sync_to_thread=True,
    responses=READ_RESPONSES,
)
def get_placement(request: Request[Any, Any, Any], user: AuthUser, placement_id: PathId) -> PlacementOut:
    """One placement; the read is logged."""
    row = placement_queries.get_placement(application_of(request).uow, user.actor, placement_id)
    return to(PlacementOut, row)  # type: ignore[no-any-return]


@post(
    "/placements",
    operation_id="registerPlacement",
    summary="Register a placement and open its implementation-plan case.",
    tags=["placements"],
    sync_to_thread=True,
    responses=WRITE,
)
def register_placement(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[PlacementIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[PlacementOut]:
    """Register a placement under an agreement the caller's board may call off from."""
    terms = placements.PlacementTerms(
        data.agreement_id, data.client_ref, data.starts_on, data.gender, data.social_worker_id, data.ends_on
    )
    return create_once(
        request, user, idempotency_key, data, RegisterPlacement(terms), lambda row, uow: to(PlacementOut, row)
    )


@patch(
    "/placements/{placement_id:int}",
    operation_id="updatePlacement",
    summary="End a placement or hand it to another social worker.",
    tags=["placements"],
    sync_to_thread=True,
    responses=WRITE,
)
def update_placement(
    request: Request[Any, Any, Any], user: AuthUser, placement_id: PathId, data: JSONBody[PlacementPatch]
) -> PlacementOut:
    """End a placement or hand it to another social worker of the same board."""
    command = UpdatePlacement(placement_id, data.ends_on, data.social_worker_id)
    return to(PlacementOut, application_of(request).execute(command, user.actor))  # type: ignore[no-any-return]


HANDLERS = [list_placements, get_placement, register_placement, update_placement]
