"""Suspending, resuming and extending a deadline (vilandeförklara, återuppta, förlänga tidsfrist).

Every change records who made it, why and until when in ``deadline_change``. An extension or
a resumption closes the old deadline row and opens a new one with the new due date and the
old row's rule version, so the reminders sent for the old date stay recorded against the old
row and the new date gets its own reminders. A suspension stops the clock: when it ends, the
due date moves on by the days it lasted.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, insert, select, update

from states.registry import CASE_TYPES
from states.roles import STAFF_ROLES
from workflow.deadlines import next_due
from workflow.deadlines import rules as deadlines
from workflow.deadlines.calendar import add_days, end_of_day, local_date
from workflow.engine.errors import InvalidInput, NotFound, NotPermitted
from workflow.engine.firing import CASE, Actor
from workflow.schema.db import new_id
from workflow.schema.tables import CHANGE, DEADLINE

log = structlog.get_logger("workflow.deadlines.changes")


def suspend(conn: Connection, deadline_id: int, actor: Actor, reason: str, until: datetime, now: datetime) -> None:
    """Suspend a pending deadline until ``until``; no reminder goes out meanwhile."""
    d = _load(conn, deadline_id, actor, "pending")
    reason = _why(reason)
    if until.tzinfo is None or until <= now:
        raise InvalidInput("a suspension needs an aware end time in the future")
    if until - now > timedelta(days=366):
        raise InvalidInput("a suspension may last at most a year")
    conn.execute(
        update(DEADLINE)
        .where(DEADLINE.c.id == d.id, DEADLINE.c.status == "pending")
        .values(
            status="suspended",
            suspended_until=until,
            next_action_at=None,
            changed_by_id=actor.user_id,
            change_reason=reason,
        )
    )
    next_due.refresh(conn, [d.case_id])
    _record(conn, d, None, "suspend", actor, reason, until, d.due_at, None, now)


def extend(conn: Connection, deadline_id: int, actor: Actor, reason: str, new_due: date, now: datetime) -> int:
    """Move a pending deadline to a later due date; return the new deadline row's id."""
    d = _load(conn, deadline_id, actor, "pending")
    reason = _why(reason)
    old_due = local_date(d.due_at) - timedelta(days=1)
    if new_due <= old_due:
        raise InvalidInput(f"an extension must move the due date later than {old_due.isoformat()}")
    if (new_due - local_date(now)).days > 3 * 366:
        raise InvalidInput("an extension may reach at most three years ahead")
    new_id_ = _replace(conn, d, new_due, "extended", actor, reason, now)
    _record(conn, d, new_id_, "extend", actor, reason, None, d.due_at, end_of_day(new_due), now)
    return new_id_


def resume(conn: Connection, deadline_id: int, actor: Actor, reason: str, now: datetime) -> int:
    """End a suspension now; the due date moves on by the days it lasted. Return the new row's id."""
    d = _load(conn, deadline_id, actor, "suspended")
    return _resume(conn, d, actor, _why(reason), now)


def resume_due(conn: Connection, now: datetime) -> int:
    """Resume every suspension whose end has come (the scheduler calls this each tick)."""
    rows = conn.execute(
        select(DEADLINE).where(DEADLINE.c.status == "suspended", DEADLINE.c.suspended_until <= now).limit(500)
    ).all()
    for d in rows:
        next_due.lock_case_of(conn, d.id)  # as a transition orders its locks: the case, then its deadlines
        _resume(conn, d, Actor.system(d.organisation_id), "suspension ended", now)
    return len(rows)


def _resume(conn: Connection, d: Any, actor: Actor, reason: str, now: datetime) -> int:
    since = conn.execute(
        select(CHANGE.c.at)
        .where(CHANGE.c.deadline_id == d.id, CHANGE.c.action == "suspend")
        .order_by(CHANGE.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    start = local_date(since) if since is not None else local_date(now)
    old_due = local_date(d.due_at) - timedelta(days=1)
    new_due = add_days(old_due + (local_date(now) - start), 0, d.working_days)
    new_id_ = _replace(conn, d, new_due, "resumed", actor, reason, now)
    _record(conn, d, new_id_, "resume", actor, reason, None, d.due_at, end_of_day(new_due), now)
    return new_id_


def _replace(conn: Connection, d: Any, new_due: date, closed_by: str, actor: Actor, reason: str, now: datetime) -> int:
    case = conn.execute(select(CASE.c.case_type).where(CASE.c.id == d.case_id)).one()
    policy = CASE_TYPES[case.case_type].deadlines.get(d.state)
    first = deadlines.first_action(policy, new_due, now) if policy else None
    conn.execute(
        update(DEADLINE)
        .where(DEADLINE.c.id == d.id)
        .values(status="closed", closed_at=now, closed_by=closed_by, next_action_at=None)
    )
    replacement = new_id(
        conn.execute(
            insert(DEADLINE).values(
                case_id=d.case_id,
                organisation_id=d.organisation_id,
                kind=d.kind,
                state=d.state,
                due_at=end_of_day(new_due),
                status="pending",
                next_rung=first.rung if first else -1,
                next_action_at=first.at if first else None,
                rule_version=d.rule_version,
                working_days=d.working_days,
                opened_at=now,
                changed_by_id=actor.user_id,
                change_reason=reason,
            )
        )
    )
    next_due.refresh(conn, [d.case_id])
    return replacement


def _load(conn: Connection, deadline_id: int, actor: Actor, status: str) -> Any:
    q = select(DEADLINE).where(DEADLINE.c.id == deadline_id)
    if conn.dialect.name != "sqlite":
        next_due.lock_case_of(conn, deadline_id)
        q = q.with_for_update()
    d = conn.execute(q).first()
    if d is None or d.organisation_id != actor.organisation_id:
        raise NotFound(f"deadline {deadline_id} not found")
    if not actor.is_system and not set(actor.roles) & set(STAFF_ROLES):
        raise NotPermitted("only staff of the organisation may change a deadline")
    if d.status != status:
        raise InvalidInput(f"deadline {deadline_id} is {d.status}, not {status}")
    return d


def _why(reason: str) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("a reason is required to change a deadline")
    if len(reason) > 500:
        raise InvalidInput("the reason is longer than 500 characters")
    return reason.strip()


def _record(
    conn: Connection,
    d: Any,
    new_deadline_id: int | None,
    action: str,
    actor: Actor,
    reason: str,
    until: datetime | None,
    old_due_at: datetime,
    new_due_at: datetime | None,
    now: datetime,
) -> None:
    conn.execute(
        insert(CHANGE).values(
            organisation_id=d.organisation_id,
            case_id=d.case_id,
            deadline_id=d.id,
            new_deadline_id=new_deadline_id,
            action=action,
            changed_by_id=actor.user_id,
            reason=reason,
            until=until,
            old_due_at=old_due_at,
            new_due_at=new_due_at,
            at=now,
        )
    )
    log.info("deadline.changed", deadline_id=d.id, case_id=d.case_id, action=action, new_deadline_id=new_deadline_id)
