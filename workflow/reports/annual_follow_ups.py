"""Follow-up tables of the annual report (uppföljningar): planned vs performed, reasons, outcomes.

*Planned* follow-ups are follow-up cases of kind ``planned_special`` or ``screening`` whose
plan year falls in the period; *performed* means they reached findings, the provider's
remedy, assessment or closure; *ongoing* means not yet started or in progress.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Connection, func, select

from workflow.i18n import N_
from workflow.reports.annual_cases import opened
from workflow.reports.labels import MANDATE_TO_CATEGORY, OUTCOME_CATEGORIES, label
from workflow.reports.model import Chart, Column, Msg, Table, pct
from workflow.reports.queries import area_label
from workflow.reports.scope import Period
from workflow.schema.tables import CASE

PLANNED_KINDS = ("planned_special", "screening")
PERFORMED = frozenset({"findings_recorded", "awaiting_provider", "assessed", "closed"})
ONGOING = frozenset({"planned", "scheduled", "in_progress"})


def planned_follow_ups(conn: Connection, org: int, period: Period) -> list[Any]:
    """Planned follow-ups of the period's plan years, counted per area, regime, status, outcome, reason."""
    q = (
        select(
            CASE.c.contract_area_id,
            CASE.c.in_house,
            CASE.c.status,
            CASE.c.outcome,
            CASE.c.reason_code,
            func.count().label("n"),
        )
        .where(
            CASE.c.organisation_id == org,
            CASE.c.case_type == "follow_up",
            CASE.c.plan_year >= period.start.year,
            CASE.c.plan_year <= period.end.year,
            CASE.c.kind.in_(PLANNED_KINDS),
        )
        .group_by(CASE.c.contract_area_id, CASE.c.in_house, CASE.c.status, CASE.c.outcome, CASE.c.reason_code)
    )
    return list(conn.execute(q))


def planned_vs_performed(rows: list[Any], names: dict[int | None, str]) -> Table:
    """Planned, performed, ongoing, deferred and not performed per area, with a total row."""
    acc: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        c = acc[area_label(names, r.contract_area_id, bool(r.in_house))]
        c["planned"] += r.n
        if r.status in PERFORMED:
            c["performed"] += r.n
        elif r.status in ONGOING:
            c["ongoing"] += r.n
        else:
            c[r.status] += r.n
    out = []
    for area in sorted(acc):
        c = acc[area]
        out.append(
            {
                "area": area,
                "planned": c["planned"],
                "performed": c["performed"],
                "performed_pct": pct(c["performed"], c["planned"]),
                "ongoing": c["ongoing"],
                "deferred": c["deferred"],
                "not_performed": c["not_performed"],
            }
        )
    total = Counter[str]()
    for r in out:
        total.update({k: r[k] for k in ("planned", "performed", "ongoing", "deferred", "not_performed")})
    if out:
        out.append({"area": Msg(N_("Total")), **total, "performed_pct": pct(total["performed"], total["planned"])})
    return Table(
        "planned_vs_performed",
        N_("Follow-ups planned and performed per contract area"),
        [
            Column("area", N_("Contract area")),
            Column("planned", N_("Planned (n)"), "int"),
            Column("performed", N_("Performed"), "int"),
            Column("performed_pct", N_("Performed %"), "pct"),
            Column("ongoing", N_("Not yet performed"), "int"),
            Column("deferred", N_("Deferred"), "int"),
            Column("not_performed", N_("Not performed"), "int"),
        ],
        out,
        note=N_("Performed % is performed / planned."),
        chart=Chart(N_("Planned versus performed"), "area", ("planned", "performed"), "grouped"),
    )


def reasons_not_performed(attributes: dict[str, Any] | None, reason_code: str | None) -> list[str | None]:
    """The reasons a follow-up was not performed: the list it was given, or the one reason of older follow-ups.

    ``mark_not_performed`` takes one or more reasons (``not_performed_reasons``, kept in the case's
    attributes); follow-ups marked before took one, ``not_performed_reason``, kept in ``reason_code``.
    """
    given = (attributes or {}).get("not_performed_reasons")
    if isinstance(given, list) and given:
        return [str(r) for r in given]
    return [reason_code]


def not_performed(conn: Connection, org: int, period: Period, names: dict[int | None, str]) -> Table:
    """Planned follow-ups not performed, per area and reason: one with two reasons counts once under each."""
    q = select(CASE.c.contract_area_id, CASE.c.in_house, CASE.c.reason_code, CASE.c.attributes).where(
        CASE.c.organisation_id == org,
        CASE.c.case_type == "follow_up",
        CASE.c.plan_year >= period.start.year,
        CASE.c.plan_year <= period.end.year,
        CASE.c.kind.in_(PLANNED_KINDS),
        CASE.c.status == "not_performed",
    )
    acc: Counter[tuple[str, str]] = Counter()
    for r in conn.execute(q):
        area = area_label(names, r.contract_area_id, bool(r.in_house))
        for reason in reasons_not_performed(r.attributes, r.reason_code):
            acc[(area, label(reason))] += 1
    return Table(
        "not_performed_reasons",
        N_("Reasons for follow-ups not performed"),
        [Column("area", N_("Contract area")), Column("reason", N_("Reason")), Column("count", N_("Follow-ups"), "int")],
        [{"area": a, "reason": reason, "count": n} for (a, reason), n in sorted(acc.items())],
        note=N_(
            "A follow-up not performed for several reasons (e.g. the visit was cancelled, then the agreement "
            "expired) is counted once as not performed in the table above and once under each of its reasons "
            "here, so the reasons may add up to more than the follow-ups not performed."
        ),
    )


def outcomes(rows: list[Any], names: dict[int | None, str]) -> Table:
    """Outcome distribution of assessed follow-ups per area: counts and % of n."""
    acc: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in rows:
        if r.outcome is None or r.status not in ("assessed", "closed"):
            continue
        against = Msg(N_("service mandate")) if r.outcome in MANDATE_TO_CATEGORY else Msg(N_("contract"))
        acc[(area_label(names, r.contract_area_id, bool(r.in_house)), against)][
            MANDATE_TO_CATEGORY.get(r.outcome, r.outcome)
        ] += r.n
    out = []
    for (area, measured), c in sorted(acc.items()):
        n = sum(c.values())
        row: dict[str, Any] = {"area": area, "assessed_against": measured, "n": n}
        for key, _ in OUTCOME_CATEGORIES:
            row[key] = c[key]
            row[f"{key}_pct"] = pct(c[key], n)
        out.append(row)
    cols = [
        Column("area", N_("Contract area")),
        Column("assessed_against", N_("Assessed against")),
        Column("n", "n", "int"),
    ]
    for key, lab in OUTCOME_CATEGORIES:
        cols += [Column(key, lab, "int"), Column(f"{key}_pct", "%", "pct")]
    return Table(
        "outcomes",
        N_("Outcome of assessed follow-ups per contract area"),
        cols,
        out,
        note=N_("n is the number of assessed follow-ups in the area; each % is the category's count / n."),
        chart=Chart(N_("Outcome distribution per area"), "area", tuple(k for k, _ in OUTCOME_CATEGORIES), "stacked"),
    )


def other_follow_ups(conn: Connection, org: int, period: Period, names: dict[int | None, str]) -> Table:
    """Event-driven and continuous follow-ups opened in the period, per area and kind."""
    acc: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    unplanned = CASE.c.kind.not_in(PLANNED_KINDS)
    for r in opened(
        conn, org, period, "follow_up", CASE.c.contract_area_id, CASE.c.in_house, CASE.c.kind, where=unplanned
    ):
        c = acc[(area_label(names, r.contract_area_id, bool(r.in_house)), r.kind or "")]
        c["opened"] += r.n
        c["performed" if r.status in PERFORMED else "not_performed" if r.status == "not_performed" else "open"] += r.n
    return Table(
        "other_follow_ups",
        N_("Event-driven and continuous follow-ups opened in the period"),
        [
            Column("area", N_("Contract area")),
            Column("kind", N_("Kind")),
            Column("opened", N_("Opened"), "int"),
            Column("performed", N_("Performed"), "int"),
            Column("not_performed", N_("Not performed"), "int"),
            Column("open", N_("Still open"), "int"),
        ],
        [
            {"area": a, "kind": label(k, "kind"), **{x: c[x] for x in ("opened", "performed", "not_performed", "open")}}
            for (a, k), c in sorted(acc.items())
        ],
    )
