"""Shared pieces of report queries (frågor): table handles, period bounds, names of areas."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from workflow.deadlines.calendar import end_of_day
from workflow.reports.model import Msg
from workflow.reports.scope import Period
from workflow.schema.tables import (
    AREA,
)

NO_AREA = Msg("(no contract area)")


def bounds(period: Period) -> tuple[datetime, datetime]:
    """The instants [begin, stop) that cover the period's Stockholm dates."""
    return end_of_day(period.start) - timedelta(days=1), end_of_day(period.end)


def area_names(conn: Connection) -> dict[int | None, str]:
    """Every contract area's name by id (a small table), with ``None`` for cases outside any area."""
    names: dict[int | None, str] = {r.id: r.name for r in conn.execute(select(AREA.c.id, AREA.c.name))}
    names[None] = NO_AREA
    return names


def area_label(names: dict[int | None, str], area_id: int | None, in_house: bool) -> str:
    """An area's name, marked when the units are in-house and assessed against a service mandate."""
    name = names.get(area_id, f"area {area_id}")
    return Msg("%(area)s (in-house, service mandate)", area=name) if in_house else name
