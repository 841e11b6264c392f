"""Working-day calendar in Europe/Stockholm (arbetsdagar, svenska helgdagar).

Swedish public holidays come from the maintained ``holidays`` package. A deadline
falls due at the end of its local due date, i.e. at the next local midnight, so a
due date is the same calendar day whatever daylight-saving does in between.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from workflow.clock import STOCKHOLM

#: Public holidays (allmänna helgdagar) and the de facto non-working eves: Midsummer, Christmas and New Year's Eve.
CATEGORIES = ("public", "de_facto")


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    se = holidays.country_holidays("SE", years=year, categories=CATEGORIES, language="sv")
    # Older releases list every Sunday as "Söndag"; weekends are handled by the weekday test.
    return frozenset(d for d, name in se.items() if name != "Söndag")


def is_public_holiday(day: date) -> bool:
    """Whether ``day`` is a Swedish public holiday (helgdag), Midsummer, Christmas and New Year's eves included."""
    return day in _holidays(day.year)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday or holiday eve."""
    return day.weekday() < 5 and not is_public_holiday(day)


def add_days(start: date, days: int, working_days: bool) -> date:
    """``start`` moved by ``days`` calendar or working days (negative moves back).

    With working days, a move of zero from a non-working day lands on the next
    working day, so a due date never falls on a holiday.
    """
    if not working_days:
        return start + timedelta(days=days)
    step = 1 if days >= 0 else -1
    day = start
    remaining = abs(days)
    if remaining == 0:
        while not is_working_day(day):
            day += timedelta(days=1)
        return day
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_day_on_or_before(day: date) -> date:
    """``day`` if it is a working day, else the last working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def working_day_on_or_after(day: date) -> date:
    """``day`` if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def end_of_day(day: date) -> datetime:
    """The instant a due date ends: the next local midnight in Stockholm, as aware UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=STOCKHOLM).astimezone(UTC)


def local_date(instant: datetime) -> date:
    """The Stockholm calendar date of an aware instant."""
    return instant.astimezone(STOCKHOLM).date()
