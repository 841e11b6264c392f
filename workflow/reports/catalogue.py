"""The reports there are, by name (rapportkatalog), and one entry point that builds any of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from workflow.errors import InvalidInput
from workflow.reports import annual, delegated, terminations
from workflow.reports.model import Report
from workflow.reports.scope import Period, Scope, resolve


@dataclass(frozen=True, slots=True)
class ReportType:
    """A report's name, what it shows, and the function that computes it."""

    name: str
    description: str
    build: Callable[[Connection, Scope, Period], Report]


REPORTS: dict[str, ReportType] = {
    r.name: r
    for r in (
        ReportType(
            "annual",
            "Annual follow-up report: planned vs performed, outcomes, requests, deviations, complaints, "
            "exclusions, terminations, control rounds, invoice sampling",
            annual.build,
        ),
        ReportType(
            "terminations",
            "Terminated and rescinded agreements with reason, initiator, decision-maker and mandate",
            terminations.build,
        ),
        ReportType("decisions", "Decisions under delegation for a board meeting", delegated.build),
    )
}


def build_report(
    conn: Connection,
    name: str,
    viewer_organisation_id: int,
    start: date,
    end: date,
    organisation: int | str | None = None,
) -> Report:
    """Compute report ``name`` about ``organisation`` (default: the viewer's own) for ``start``–``end``."""
    rt = REPORTS.get(name)
    if rt is None:
        raise InvalidInput(f"unknown report {name!r}; one of {', '.join(REPORTS)}")
    period = Period(start, end)
    scope = resolve(conn, viewer_organisation_id, organisation)
    return rt.build(conn, scope, period)
