"""Guard implementations (villkor), by the names the tables in ``states`` use.

A guard returns ``None`` when it holds, or a sentence saying why it does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from states import vocab
from states.registry import CASE_TYPES
from workflow.deadlines.calendar import local_date
from workflow.schema.tables import AGREEMENT, CASE


@dataclass(frozen=True, slots=True)
class GuardContext:
    """What a guard may look at: the case row, the trigger's parameters, the connection, now."""

    case: Any
    params: dict[str, Any]
    conn: Connection
    now: datetime


def outcome_matches_regime(ctx: GuardContext) -> str | None:
    """In-house units are assessed against their mandate, contracted providers against the agreement."""
    outcome = ctx.params.get("outcome")
    allowed = vocab.MANDATE_OUTCOMES if ctx.case.in_house else vocab.CONTRACT_OUTCOMES
    if outcome not in allowed:
        regime = "an in-house unit (service mandate)" if ctx.case.in_house else "a contracted provider"
        return f"outcome {outcome!r} does not apply to {regime}; use one of {', '.join(allowed)}"
    return None


_REMEDY_FINALS = tuple(CASE_TYPES["rectification_request"].finals)
_MEASURE_FINALS = tuple(CASE_TYPES["audit_measure"].finals)


def _open_children(case_type: str, finals: tuple[str, ...]) -> Any:
    """How many cases of ``case_type`` under a parent case are still open (built once)."""
    return (
        select(func.count())
        .select_from(CASE)
        .where(
            CASE.c.parent_case_id == bindparam("case_id"),
            CASE.c.case_type == case_type,
            CASE.c.status.not_in(finals),
        )
    )


_OPEN_REMEDIES = _open_children("rectification_request", _REMEDY_FINALS)
_OPEN_MEASURES = _open_children("audit_measure", _MEASURE_FINALS)
_ENDS_ON = select(AGREEMENT.c.ends_on).where(AGREEMENT.c.id == bindparam("agreement_id"))


def no_open_remedy_requests(ctx: GuardContext) -> str | None:
    """Every supplementation or rectification request opened under the follow-up is closed."""
    n = ctx.conn.execute(_OPEN_REMEDIES, {"case_id": ctx.case.id}).scalar_one()
    return f"{n} supplementation/rectification request(s) are still open" if n else None


def no_open_audit_measures(ctx: GuardContext) -> str | None:
    """Every measure of the audit response is done or cancelled."""
    n = ctx.conn.execute(_OPEN_MEASURES, {"case_id": ctx.case.id}).scalar_one()
    return f"{n} measure(s) of the audit response are still open" if n else None


def agreement_period_ended(ctx: GuardContext) -> str | None:
    """The agreement's end date has passed."""
    ends_on = ctx.conn.execute(_ENDS_ON, {"agreement_id": ctx.case.agreement_id}).scalar_one_or_none()
    if ends_on is None:
        return "the agreement has no end date"
    if local_date(ctx.now) <= ends_on:
        return f"the agreement runs until {ends_on.isoformat()}"
    return None


def outcome_is_no_remarks(ctx: GuardContext) -> str | None:
    """A control check recorded without remarks says so in its outcome."""
    got = ctx.params.get("outcome")
    return None if got == "no_remarks" else f"outcome {got!r} contradicts 'no remarks'; use no_remarks"


def outcome_is_remarks(ctx: GuardContext) -> str | None:
    """A control check recorded with remarks says so in its outcome."""
    got = ctx.params.get("outcome")
    return None if got == "remarks" else f"outcome {got!r} contradicts 'remarks found'; use remarks"


GUARD_IMPLS: dict[str, Callable[[GuardContext], str | None]] = {
    "outcome_matches_regime": outcome_matches_regime,
    "no_open_remedy_requests": no_open_remedy_requests,
    "agreement_period_ended": agreement_period_ended,
    "outcome_is_no_remarks": outcome_is_no_remarks,
    "outcome_is_remarks": outcome_is_remarks,
    "no_open_audit_measures": no_open_audit_measures,
}
