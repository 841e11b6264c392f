"""A case's next due time (nästa frist): the due time of its earliest pending deadline, kept on the case row.

The transition writers set it with the deadline they open (a transition closes the deadlines of the state it
leaves, and a case has pending deadlines only in its current state); every other writer of deadlines (changes,
the sweep's stale deadlines and expiry plans) recomputes it with :func:`refresh` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, func, select, update

from workflow.engine import writers
from workflow.schema.tables import CASE, DEADLINE

_REFRESH = (
    update(CASE)
    .where(CASE.c.id == bindparam("c_id", type_=Integer))
    .values(
        next_due_at=select(func.min(DEADLINE.c.due_at))
        .where(DEADLINE.c.case_id == CASE.c.id, DEADLINE.c.status == "pending")
        .scalar_subquery()
    )
)


def after_opening(deadline: dict[str, Any] | None) -> datetime | None:
    """The next due time of a case whose only open deadline is ``deadline`` (its state's, just opened)."""
    if deadline is None or deadline.get("status", "pending") != "pending":
        return None
    due: datetime = deadline["due_at"]
    return due


def refresh(conn: Connection, case_ids: Iterable[int]) -> None:
    """Recompute the next due time of these cases from their pending deadlines."""
    ids = sorted(set(case_ids))  # the same order in every transaction that locks several cases
    if ids:
        conn.execute(_REFRESH, [{"c_id": i} for i in ids])
        known = writers.known_cases(conn)  # a case row kept by this transaction no longer holds
        if known is not None:
            for i in ids:
                known.pop(i, None)


def lock_case_of(conn: Connection, deadline_id: int) -> None:
    """Lock the case of a deadline before the deadline itself (PostgreSQL), as a transition does.

    A transition updates its case first and then closes the case's deadlines; a change of a deadline that also
    writes the case's next due time takes the two locks in the same order, so the two never deadlock.
    """
    if conn.dialect.name == "sqlite":  # one writer at a time: nothing to order
        return
    owner = select(DEADLINE.c.case_id).where(DEADLINE.c.id == deadline_id).scalar_subquery()
    conn.execute(select(CASE.c.id).where(CASE.c.id == owner).with_for_update(key_share=True))  # FOR NO KEY UPDATE
