"""Reading deadlines (tidsfrister): an organisation's open deadlines, and the changes made to one.

A deadline is seen through its case (:func:`workflow.cases.scoping.cases`): another board's, or an
individual-level case's deadline asked for by a role that sees aggregates, is :class:`NotFound`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from workflow.cases import scoping
from workflow.cases.access import record_reads
from workflow.cases.paging import Order, Page, PageRequest, SortKey, fetch
from workflow.cases.scoping import Viewer
from workflow.engine.errors import NotFound
from workflow.engine.firing import CASE
from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import CHANGE, DEADLINE, PROVIDER, USER

OPEN = ("pending", "suspended")


def require_deadline_visible(conn: Connection, viewer: Viewer, deadline_id: int) -> int:
    """The deadline's case id; :class:`NotFound` unless its case is in the viewer's scope."""
    row = conn.execute(
        select(CASE.c.id, CASE.c.organisation_id, CASE.c.case_type, CASE.c.placement_id)
        .select_from(DEADLINE.join(CASE, CASE.c.id == DEADLINE.c.case_id))
        .where(DEADLINE.c.id == deadline_id)
    ).first()
    if row is None or not scoping.case_visible(viewer, row):
        raise NotFound(f"deadline {deadline_id} not found")
    return int(row.id)


def deadline(conn: Connection, deadline_id: int) -> dict[str, Any]:
    """One deadline row (after a check of its scope)."""
    return dict(conn.execute(select(DEADLINE).where(DEADLINE.c.id == deadline_id)).mappings().one())


def organisation_deadlines(uow: UnitOfWork, viewer: Viewer, page: PageRequest, *, mine: bool = False) -> Page:
    """The open deadlines of the viewer's cases (or of the cases it owns), overdue first, then by due date.

    Each row is the deadline with its case's type, status, title, provider's and case worker's names
    (``provider_name``, ``owner_name``) and ``overdue``; deadlines of individual-level cases are logged as read
    (their case is). The Bevakningar page and ``GET /deadlines`` both read this.
    """
    now = uow.clock()
    owner = USER.alias("owner")
    q = (
        select(
            DEADLINE,
            CASE.c.case_type,
            CASE.c.status.label("case_status"),
            CASE.c.title.label("case_title"),
            CASE.c.placement_id,
            PROVIDER.c.name.label("provider_name"),
            owner.c.display_name.label("owner_name"),
        )
        .select_from(
            DEADLINE.join(CASE, CASE.c.id == DEADLINE.c.case_id)
            .outerjoin(PROVIDER, PROVIDER.c.id == CASE.c.provider_id)
            .outerjoin(owner, owner.c.id == CASE.c.owner_id)
        )
        .where(DEADLINE.c.status.in_(OPEN), scoping.cases(viewer))
    )
    if mine:
        q = q.where(CASE.c.owner_id == viewer.user_id)
    # Due dates ascending put the overdue first: they are the ones already past.
    order = Order("due_at", [SortKey("due_at", DEADLINE.c.due_at), SortKey("id", DEADLINE.c.id)])
    found = uow.read(lambda conn: fetch(conn, q, order, page))
    for row in found.items:
        row["overdue"] = row["status"] == "pending" and row["due_at"] < now
    individual = sorted(
        {r["case_id"] for r in found.items if scoping.is_individual_case(r["case_type"], r["placement_id"])}
    )
    if individual:
        uow.write(lambda conn: record_reads(conn, viewer, "case", individual, "list", now))
    return found


def deadline_changes(uow: UnitOfWork, viewer: Viewer, deadline_id: int) -> list[dict[str, Any]]:
    """Every change made to this deadline and to the rows that replaced it (or it replaced), oldest first."""

    def read(conn: Connection) -> list[dict[str, Any]]:
        case_id = require_deadline_visible(conn, viewer, deadline_id)
        return [
            dict(r)
            for r in conn.execute(select(CHANGE).where(CHANGE.c.case_id == case_id).order_by(CHANGE.c.id)).mappings()
        ]

    rows = uow.read(read)
    chain: set[int | None] = {deadline_id}
    grown = True
    while grown:  # a lineage of replacements, followed both ways
        before = len(chain)
        for r in rows:
            if r["deadline_id"] in chain or r["new_deadline_id"] in chain:
                chain |= {r["deadline_id"], r["new_deadline_id"]}
        grown = len(chain) > before
    return [r for r in rows if r["deadline_id"] in chain]
