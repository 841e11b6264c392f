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

from sqlalchemy import Connection, func, select

from workflow.clock import utcnow
from workflow.reports import risk
from workflow.reports.model import Column, Report, Table
from workflow.reports.queries import AGREEMENT, AREA, CASE, NO_AREA, ORG, USER
from workflow.reports.scope import Period, Scope
from workflow.reports.tables import FollowUpOwner

OWNER = FollowUpOwner.__table__  # type: ignore[attr-defined]
SCREENING_FROM = 20  # providers in an area from which a digital screening comes first (Stockholm 2024–2025)
GAP_BONUS = 100.0
METHODS = {
    "in_house": "Follow-up against the service mandate: site visit and manager interview",
    "screening": "Digital screening of every agreement (written questions, economic check); site visits on deviations",
    "special": "Special follow-up: documents and routines, survey to social workers, interviews, site visit, "
    "economic and seriousness check",
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
    areas = _areas(conn, scope.organisation_id, {c.area_id for c in cands if c.area_id is not None})
    done, planned = _special_follow_ups(conn, scope.organisation_id, areas)
    by_area: dict[int | None, list[risk.Candidate]] = defaultdict(list)
    for c in cands:
        by_area[c.area_id].append(c)
    report = Report(
        "plan",
        "Follow-up plan (plan för uppföljning) with risk-based selection and coverage check",
        scope.as_dict(),
        period.start,
        period.end,
        utcnow(),
        notes=[
            "Risk score = 100 × (0.25·V + 0.20·P + 0.30·D + 0.25·T): V purchase value, P placements, "
            "D deviations + 2 × complaints in the last 24 months (V, P, D each relative to the highest), "
            "T years since the last performed follow-up (capped at 5, never = 5) / 5.",
            f"Coverage: every contract area needs a special follow-up in its contract period; every unit needs a "
            f"follow-up owner and a follow-up at least every {opts.max_years_without_follow_up} years.",
            f"Up to {opts.top} providers are selected per area, highest score first.",
        ],
    )
    report.tables.append(_plan(areas, by_area, done, planned, period, opts))
    report.tables.append(_ranking(cands, areas, opts))
    report.tables.append(_area_coverage(areas, done, planned))
    report.tables.append(_unit_coverage(conn, scope.organisation_id, cands, opts))
    return report


@dataclass
class _Area:
    id: int
    name: str
    regime: str
    owner: str
    starts_on: date | None
    ends_on: date | None


def _areas(conn: Connection, org: int, used: set[int]) -> dict[int, _Area]:
    """The board's own contract areas and those its live agreements use, with their contract periods."""
    rows = conn.execute(
        select(AREA.c.id, AREA.c.name, AREA.c.regime, ORG.c.name.label("owner"))
        .join(ORG, ORG.c.id == AREA.c.organisation_id)
        .where((AREA.c.organisation_id == org) | AREA.c.id.in_(used or {-1}))
    ).all()
    periods = {
        r[0]: (r[1], r[2], r[3])
        for r in conn.execute(
            select(
                AGREEMENT.c.contract_area_id,
                func.min(AGREEMENT.c.starts_on),
                func.max(AGREEMENT.c.ends_on),
                func.count(AGREEMENT.c.ends_on) == func.count(),
            )
            .where(
                AGREEMENT.c.contract_area_id.in_([r.id for r in rows] or [-1]),
                AGREEMENT.c.agreement_type.in_(("framework_lou", "lov", "in_house_mandate")),
            )
            .group_by(AGREEMENT.c.contract_area_id)
        )
    }
    out = {}
    for r in rows:
        start, end, all_end = periods.get(r.id, (None, None, False))
        out[r.id] = _Area(r.id, r.name, r.regime, r.owner, start, end if all_end else None)
    return out


def _special_follow_ups(
    conn: Connection, org: int, areas: dict[int, _Area]
) -> tuple[dict[int, list[int]], dict[int, dict[int, int]]]:
    """Per area: plan years of performed special follow-ups, and counts still planned per year."""
    q = (
        select(CASE.c.contract_area_id, CASE.c.plan_year, CASE.c.status, func.count())
        .where(
            CASE.c.organisation_id == org,
            CASE.c.case_type == "follow_up",
            CASE.c.kind == "planned_special",
            CASE.c.contract_area_id.in_(list(areas) or [-1]),
        )
        .group_by(CASE.c.contract_area_id, CASE.c.plan_year, CASE.c.status)
    )
    done: dict[int, list[int]] = defaultdict(list)
    planned: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for area, year, status, n in conn.execute(q):
        if year is None:
            continue
        if status in risk.PERFORMED:
            done[area].append(year)
        elif status in ("planned", "scheduled", "in_progress", "deferred"):
            planned[area][year] += int(n)
    return done, planned


def _in_contract_period(a: _Area, years: list[int]) -> bool:
    lo = a.starts_on.year if a.starts_on else -math.inf
    hi = a.ends_on.year if a.ends_on else math.inf
    return any(lo <= y <= hi for y in years)


def _plan(
    areas: dict[int, _Area],
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
            rows.append(_plan_row(y, a, by_area.get(a.id, []), opts, f"already planned ({n} follow-up(s))"))
        if in_plan:
            continue
        if not by_area.get(a.id):
            rows.append(_plan_row(years[0], a, [], opts, "no live agreement in the area: plan it when one starts"))
            continue
        scores = sorted((c.score for c in by_area[a.id]), reverse=True)[:3]
        gap = not _in_contract_period(a, done.get(a.id, []))
        to_place.append((sum(scores) / len(scores) + (GAP_BONUS if gap else 0.0), a))

    def urgency(pa: tuple[float, _Area]) -> tuple[int, date, float, str]:
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
        status = f"proposed (priority {priority:.1f})"
        if a.ends_on and a.ends_on.year < year:
            status += f"; the contract period ends {a.ends_on.isoformat()}: follow up under the new agreement"
        rows.append(_plan_row(year, a, by_area.get(a.id, []), opts, status))
    rows.sort(key=lambda r: (r["year"], r["area"]))
    return Table(
        "plan",
        "Multi-year plan: year × contract area × responsible organisation × method",
        [
            Column("year", "Year", "int"),
            Column("area", "Contract area"),
            Column("responsible", "Responsible"),
            Column("method", "Method"),
            Column("providers", "Providers in area", "int"),
            Column("selected", "Selected providers (highest risk first)"),
            Column("status", "Status"),
        ],
        rows,
    )


def _plan_row(year: int, a: _Area, cands: list[risk.Candidate], opts: PlanOptions, status: str) -> dict[str, Any]:
    if a.regime == "in_house":
        method, responsible = METHODS["in_house"], a.owner
    elif len(cands) >= SCREENING_FROM:
        method, responsible = METHODS["screening"], a.owner
    else:
        method, responsible = METHODS["special"], a.owner
    if a.regime == "LOV":
        responsible = f"{a.owner} with the district boards (visits)"
    return {
        "year": year,
        "area": a.name,
        "responsible": responsible,
        "method": method,
        "providers": len(cands),
        "selected": ", ".join(c.name for c in cands[: opts.top]),
        "status": status,
    }


def _ranking(cands: list[risk.Candidate], areas: dict[int, _Area], opts: PlanOptions) -> Table:
    rank: dict[int | None, int] = defaultdict(int)
    rows: list[dict[str, Any]] = []
    for c in cands:
        rank[c.area_id] += 1
        rows.append(
            {
                "area": areas[c.area_id].name if c.area_id in areas else NO_AREA,
                "provider": c.name + (" (in-house)" if c.in_house else ""),
                "purchase_value": c.purchase_value,
                "placements": c.placements,
                "deviations": c.deviations,
                "complaints": c.complaints,
                "last_follow_up": c.last_follow_up,
                "years_since": c.years_since,
                "score": c.score,
                "selected": "yes" if rank[c.area_id] <= opts.top else "",
            }
        )
    rows.sort(key=lambda r: (r["area"], -r["score"], r["provider"]))
    return Table(
        "risk_ranking",
        "Risk-based selection of providers (urval)",
        [
            Column("area", "Contract area"),
            Column("provider", "Provider"),
            Column("purchase_value", "Purchase value (SEK)", "money"),
            Column("placements", "Placements", "int"),
            Column("deviations", "Deviations (24 mo.)", "int"),
            Column("complaints", "Complaints (24 mo.)", "int"),
            Column("last_follow_up", "Last follow-up", "date"),
            Column("years_since", "Years since", "int"),
            Column("score", "Risk score", "int"),
            Column("selected", "Selected"),
        ],
        rows,
    )


def _area_coverage(areas: dict[int, _Area], done: dict[int, list[int]], planned: dict[int, dict[int, int]]) -> Table:
    rows = []
    for a in sorted(areas.values(), key=lambda a: a.name):
        in_period = sorted(y for y in done.get(a.id, []) if _in_contract_period(a, [y]))
        upcoming = sorted(planned.get(a.id, {}))
        rows.append(
            {
                "area": a.name,
                "contract_period": f"{a.starts_on or '?'} – {a.ends_on or 'open-ended'}",
                "performed": len(in_period),
                "planned_years": ", ".join(str(y) for y in upcoming),
                "flag": "" if in_period else "No special follow-up in the contract period",
            }
        )
    return Table(
        "coverage_areas",
        "Coverage: a special follow-up of every contract area in each contract period",
        [
            Column("area", "Contract area"),
            Column("contract_period", "Contract period"),
            Column("performed", "Special follow-ups performed in it", "int"),
            Column("planned_years", "Planned for"),
            Column("flag", "Flag"),
        ],
        rows,
        note=f"{sum(bool(r['flag']) for r in rows)} of {len(rows)} areas flagged.",
    )


def _unit_coverage(conn: Connection, org: int, cands: list[risk.Candidate], opts: PlanOptions) -> Table:
    owners = {
        r.provider_id: r.display_name
        for r in conn.execute(
            select(OWNER.c.provider_id, USER.c.display_name)
            .join(USER, USER.c.id == OWNER.c.owner_id)
            .where(OWNER.c.organisation_id == org)
        )
    }
    seen: dict[int, risk.Candidate] = {}
    for c in cands:
        seen.setdefault(c.provider_id, c)
    rows = []
    for c in sorted(seen.values(), key=lambda c: c.name):
        flags = []
        if c.provider_id not in owners:
            flags.append("no responsible follow-up owner")
        if c.last_follow_up is None:
            flags.append("never followed up")
        elif c.years_since >= opts.max_years_without_follow_up:
            flags.append(f"no follow-up for {opts.max_years_without_follow_up} years or more")
        rows.append(
            {
                "unit": c.name,
                "in_house": "yes" if c.in_house else "",
                "owner": owners.get(c.provider_id, ""),
                "last_follow_up": c.last_follow_up,
                "flags": "; ".join(flags),
            }
        )
    return Table(
        "coverage_units",
        "Coverage: every unit (in-house included) has a follow-up owner and a recent follow-up",
        [
            Column("unit", "Unit / provider"),
            Column("in_house", "In-house"),
            Column("owner", "Follow-up owner"),
            Column("last_follow_up", "Last follow-up", "date"),
            Column("flags", "Flags"),
        ],
        rows,
        note=f"{sum(bool(r['flags']) for r in rows)} of {len(rows)} units flagged.",
    )
