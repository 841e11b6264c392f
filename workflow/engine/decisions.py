"""Decisions taken under delegation, for reporting to the board (anmälan av delegationsbeslut)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select

from workflow.clock import STOCKHOLM
from workflow.schema.tables import (
    CASE,
    DECISION,
    EVENT,
    ORDER,
    USER,
)


@dataclass(frozen=True, slots=True)
class DelegatedDecision:
    """One decision to report: what, by whom, under which item of which order version."""

    decision_id: int
    decided_at: datetime  # when it was recorded (Stockholm time)
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
    decided_on: date | None = None  # the decision date (beslutsdatum)


def decisions_under_delegation(
    conn: Connection, organisation_id: int, start: date, end: date, *, include_board: bool = False
) -> list[DelegatedDecision]:
    """Decisions of one organisation dated (decision date) from ``start`` to ``end`` inclusive, oldest first.

    Decisions the board took itself are left out unless ``include_board`` is set: they are
    not decisions under delegation and are not reported back to the board.
    """
    q = (
        select(
            DECISION.c.id,
            DECISION.c.decided_at,
            DECISION.c.decision_kind,
            DECISION.c.case_id,
            CASE.c.case_type,
            USER.c.display_name,
            DECISION.c.role,
            DECISION.c.substitute,
            ORDER.c.version,
            DECISION.c.rule_ref,
            DECISION.c.registry_number,
            EVENT.c.reason,
            DECISION.c.decided_on,
        )
        .join(CASE, CASE.c.id == DECISION.c.case_id)
        .join(EVENT, EVENT.c.id == DECISION.c.event_id)
        .outerjoin(USER, USER.c.id == DECISION.c.decided_by_id)
        .outerjoin(ORDER, ORDER.c.id == DECISION.c.delegation_order_id)
        .where(
            DECISION.c.organisation_id == organisation_id,
            DECISION.c.decided_on >= start,
            DECISION.c.decided_on <= end,
        )
        .order_by(DECISION.c.decided_on, DECISION.c.id)
    )
    if not include_board:
        q = q.where(DECISION.c.under_delegation.is_(True))
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
            r[12],
        )
        for r in conn.execute(q)
    ]
