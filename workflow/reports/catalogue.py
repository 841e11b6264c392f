"""The reports there are, by name (rapportkatalog), and one entry point that builds any of them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date

from sqlalchemy import Connection

from workflow.engine.errors import InvalidInput
from workflow.reports import annual, delegated, individual, plan, terminations
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
        ReportType(
            "plan",
            "Multi-year follow-up plan with risk-based selection of providers and a coverage check",
            plan.build,
        ),
        ReportType(
            "individual",
            "Individual follow-up results: registration and response rates, ratings, by gender and provider "
            "(aggregates only)",
            individual.build,
        ),
    )
}
PLAN_OPTIONS = tuple(f.name for f in fields(plan.PlanOptions))


def build_report(
    conn: Connection,
    name: str,
    viewer_organisation_id: int,
    start: date,
    end: date,
    organisation: int | str | None = None,
    options: Mapping[str, int] | None = None,
    sees_individuals: bool = True,
) -> Report:
    """Compute report ``name`` about ``organisation`` (default: the viewer's own) for ``start``–``end``.

    ``options`` tune the plan (``max_years_without_follow_up``, ``top``); other reports take none.
    ``sees_individuals`` is False when the viewer's roles see aggregates only.
    """
    rt = REPORTS.get(name)
    if rt is None:
        raise InvalidInput(f"unknown report {name!r}; one of {', '.join(REPORTS)}")
    period = Period(start, end)
    scope = resolve(conn, viewer_organisation_id, organisation, sees_individuals)
    if options:
        if name != "plan" or set(options) - set(PLAN_OPTIONS):
            raise InvalidInput(f"only the plan takes options, and only {', '.join(PLAN_OPTIONS)}")
        if any(not isinstance(v, int) or not 1 <= v <= 50 for v in options.values()):
            raise InvalidInput("plan options are whole numbers from 1 to 50")
        defaults = plan.PlanOptions.from_settings()
        return plan.build(conn, scope, period, replace(defaults, **options))
    return rt.build(conn, scope, period)
