"""Provider deliveries per placement (leveranser): implementation plans and monthly reports.

A placement opens an implementation-plan case when it starts and a monthly-report case for
every month it runs; their deadlines remind the provider contact and the placing social
worker (the case owner) and flag lateness. Repeated lateness by one provider towards one
board (by default three times in twelve months) opens a deviation of the kind
``late_delivery`` against the provider; the count starts again after each such deviation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, and_, func, or_, select, text

from states import registry
from workflow.cases.opening import open_case
from workflow.clock import utcnow
from workflow.deadlines.calendar import add_days, local_date
from workflow.deadlines.scheduled import OPENING, claim_opening, first_user_with_role, opened_case, set_opening_case
from workflow.engine.errors import NotFound
from workflow.engine.firing import CASE, Actor, Workflow
from workflow.registers.controls import load
from workflow.schema.db import write
from workflow.schema.tables import AGREEMENT, AREA, EVENT, PLACEMENT
from workflow.settings import get_settings

log = structlog.get_logger("workflow.registers.deliveries")

DELIVERY_TYPES = registry.DELIVERY_TYPES
_LATE_DELIVERY_LOCK = 0x1A7E  # first key of the advisory lock that orders the late-delivery counts


def request_implementation_plan(
    target: Engine | Connection,
    placement_id: int,
    *,
    organisation_id: int | None = None,
    clock: Callable[[], datetime] = utcnow,
    due_date: date | None = None,
) -> int:
    """Open the placement's implementation-plan case (once; later calls return the same case id).

    Call it when a placement is created, inside the same transaction when given a connection.
    ``organisation_id`` (the caller's) scopes the placement: another board's placement is not found.
    """
    if isinstance(target, Engine):
        with write(target) as conn:
            return _request_plan(conn, placement_id, organisation_id, clock, due_date)
    return _request_plan(target, placement_id, organisation_id, clock, due_date)


def _request_plan(
    conn: Connection,
    placement_id: int,
    organisation_id: int | None,
    clock: Callable[[], datetime],
    due_date: date | None,
) -> int:
    p = conn.execute(select(PLACEMENT).where(PLACEMENT.c.id == placement_id)).first()
    if p is None or (organisation_id is not None and p.organisation_id != organisation_id):
        raise NotFound(f"placement {placement_id} not found")
    now = clock()
    if not claim_opening(conn, "implementation_plan", "placement", p.id, "start", p.organisation_id, now):
        existing = opened_case(conn, "implementation_plan", "placement", p.id, "start")
        if existing is None:
            raise RuntimeError(f"placement {placement_id}: plan opening recorded without a case")
        return existing
    days = int(load()["deliveries"].get("implementation_plan", {}).get("days_after_start", 30))
    due = due_date or max(p.starts_on + timedelta(days=days), local_date(now))
    case = open_case(
        Workflow(conn.engine, clock),
        "implementation_plan",
        Actor.system(p.organisation_id),
        "Placement started: the provider's implementation plan is requested",
        placement_id=p.id,
        owner_id=p.social_worker_id,
        title="Genomförandeplan",
        params={"due_date": due.isoformat()},
        conn=conn,
    )
    set_opening_case(conn, "implementation_plan", "placement", p.id, "start", case.case_id)
    return case.case_id


def ensure_implementation_plans(engine: Engine, clock: Callable[[], datetime] = utcnow) -> int:
    """Request a plan for every running placement that has none yet (placements made outside the API)."""
    today = local_date(clock())
    has_plan = select(CASE.c.placement_id).where(
        CASE.c.case_type == "implementation_plan", CASE.c.placement_id.is_not(None)
    )
    with engine.connect() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                select(PLACEMENT.c.id).where(
                    PLACEMENT.c.starts_on <= today,
                    or_(PLACEMENT.c.ends_on.is_(None), PLACEMENT.c.ends_on >= today),
                    PLACEMENT.c.id.not_in(has_plan),
                )
            )
        ]
    for pid in ids:
        request_implementation_plan(engine, pid, clock=clock)
    return len(ids)


def open_monthly_reports(engine: Engine, clock: Callable[[], datetime] = utcnow) -> int:
    """Open last month's report case for every placement that ran during it (once per month)."""
    cfg: dict[str, Any] = load()["deliveries"].get("monthly_report", {})
    if not cfg.get("enabled", True):
        return 0
    now = clock()
    first_this = local_date(now).replace(day=1)
    last = first_this - timedelta(days=1)
    first = last.replace(day=1)
    period = f"{first.year}-{first.month:02d}"
    due = add_days(last, int(cfg.get("working_days_after_month", 10)), True)
    q = select(PLACEMENT.c.id, PLACEMENT.c.organisation_id, PLACEMENT.c.social_worker_id).where(
        PLACEMENT.c.starts_on <= last, or_(PLACEMENT.c.ends_on.is_(None), PLACEMENT.c.ends_on >= first)
    )
    if cfg.get("contract_areas"):
        q = (
            q.join(AGREEMENT, AGREEMENT.c.id == PLACEMENT.c.agreement_id)
            .join(AREA, AREA.c.id == AGREEMENT.c.contract_area_id)
            .where(AREA.c.code.in_(cfg["contract_areas"]))
        )
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(PLACEMENT.c.id)).all()
    wf = Workflow(engine, clock)
    opened = 0
    for pid, org, worker in rows:
        with write(engine) as conn:
            if not claim_opening(conn, "monthly_report", "placement", pid, period, org, clock()):
                continue
            case = open_case(
                wf,
                "monthly_report",
                Actor.system(org),
                f"Monthly report for {period} requested",
                placement_id=pid,
                owner_id=worker,
                title=f"Månadsrapport {period}",
                params={"due_date": due.isoformat()},
                conn=conn,
            )
            set_opening_case(conn, "monthly_report", "placement", pid, period, case.case_id)
            opened += 1
    return opened


def before_expiry(conn: Connection, case: Any, trigger: str) -> None:
    """Before a delivery goes overdue (PostgreSQL): wait for any other scheduler's late-delivery count in the org.

    :func:`after_expiry` counts late deliveries by event id and by what is committed. Two schedulers expiring at
    once would each miss the other's uncommitted events, and an event numbered before another scheduler's
    deviation but committed after it would never count. The organisation's audit-chain row used to order them;
    now this lock does, taken before the event is numbered and held to the end of the transaction.
    """
    if conn.dialect.name != "postgresql" or case.case_type not in DELIVERY_TYPES or trigger != "mark_overdue":
        return
    if case.provider_id is not None:
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:k, :org)"), {"k": _LATE_DELIVERY_LOCK, "org": case.organisation_id}
        )


def after_expiry(conn: Connection, wf: Workflow, case: Any, trigger: str, event_id: int, now: datetime) -> int | None:
    """After a delivery went overdue: open a late-delivery deviation when the provider is late too often.

    Late deliveries already counted towards an earlier deviation are not counted again: each
    deviation's key names the audit event that triggered it, and only later events count.
    """
    if case.case_type not in DELIVERY_TYPES or trigger != "mark_overdue" or case.provider_id is None:
        return None
    settings = get_settings()
    org = case.organisation_id
    consumed = 0
    for (period,) in conn.execute(
        select(OPENING.c.period).where(
            OPENING.c.control == "late_delivery",
            OPENING.c.subject_kind == "provider",
            OPENING.c.subject_id == case.provider_id,
            OPENING.c.organisation_id == org,
        )
    ):
        if period.startswith("event-") and period[6:].isdigit():
            consumed = max(consumed, int(period[6:]))
    since = now - timedelta(days=settings.late_delivery_window_days)
    late = conn.execute(
        select(func.count())
        .select_from(EVENT.join(CASE, CASE.c.id == EVENT.c.case_id))
        .where(
            and_(
                CASE.c.organisation_id == org,
                CASE.c.provider_id == case.provider_id,
                CASE.c.case_type.in_(DELIVERY_TYPES),
                EVENT.c.trigger == "mark_overdue",
                EVENT.c.occurred_at >= since,
                EVENT.c.id > consumed,
            )
        )
    ).scalar_one()
    if late < settings.late_delivery_threshold:
        return None
    key = f"event-{event_id}"
    if not claim_opening(conn, "late_delivery", "provider", case.provider_id, key, org, now):
        return None
    agreement_id = conn.execute(select(CASE.c.agreement_id).where(CASE.c.id == case.id)).scalar_one()
    deviation = open_case(
        wf,
        "deviation",
        Actor.system(org),
        f"The provider was late with {late} deliveries (implementation plans, monthly reports) within "
        f"{settings.late_delivery_window_days} days",
        kind="late_delivery",
        agreement_id=agreement_id,
        owner_id=first_user_with_role(conn, org, "contract_strategist"),
        title="Upprepade förseningar av leveranser",
        conn=conn,
    )
    set_opening_case(conn, "late_delivery", "provider", case.provider_id, key, deviation.case_id)
    log.info("deliveries.late_deviation", provider_id=case.provider_id, case_id=deviation.case_id, late=late)
    return deviation.case_id
