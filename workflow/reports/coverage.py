"""Coverage of the follow-up plan (täckning): contract areas, their periods and their special follow-ups.

Flags every contract area without a performed special follow-up in its contract period
(Uppsala's goal, domain.md §3.2), and every unit, in-house included, without a responsible
follow-up owner or without a performed follow-up for a configurable number of years.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, func, select

from workflow.i18n import N_
from workflow.reports import risk
from workflow.reports.model import Column, Msg, Plural, Table
from workflow.reports.queries import AREA
from workflow.schema.tables import AGREEMENT, CASE, ORG, OWNER, USER


@dataclass
class Area:
    """A contract area with its owner and contract period (the span of its framework agreements)."""

    id: int
    name: str
    regime: str
    owner: str
    starts_on: date | None
    ends_on: date | None


def areas(conn: Connection, org: int, used: set[int]) -> dict[int, Area]:
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
        out[r.id] = Area(r.id, r.name, r.regime, r.owner, start, end if all_end else None)
    return out


def special_follow_ups(
    conn: Connection, org: int, areas: dict[int, Area]
) -> tuple[dict[int, list[int]], dict[int, dict[int, int]]]:
    """Per area: plan years of performed special follow-ups, and counts still planned per year."""
    q = (
        select(CASE.c.contract_area_id, CASE.c.plan_year, CASE.c.status, func.count())
        .where(
            CASE.c.organisation_id == org,
            CASE.c.case_type == "follow_up",
            CASE.c.kind == "planned_special",
            CASE.c.plan_year.is_not(None),  # as the partial report index says, so the index serves
            CASE.c.contract_area_id.in_(list(areas) or [-1]),
        )
        .group_by(CASE.c.contract_area_id, CASE.c.plan_year, CASE.c.status)
    )
    done: dict[int, list[int]] = defaultdict(list)
    planned: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for area, year, status, n in conn.execute(q):
        if status in risk.PERFORMED:
            done[area].append(year)
        elif status in ("planned", "scheduled", "in_progress", "deferred"):
            planned[area][year] += int(n)
    return done, planned


def in_contract_period(a: Area, years: list[int]) -> bool:
    """Whether any of ``years`` falls in the area's contract period."""
    lo = a.starts_on.year if a.starts_on else -math.inf
    hi = a.ends_on.year if a.ends_on else math.inf
    return any(lo <= y <= hi for y in years)


def area_coverage(areas: dict[int, Area], done: dict[int, list[int]], planned: dict[int, dict[int, int]]) -> Table:
    """One row per area: special follow-ups performed in its contract period, planned years, flag."""
    rows = []
    for a in sorted(areas.values(), key=lambda a: a.name):
        in_period = sorted(y for y in done.get(a.id, []) if in_contract_period(a, [y]))
        upcoming = sorted(planned.get(a.id, {}))
        rows.append(
            {
                "area": a.name,
                "contract_period": Msg(
                    "%(start)s – %(end)s", start=a.starts_on or "?", end=a.ends_on or Msg("open-ended")
                ),
                "performed": len(in_period),
                "planned_years": ", ".join(str(y) for y in upcoming),
                "flag": "" if in_period else Msg("No special follow-up in the contract period"),
            }
        )
    return Table(
        "coverage_areas",
        N_("Coverage: a special follow-up of every contract area in each contract period"),
        [
            Column("area", N_("Contract area")),
            Column("contract_period", N_("Contract period")),
            Column("performed", N_("Special follow-ups performed in it"), "int"),
            Column("planned_years", N_("Planned for")),
            Column("flag", N_("Flag")),
        ],
        rows,
        note=Plural(
            "%(flagged)s of %(n)s area flagged.",
            "%(flagged)s of %(n)s areas flagged.",
            len(rows),
            flagged=sum(bool(r["flag"]) for r in rows),
        ),
    )


def unit_coverage(conn: Connection, org: int, cands: list[risk.Candidate], max_years: int) -> Table:
    """One row per unit: its follow-up owner, last follow-up and flags."""
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
            flags.append(Msg("no responsible follow-up owner"))
        if c.last_follow_up is None:
            flags.append(Msg("never followed up"))
        elif c.years_since >= max_years:
            flags.append(
                Plural("no follow-up for %(n)s year or more", "no follow-up for %(n)s years or more", max_years)
            )
        rows.append(
            {
                "unit": c.name,
                "in_house": Msg("yes") if c.in_house else "",
                "owner": owners.get(c.provider_id, ""),
                "last_follow_up": c.last_follow_up,
                "flags": _joined(flags),
            }
        )
    return Table(
        "coverage_units",
        N_("Coverage: every unit (in-house included) has a follow-up owner and a recent follow-up"),
        [
            Column("unit", N_("Unit / provider")),
            Column("in_house", N_("In-house")),
            Column("owner", N_("Follow-up owner")),
            Column("last_follow_up", N_("Last follow-up"), "date"),
            Column("flags", N_("Flags")),
        ],
        rows,
        note=Plural(
            "%(flagged)s of %(n)s unit flagged.",
            "%(flagged)s of %(n)s units flagged.",
            len(rows),
            flagged=sum(bool(r["flags"]) for r in rows),
        ),
    )


def _joined(parts: list[Msg]) -> Msg | str:
    """Flags one after another, '; ' between, each put into the reader's language."""
    if not parts:
        return ""
    out = parts[0]
    for p in parts[1:]:
        out = Msg("%(first)s; %(rest)s", first=out, rest=p)
    return out
