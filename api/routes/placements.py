"""Placements (placeringar): individual-level, inside the ordering board, every read logged."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from litestar import Request, Response, get, patch, post
from litestar.params import FromQuery, JSONBody, Parameter
from sqlalchemy import Connection, select

from workflow import scoping
from api.auth import AuthUser
from api.deps import IdempotencyKeyHeader, Page, create_once, to, workflow_of, writing
from api.problems import READ, WRITE, responses
from api.schemas.catalogue import PlacementIn, PlacementOut, PlacementPage, PlacementPatch
from workflow import placements
from workflow.access import record_reads
from workflow.db import read
from workflow.errors import NotFound
from workflow.placements import PLACEMENT

PathId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Filter = Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]
SORTS = {"id": PLACEMENT.c.id, "starts_on": PLACEMENT.c.starts_on}
LIST_RESPONSES = responses(401, 403, 422)
READ_RESPONSES = {**READ, **responses(403)}


@get("/placements", operation_id="listPlacements", tags=["placements"], sync_to_thread=True, responses=LIST_RESPONSES)
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
    scoping.require_individual_access(user)
    wf = workflow_of(request)
    q = select(PLACEMENT).where(scoping.placements(user))
    for column, value in (
        (PLACEMENT.c.agreement_id, agreement_id),
        (PLACEMENT.c.provider_id, provider_id),
        (PLACEMENT.c.social_worker_id, user.user_id if mine else social_worker_id),
    ):
        if value is not None:
            q = q.where(column == value)
    if ongoing_on is not None:
        q = q.where(PLACEMENT.c.starts_on <= ongoing_on)
        q = q.where(PLACEMENT.c.ends_on.is_(None) | (PLACEMENT.c.ends_on >= ongoing_on))
    col = SORTS[sort.lstrip("-")]
    q = q.order_by(col.desc() if sort.startswith("-") else col, PLACEMENT.c.id)
    with read(wf.engine) as conn:
        rows, total = paging.apply(conn, q)
    if rows:  # logged before anything individual leaves the server
        with writing(request) as conn:
            record_reads(conn, user.actor, "placement", [r["id"] for r in rows], "list", wf.clock())
    return PlacementPage(paging.page, paging.page_size, total, [to(PlacementOut, r) for r in rows])


@get(
    "/placements/{placement_id:int}",
    operation_id="getPlacement",
    tags=["placements"],
    sync_to_thread=True,
    responses=READ_RESPONSES,
)
def get_placement(request: Request[Any, Any, Any], user: AuthUser, placement_id: PathId) -> PlacementOut:
    """One placement; the read is logged."""
    scoping.require_individual_access(user)
    wf = workflow_of(request)
    with writing(request) as conn:
        row = (
            conn.execute(select(PLACEMENT).where(PLACEMENT.c.id == placement_id, scoping.placements(user)))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"placement {placement_id} not found")
        record_reads(conn, user.actor, "placement", [placement_id], "read", wf.clock())
    return to(PlacementOut, row)  # type: ignore[no-any-return]


@post("/placements", operation_id="registerPlacement", tags=["placements"], sync_to_thread=True, responses=WRITE)
def register_placement(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[PlacementIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[PlacementOut]:
    """Register a placement under an agreement the caller's board may call off from."""
    scoping.require_individual_access(user)
    wf = workflow_of(request)

    def create(conn: Connection) -> PlacementOut:
        terms = placements.PlacementTerms(
            data.agreement_id, data.client_ref, data.starts_on, data.gender, data.social_worker_id, data.ends_on
        )
        pid = placements.register_placement(wf, conn, user.actor, terms)
        return to(PlacementOut, conn.execute(select(PLACEMENT).where(PLACEMENT.c.id == pid)).mappings().one())  # type: ignore[no-any-return]

    return create_once(request, user, idempotency_key, request.url.path, data, create)


@patch(
    "/placements/{placement_id:int}",
    operation_id="updatePlacement",
    tags=["placements"],
    sync_to_thread=True,
    responses=WRITE,
)
def update_placement(
    request: Request[Any, Any, Any], user: AuthUser, placement_id: PathId, data: JSONBody[PlacementPatch]
) -> PlacementOut:
    """End a placement or hand it to another social worker of the same board."""
    scoping.require_individual_access(user)
    changes = {
        k: v for k, v in (("ends_on", data.ends_on), ("social_worker_id", data.social_worker_id)) if v is not None
    }
    with writing(request) as conn:
        placements.update_placement(conn, user.actor, placement_id, changes)
        row = conn.execute(select(PLACEMENT).where(PLACEMENT.c.id == placement_id)).mappings().one()
    return to(PlacementOut, row)  # type: ignore[no-any-return]


HANDLERS = [list_placements, get_placement, register_placement, update_placement]
