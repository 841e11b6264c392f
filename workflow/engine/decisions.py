"""Decisions taken under delegation, for reporting to the board (anmälan av delegationsbeslut)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, select

from workflow.clock import STOCKHOLM
from workflow.deadlines.calendar import end_of_day
from workflow.schema.tables import AppUser, Case, CaseEvent, Decision, DelegationOrder

D = Decision.__table__  # type: ignore[attr-defined]
C = Case.__table__  # type: ignore[attr-defined]
E = CaseEvent.__table__  # type: ignore[attr-defined]
U = AppUser.__table__  # type: ignore[attr-defined]
ORDER = DelegationOrder.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class DelegatedDecision:
    """One decision to report: what, by whom, under which item of which order version."""

    decision_id: int
    decided_at: datetime
    decision_kind: str
    case_id: int
    case_type: str
    delegate: str
    role: str
    substitute: bool
    order_version: str | None
    rule_ref: str | None
    registry_number: str
    reason: str


def decisions_under_delegation(
    conn: Connection, organisation_id: int, start: date, end: date, *, include_board: bool = False
) -> list[DelegatedDecision]:
    """Decisions of one organisation from ``start`` to ``end`` inclusive (Stockholm dates), oldest first.

    Decisions the board took itself are left out unless ``include_board`` is set: they are
    not decisions under delegation and are not reported back to the board.
    """
    begin = end_of_day(start) - timedelta(days=1)
    stop = end_of_day(end)
    q = (
        select(
            D.c.id,
            D.c.decided_at,
            D.c.decision_kind,
            D.c.case_id,
            C.c.case_type,
            U.c.display_name,
            D.c.role,
            D.c.substitute,
            ORDER.c.version,
            D.c.rule_ref,
            D.c.registry_number,
            E.c.reason,
        )
        .join(C, C.c.id == D.c.case_id)
        .join(E, E.c.id == D.c.event_id)
        .outerjoin(U, U.c.id == D.c.decided_by_id)
        .outerjoin(ORDER, ORDER.c.id == D.c.delegation_order_id)
        .where(D.c.organisation_id == organisation_id, D.c.decided_at >= begin, D.c.decided_at < stop)
        .order_by(D.c.decided_at, D.c.id)
    )
    if not include_board:
        q = q.where(D.c.under_delegation.is_(True))
    return [
        DelegatedDecision(
            r[0],
            r[1].astimezone(STOCKHOLM),
            r[2],
            r[3],
            r[4],
            r[5] or "(unknown user)",
            r[6],
            bool(r[7]),
            r[8],
            r[9],
            r[10],
            r[11],
        )
        for r in conn.execute(q)
    ]
