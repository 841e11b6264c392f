"""Deadline arithmetic for every day of 2025–2030, checked against an independent holiday oracle.

The oracle computes Swedish public holidays from their rules (Easter by the anonymous Gregorian
algorithm) rather than from the ``holidays`` package the product uses, so an error in either
shows up. Times are checked in Europe/Stockholm across every daylight-saving change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import pytest

from states.registry import CASE_TYPES
from workflow.clock import STOCKHOLM
from workflow.deadlines.calendar import add_days, end_of_day, is_working_day, local_date
from workflow.deadlines.rules import EXPIRY_RUNG, actions, opening_row
from workflow.deadlines.sweep import due_date_of

DAYS = [date(2025, 1, 1) + timedelta(days=i) for i in range((date(2031, 1, 1) - date(2025, 1, 1)).days)]


def _easter(year: int) -> date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month = (h + el - 7 * m + 114) // 31
    return date(year, month, (h + el - 7 * m + 114) % 31 + 1)


@cache
def _oracle(year: int) -> frozenset[date]:
    easter = _easter(year)
    fixed = [(1, 1), (1, 6), (5, 1), (6, 6), (12, 24), (12, 25), (12, 26), (12, 31)]
    days = {date(year, m, d) for m, d in fixed}
    days |= {easter - timedelta(days=2), easter, easter + timedelta(days=1), easter + timedelta(days=39)}
    days |= {easter + timedelta(days=49)}
    days |= {d for d in (date(year, 6, x) for x in range(19, 26)) if d.weekday() == 4}  # Midsummer Eve
    days |= {d for d in (date(year, 6, x) for x in range(20, 27)) if d.weekday() == 5}  # Midsummer Day
    all_saints = [date(year, 10, 31)] + [date(year, 11, x) for x in range(1, 7)]
    days |= {d for d in all_saints if d.weekday() == 5}
    return frozenset(days)


def _working(day: date) -> bool:
    return day.weekday() < 5 and day not in _oracle(day.year)


def test_the_oracle_knows_the_well_known_dates() -> None:
    assert _easter(2025) == date(2025, 4, 20) and _easter(2030) == date(2030, 4, 21)
    assert date(2026, 6, 19) in _oracle(2026) and date(2026, 6, 20) in _oracle(2026)
    assert date(2027, 11, 6) in _oracle(2027)


def test_every_day_of_2025_to_2030_is_a_working_day_exactly_when_the_oracle_says_so() -> None:
    wrong = [d for d in DAYS if is_working_day(d) != _working(d)]
    assert wrong == []


@pytest.mark.parametrize("n", [0, 1, 3, 5, 10, 20, 30])
def test_adding_working_days_lands_on_a_working_day_exactly_n_working_days_later(n: int) -> None:
    for d in DAYS:
        got = add_days(d, n, True)
        assert _working(got), (d, n, got)
        counted = sum(1 for i in range(1, (got - d).days + 1) if _working(d + timedelta(days=i)))
        if n == 0:
            assert got == d if _working(d) else counted == 1 and got > d, (d, got)
        else:
            assert counted == n, (d, n, got)


@pytest.mark.parametrize("n", [-1, -2, -3, -5, -10])
def test_counting_working_days_back_lands_exactly_that_many_working_days_earlier(n: int) -> None:
    for d in DAYS:
        got = add_days(d, n, True)
        assert _working(got), (d, n, got)
        counted = sum(1 for i in range((d - got).days) if _working(got + timedelta(days=i)))
        assert counted == -n, (d, n, got)


def test_calendar_days_are_plain_date_arithmetic() -> None:
    for d in DAYS:
        for n in (-3, 0, 10, 30):
            assert add_days(d, n, False) == d + timedelta(days=n)


def test_a_deadline_ends_at_local_midnight_after_its_due_date_whatever_daylight_saving_does() -> None:
    for d in DAYS:
        end = end_of_day(d)
        local = end.astimezone(STOCKHOLM)
        assert (local.date(), local.time()) == (d + timedelta(days=1), time(0)), d
        assert local_date(end - timedelta(microseconds=1)) == d
        assert due_date_of(end) == d
        hours = (end_of_day(d) - end_of_day(d - timedelta(days=1))).total_seconds() / 3600
        assert hours in (23, 24, 25)


def test_every_reminder_falls_at_seven_local_time_on_its_day_and_expiry_after_the_last_reminder() -> None:
    policy = CASE_TYPES["rectification_request"].deadlines["sent"]
    for d in DAYS:
        due = add_days(d, 0, True)
        acts = actions(policy, due)
        for a in acts:
            local = a.at.astimezone(STOCKHOLM)
            if a.rung == EXPIRY_RUNG:
                assert a.at == end_of_day(due)
            else:
                assert local.time() == time(7, 0), (d, a)
                assert _working(local.date())
        assert [a.at for a in acts] == sorted(a.at for a in acts)
        assert acts[-1].rung == EXPIRY_RUNG
        assert acts[0].at.astimezone(STOCKHOLM).date() == add_days(due, -3, True)


@pytest.mark.parametrize("local_time", [time(0, 30), time(7, 0), time(23, 30)])
def test_a_deadline_opened_late_or_early_in_the_day_counts_from_the_stockholm_date(local_time: time) -> None:
    policy = CASE_TYPES["rectification_request"].deadlines["answered"]  # ten working days
    for d in DAYS:
        opened = datetime.combine(d, local_time, tzinfo=STOCKHOLM).astimezone(UTC)
        row = opening_row(policy, "answered", opened, {})
        assert due_date_of(row["due_at"]) == add_days(d, 10, True), (d, local_time)
        assert row["next_action_at"] is None or row["next_action_at"] > opened
