"""Reading placements (placeringar): individual-level, inside the ordering board, every read logged.

Roles that see aggregates only (the board, its secretary) are refused outright (403); another
board's placement is :class:`NotFound`. Each placement read, in a list or alone, is written to
the access log before the function returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from workflow.cases import scoping
from workflow.cases.access import record_reads
from workflow.cases.paging import Order, Page, PageRequest, SortKey, fetch
from workflow.cases.scoping import Viewer
from workflow.engine.errors import InvalidInput, NotFound
from workflow.engine.uow import UnitOfWork
from workflow.registers.placements import PLACEMENT

SORTS = {"id": PLACEMENT.c.id, "starts_on": PLACEMENT.c.starts_on}


@dataclass(frozen=True, slots=True)
class PlacementFilter:
    """Agreement, provider, social worker (``mine``: the viewer), ongoing on a date; ``sort`` by id or start."""

    agreement_id: int | None = None
    provider_id: int | None = None
    social_worker_id: int | None = None
    mine: bool = False
    ongoing_on: date | None = None
    sort: str = "-starts_on"


def list_placements(uow: UnitOfWork, viewer: Viewer, filters: PlacementFilter, page: PageRequest) -> Page:
    """The viewer's board's placements; every one listed is logged as read."""
    scoping.require_individual_access(viewer)
    q = select(PLACEMENT).where(scoping.placements(viewer))
    for column, value in (
        (PLACEMENT.c.agreement_id, filters.agreement_id),
        (PLACEMENT.c.provider_id, filters.provider_id),
        (PLACEMENT.c.social_worker_id, viewer.user_id if filters.mine else filters.social_worker_id),
    ):
        if value is not None:
            q = q.where(column == value)
    if filters.ongoing_on is not None:
        q = q.where(PLACEMENT.c.starts_on <= filters.ongoing_on)
        q = q.where(PLACEMENT.c.ends_on.is_(None) | (PLACEMENT.c.ends_on >= filters.ongoing_on))
    name = filters.sort.lstrip("-")
    if name not in SORTS:
        raise InvalidInput(f"unknown sort {filters.sort!r}", rule="sort")
    desc = filters.sort.startswith("-")
    keys = [SortKey(name, SORTS[name], desc)] if name != "id" else []
    order = Order(filters.sort, [*keys, SortKey("id", PLACEMENT.c.id, desc and name == "id")])
    found = uow.read(lambda conn: fetch(conn, q, order, page))
    if found.items:  # logged before anything individual leaves
        now = uow.clock()
        uow.write(lambda conn: record_reads(conn, viewer, "placement", [r["id"] for r in found.items], "list", now))
    return found


def get_placement(uow: UnitOfWork, viewer: Viewer, placement_id: int) -> dict[str, Any]:
    """One placement of the viewer's board; the read is logged in the same transaction."""
    scoping.require_individual_access(viewer)
    now = uow.clock()

    def read(conn: Any) -> dict[str, Any]:
        row = (
            conn.execute(select(PLACEMENT).where(PLACEMENT.c.id == placement_id, scoping.placements(viewer)))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"placement {placement_id} not found")
        record_reads(conn, viewer, "placement", [placement_id], "read", now)
        return dict(row)

    return uow.write(read)
