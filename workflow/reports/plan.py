"""Multi-year follow-up plan with risk-based selection and a coverage check (uppföljningsplan), REQ-RPT-03.

The plan is computed, not typed in: follow-ups already planned for the plan's years are
shown as they stand; every other contract area with live agreements gets a proposed year,
spread evenly over the plan's years: first the uncovered areas whose contract period ends
inside the plan (earliest end first), then the rest by priority (an area without live
agreements is listed once, to be planned when a new agreement starts). An area's priority is the mean score of its
three highest-scoring providers (see :mod:`workflow.reports.risk`), plus 100 when it has
had no special follow-up in its current contract period (Uppsala's coverage goal,
domain.md §3.2), so those areas come first.

The coverage check flags every contract area without a performed special follow-up in
its contract period, and every unit (in-house included) without a responsible follow-up
owner or without a performed follow-up for ``max_years_without_follow_up`` years.
Time is measured at the plan's first day.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from workflow.clock import utcnow
from workflow.i18n import N_
from workflow.reports import coverage, risk
from workflow.reports.model import Column, Msg, Plural, Report, Table
from workflow.reports.queries import NO_AREA
from workflow.reports.scope import Period, Scope

SCREENING_FROM = 20  # providers in an area from which a digital screening comes first (Stockholm 2024–2025)
GAP_BONUS = 100.0
METHODS = {
    "in_house": Msg("Follow-up against the service mandate: site visit and manager interview"),
    "screening": Msg(
        "Digital screening of every agreement (written questions, economic check); site visits on deviations"
    ),
    "special": Msg(
        "Special follow-up: documents and routines, survey to social workers, interviews, site visit, "
        "economic and seriousness check"
    ),
}


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """How strict the coverage check is and how many providers to select per area."""

    max_years_without_follow_up: int = 3
    top: int = 5

    @classmethod
    def from_settings(cls) -> PlanOptions:
        from workflow.settings import get_settings

        s = get_settings()
        return cls(s.plan_max_years_without_follow_up, s.plan_top_providers)


def build(conn: Connection, scope: Scope, period: Period, options: PlanOptions | None = None) -> Report:
    """The follow-up plan for the period's years, its risk ranking and the coverage check."""
    opts = options or PlanOptions.from_settings()
    ref = period.start
    cands = risk.candidates(conn, scope, ref)
    areas = coverage.areas(conn, scope.organisation_id, {c.area_id for c in cands if c.area_id is not None})
    done, planned = coverage.special_follow_ups(conn, scope.organisation_id, areas)
    by_area: dict[int | None, list[risk.Candidate]] = defaultdict(list)
    for c in cands:
        by_area[c.area_id].append(c)
    report = Report(
        "plan",
        N_("Follow-up plan with risk-based selection and coverage check"),
        scope.as_dict(),
        period.start,
        period.end,
        utcnow(),
        notes=[
            N_(
                "Risk score = 100 × (0.25·V + 0.20·P + 0.30·D + 0.25·T): V purchase value, P placements, "
                "D deviations + 2 × complaints in the last 24 months (V, P, D each relative to the highest), "
                "T years since the last performed follow-up (capped at 5, never = 5) / 5."
            ),
            Plural(
                "Coverage: every contract area needs a special follow-up in its contract period; every unit needs a "
                "follow-up owner and a follow-up at least every year.",
                "Coverage: every contract area needs a special follow-up in its contract period; every unit needs a "
                "follow-up owner and a follow-up at least every %(n)s years.",
                opts.max_years_without_follow_up,
            ),
            Plural(
                "Up to %(n)s provider is selected per area, highest score first.",
                "Up to %(n)s providers are selected per area, highest score first.",
                opts.top,
            ),
        ],
    )
    report.tables.append(_plan(areas, by_area, done, planned, period, opts))
    report.tables.append(_ranking(cands, areas, opts))
    report.tables.append(coverage.area_coverage(areas, done, planned))
    report.tables.append(coverage.unit_coverage(conn, scope.organisation_id, cands, opts.max_years_without_follow_up))
    return report


def _plan(
    areas: dict[int, coverage.Area],
    by_area: dict[int | None, list[risk.Candidate]],
    done: dict[int, list[int]],
    planned: dict[int, dict[int, int]],
    period: Period,
    opts: PlanOptions,
) -> Table:
    years = list(period.years)
    rows: list[dict[str, Any]] = []
    to_place = []
    for a in areas.values():
        in_plan = {y: n for y, n in planned.get(a.id, {}).items() if y in years}
        for y, n in sorted(in_plan.items()):
            rows.append(
                _plan_row(
                    y,
                    a,
                    by_area.get(a.id, []),
                    opts,
                    Plural("already planned (%(n)s follow-up)", "already planned (%(n)s follow-ups)", n),
                )
            )
        if in_plan:
            continue
        if not by_area.get(a.id):
            rows.append(_plan_row(years[0], a, [], opts, Msg("no live agreement in the area: plan it when one starts")))
            continue
        scores = sorted((c.score for c in by_area[a.id]), reverse=True)[:3]
        gap = not coverage.in_contract_period(a, done.get(a.id, []))
        to_place.append((sum(scores) / len(scores) + (GAP_BONUS if gap else 0.0), a))

    def urgency(pa: tuple[float, coverage.Area]) -> tuple[int, date, float, str]:
        # Uncovered areas whose contract period ends inside the plan go first, earliest end first.
        priority, a = pa
        due = priority >= GAP_BONUS and a.ends_on is not None and a.ends_on.year <= years[-1]
        return (0 if due else 1, a.ends_on if due and a.ends_on else date.max, -priority, a.name)

    to_place.sort(key=urgency)
    per_year = max(1, math.ceil(len(to_place) / len(years)))
    load: dict[int, int] = dict.fromkeys(years, 0)
    for priority, a in to_place:
        year = next((y for y in years if load[y] < per_year), years[-1])
        if urgency((priority, a))[0] == 0 and a.ends_on is not None and year > a.ends_on.year:
            year = max(years[0], a.ends_on.year)  # coverage before the period ends outweighs an even spread
        load[year] += 1
        status = Msg("proposed (priority %(priority)s)", priority=round(priority, 1))
        if a.ends_on and a.ends_on.year < year:
            status = Msg(
                "proposed (priority %(priority)s); the contract period ends %(end)s: follow up under the new agreement",
                priority=round(priority, 1),
                end=a.ends_on,
            )
        rows.append(_plan_row(year, a, by_area.get(a.id, []), opts, status))
    rows.sort(key=lambda r: (r["year"], r["area"]))
    return Table(
        "plan",
        N_("Multi-year plan: year × contract area × responsible organisation × method"),
        [
            Column("year", N_("Year"), "year"),
            Column("area", N_("Contract area")),
            Column("responsible", N_("Responsible")),
            Column("method", N_("Method")),
            Column("providers", N_("Providers in area"), "int"),
            Column("selected", N_("Selected providers (highest risk first)")),
            Column("status", N_("Status")),
        ],
        rows,
    )


def _plan_row(
    year: int, a: coverage.Area, cands: list[risk.Candidate], opts: PlanOptions, status: Msg
) -> dict[str, Any]:
    if a.regime == "in_house":
        method, responsible = METHODS["in_house"], a.owner
    elif len(cands) >= SCREENING_FROM:
        method, responsible = METHODS["screening"], a.owner
    else:
        method, responsible = METHODS["special"], a.owner
    if a.regime == "LOV":
        responsible = Msg("%(owner)s with the district boards (visits)", owner=a.owner)
    return {
        "year": year,
        "area": a.name,
        "responsible": responsible,
        "method": method,
        "providers": len(cands),
        "selected": ", ".join(c.name for c in cands[: opts.top]),
        "status": status,
    }


def _ranking(cands: list[risk.Candidate], areas: dict[int, coverage.Area], opts: PlanOptions) -> Table:
    rank: dict[int | None, int] = defaultdict(int)
    rows: list[dict[str, Any]] = []
    for c in cands:
        rank[c.area_id] += 1
        rows.append(
            {
                "area": areas[c.area_id].name if c.area_id in areas else NO_AREA,
                "provider": Msg("%(name)s (in-house)", name=c.name) if c.in_house else c.name,
                "purchase_value": c.purchase_value,
                "placements": c.placements,
                "deviations": c.deviations,
                "complaints": c.complaints,
                "last_follow_up": c.last_follow_up,
                "years_since": c.years_since,
                "score": c.score,
                "selected": Msg("yes") if rank[c.area_id] <= opts.top else "",
            }
        )
    rows.sort(key=lambda r: (r["area"], -r["score"], r["provider"]))
    return Table(
        "risk_ranking",
        N_("Risk-based selection of providers"),
        [
            Column("area", N_("Contract area")),
            Column("provider", N_("Provider")),
            Column("purchase_value", N_("Purchase value (SEK)"), "money"),
            Column("placements", N_("Placements"), "int"),
            Column("deviations", N_("Deviations (24 mo.)"), "int"),
            Column("complaints", N_("Complaints (24 mo.)"), "int"),
            Column("last_follow_up", N_("Last follow-up"), "date"),
            Column("years_since", N_("Years since"), "int"),
            Column("score", N_("Risk score"), "int"),
            Column("selected", N_("Selected")),
        ],
        rows,
    )
