"""Reminders and escalations reach people on working days only, and a warning still comes before its due date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from states.registry import CASE_TYPES
from workflow.clock import STOCKHOLM
from workflow.deadlines.calendar import is_working_day
from workflow.deadlines.rules import actions

POLICIES = [
    (f"{spec.name}:{state}", policy) for spec in CASE_TYPES.values() for state, policy in spec.deadlines.items()
]
DUE_DATES = [date(2026, 12, 1) + timedelta(days=n) for n in range(0, 400, 1)]


@pytest.mark.parametrize(("name", "policy"), POLICIES, ids=[n for n, _ in POLICIES])
def test_every_rung_of_every_ladder_falls_on_a_working_day(name: str, policy: object) -> None:
    for due in DUE_DATES:
        for a in actions(policy, due):  # type: ignore[arg-type]
            if a.kind == "expiry":
                continue
            day = a.at.astimezone(STOCKHOLM).date()
            rung = tuple(policy.ladder)[a.rung]  # type: ignore[attr-defined]
            assert is_working_day(day), (name, due, a)
            if rung.offset_days <= 0:
                assert day <= due, (name, due, a)  # a warning never arrives after what it warns of
            else:
                assert day > due, (name, due, a)


def test_a_calendar_day_reminder_due_on_a_sunday_comes_on_the_friday_before() -> None:
    calendar_policies = [p for _, p in POLICIES if not p.working_days and any(r.offset_days == 0 for r in p.ladder)]
    assert calendar_policies, "the case types have a calendar-day deadline with a reminder on its due date"
    policy = calendar_policies[0]
    on_due = [a for a in actions(policy, date(2027, 1, 3)) if policy_rung(policy, a.rung) == 0]
    assert [a.at.astimezone(STOCKHOLM).date() for a in on_due] == [date(2026, 12, 30)]  # 31 Dec is New Year's Eve


def policy_rung(policy: object, rung: int) -> int | None:
    ladder = tuple(policy.ladder)  # type: ignore[attr-defined]
    return ladder[rung].offset_days if rung < len(ladder) else None
