"""Deadline arithmetic (tidsfrister): due dates and each rung's moment on the ladder.

A policy's ladder is expanded into an ordered list of actions: reminders and
escalations at 07:00 Stockholm time on their day, and the expiry transition at the
end of the due date. People are told on working days only: a rung whose day is a
weekend or holiday (possible for deadlines counted in calendar days) moves to the
working day before it when it comes before or on the due date, so the warning still
arrives in time, and to the working day after it when it follows the due date. A
deadline row remembers the position of its next action, so the scheduler only ever
reads rows whose next action is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from states.spec import DeadlinePolicy
from workflow.clock import STOCKHOLM
from workflow.deadlines.calendar import (
    add_days,
    end_of_day,
    local_date,
    working_day_on_or_after,
    working_day_on_or_before,
)

REMINDER_HOUR = time(7, 0)
EXPIRY_RUNG = 1000  # the rung number of the expiry transition, after every ladder rung


@dataclass(frozen=True, slots=True)
class Action:
    """One moment on a deadline's ladder."""

    rung: int
    at: datetime
    kind: str  # reminder | escalation | expiry
    notify: tuple[str, ...]


def due_date(policy: DeadlinePolicy, opened_on: date, params: dict[str, Any]) -> date:
    """The due date for a deadline opened on ``opened_on`` (a parameter may name it)."""
    if policy.due_param and params.get(policy.due_param):
        given = params[policy.due_param]
        return given if isinstance(given, date) else date.fromisoformat(str(given))
    return add_days(opened_on, policy.days, policy.working_days)


def actions(policy: DeadlinePolicy, due: date) -> list[Action]:
    """Every action of the ladder in time order, the expiry transition included."""
    out: list[Action] = []
    for i, rung in enumerate(policy.ladder):
        day = add_days(due, rung.offset_days, policy.working_days) if rung.offset_days else due
        day = working_day_on_or_after(day) if rung.offset_days > 0 else working_day_on_or_before(day)
        at = datetime.combine(day, REMINDER_HOUR, tzinfo=STOCKHOLM)
        out.append(Action(i, at, "escalation" if rung.escalation else "reminder", tuple(rung.notify)))
    if policy.on_expiry:
        out.append(Action(EXPIRY_RUNG, end_of_day(due), "expiry", ()))
    out.sort(key=lambda a: (a.at, a.rung))
    return out


def next_action(
    policy: DeadlinePolicy, due: date, after: datetime, done_rungs: frozenset[int] = frozenset()
) -> Action | None:
    """The first action not done yet whose moment is after ``after`` (or None when the ladder is spent)."""
    for action in actions(policy, due):
        if action.rung in done_rungs:
            continue
        if action.at > after:
            return action
    return None


def first_action(policy: DeadlinePolicy, due: date, opened_at: datetime) -> Action | None:
    """The first action still ahead when a deadline opens (reminders already past are skipped)."""
    return next_action(policy, due, opened_at)


def opening_row(
    policy: DeadlinePolicy, state: str, now: datetime, params: dict[str, Any], opened_on: date | None = None
) -> dict[str, Any]:
    """Column values of a new deadline row for a case entering ``state`` on ``opened_on`` (default: today).

    Actions whose moment is before ``now`` are skipped (a back-dated step sends no reminder for the past).
    """
    due = due_date(policy, opened_on if opened_on is not None else local_date(now), params)
    first = first_action(policy, due, now)
    return {
        "kind": policy.kind,
        "state": state,
        "due_at": end_of_day(due),
        "status": "pending",
        "next_rung": first.rung if first else -1,
        "next_action_at": first.at if first else None,
        "rule_version": policy.rule_version,
        "working_days": policy.working_days,
        "opened_at": now,
    }
