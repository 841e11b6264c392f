"""Scoped read queries shared by the controllers (the filters come from ``api.scoping``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from workflow import scoping
from api.auth import CurrentUser
from api.deps import to
from api.schemas.cases import CaseDetail, DeadlineOut, EventOut
from workflow.engine import CASE, DEADLINE, EVENT

OPEN_DEADLINE = ("pending", "suspended")


def next_due() -> Any:
    """The earliest pending deadline of each case, as a correlated subquery."""
    return (
        select(func.min(DEADLINE.c.due_at))
        .where(DEADLINE.c.case_id == CASE.c.id, DEADLINE.c.status == "pending")
        .correlate(CASE)
        .scalar_subquery()
        .label("next_due_at")
    )


def case_columns() -> list[Any]:
    """The columns of a listed case."""
    return [*CASE.c, next_due()]


def overdue(due: Any, now: datetime) -> ColumnElement[bool]:
    """Whether a case's earliest pending deadline has passed."""
    return func.coalesce(due < now, False)  # type: ignore[no-any-return]


def case_detail(conn: Connection, user: CurrentUser, case_id: int, now: datetime) -> tuple[CaseDetail, bool] | None:
    """A case with timeline and open deadlines if the caller may see it, and whether it is individual-level."""
    row = conn.execute(select(*case_columns()).where(CASE.c.id == case_id, scoping.cases(user))).mappings().first()
    if row is None:
        return None
    events = conn.execute(select(EVENT).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq)).mappings().all()
    deadlines = (
        conn.execute(
            select(DEADLINE)
            .where(DEADLINE.c.case_id == case_id, DEADLINE.c.status.in_(OPEN_DEADLINE))
            .order_by(DEADLINE.c.due_at, DEADLINE.c.id)
        )
        .mappings()
        .all()
    )
    data = dict(row)
    data["overdue"] = row["next_due_at"] is not None and row["next_due_at"] < now
    data["timeline"] = [to(EventOut, e) for e in events]
    data["deadlines"] = [to(DeadlineOut, d) for d in deadlines]
    return to(CaseDetail, data), scoping.is_individual_case(row["case_type"], row["placement_id"])
