"""Annual follow-up report (årlig rapport om uppföljning av privata utförare), REQ-RPT-01.

Every figure is a count over stored cases and decisions; percentages are computed
from those counts and printed with their n (REQ-RPT-05).

Definitions used throughout:

* *planned* follow-ups are follow-up cases of kind ``planned_special`` or ``screening``
  whose plan year falls in the period; *performed* means they reached findings, the
  provider's remedy, assessment or closure; *ongoing* means not yet started or in progress.
* event-driven and continuous follow-ups, requests, deviations and complaints count
  when they were opened in the period; exclusions, terminations and rescissions when
  they were decided in it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Connection, func, select

from states.registry import CASE_TYPES
from workflow.clock import utcnow
from workflow.reports import controls, terminations
from workflow.reports.labels import MANDATE_TO_CATEGORY, OUTCOME_CATEGORIES, label
from workflow.reports.model import Chart, Column, Report, Table, pct
from workflow.reports.queries import AGREEMENT, CASE, DECISION, EVENT, NO_AREA, area_label, area_names, bounds
from workflow.reports.scope import Period, Scope

PLANNED_KINDS = ("planned_special", "screening")
PERFORMED = frozenset({"findings_recorded", "awaiting_provider", "assessed", "closed"})
ONGOING = frozenset({"planned", "scheduled", "in_progress"})
REQUEST_ENDINGS = ("approved", "provider_terminated", "escalated", "withdrawn")


def build(conn: Connection, scope: Scope, period: Period) -> Report:
    """The annual follow-up report for one organisation and period."""
    org = scope.organisation_id
    names = area_names(conn)
    report = Report(
        "annual",
        "Annual follow-up report (uppföljning av utförare)",
        scope.as_dict(),
        period.start,
        period.end,
        utcnow(),
        notes=[
            "Planned follow-ups are those whose plan year falls in the period; other counts are of cases opened "
            "or decisions taken in the period.",
            "Percentages are computed from the counts shown and always given with n.",
        ],
    )
    fu = _planned_follow_ups(conn, org, period)
    report.tables += [
        _planned_vs_performed(fu, names),
        _not_performed(fu, names),
        _outcomes(fu, names),
        _other_follow_ups(conn, org, period, names),
        _remedy_requests(conn, org, period, names),
        _by_kind_and_topic(conn, org, period, "deviation", "Deviations (avvikelser) by kind and topic"),
        _by_kind_and_topic(conn, org, period, "complaint", "Complaints (klagomål) by channel and topic"),
        _exclusions(conn, org, period, names),
        _terminations_by_framework(conn, org, period),
        controls.control_checks(conn, org, period),
        controls.invoice_sampling(conn, org, period),
    ]
    report.tables.insert(0, _summary(report))
    if "control_check" not in CASE_TYPES:
        report.notes.append(
            "IVO and criminal-record check rounds: no control-check case type is installed, so none are reported."
        )
    return report


def _planned_follow_ups(conn: Connection, org: int, period: Period) -> list[Any]:
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


def _planned_vs_performed(rows: list[Any], names: dict[int | None, str]) -> Table:
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
        out.append({"area": "Total", **total, "performed_pct": pct(total["performed"], total["planned"])})
    return Table(
        "planned_vs_performed",
        "Follow-ups planned and performed per contract area",
        [
            Column("area", "Contract area"),
            Column("planned", "Planned (n)", "int"),
            Column("performed", "Performed", "int"),
            Column("performed_pct", "Performed %", "pct"),
            Column("ongoing", "Not yet performed", "int"),
            Column("deferred", "Deferred", "int"),
            Column("not_performed", "Not performed", "int"),
        ],
        out,
        note="Performed % is performed / planned.",
        chart=Chart("Planned versus performed", "area", ("planned", "performed"), "grouped"),
    )


def _not_performed(rows: list[Any], names: dict[int | None, str]) -> Table:
    acc: Counter[tuple[str, str]] = Counter()
    for r in rows:
        if r.status == "not_performed":
            acc[(area_label(names, r.contract_area_id, bool(r.in_house)), label(r.reason_code))] += r.n
    return Table(
        "not_performed_reasons",
        "Reasons for follow-ups not performed",
        [Column("area", "Contract area"), Column("reason", "Reason"), Column("count", "Follow-ups", "int")],
        [{"area": a, "reason": reason, "count": n} for (a, reason), n in sorted(acc.items())],
    )


def _outcomes(rows: list[Any], names: dict[int | None, str]) -> Table:
    acc: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in rows:
        if r.outcome is None or r.status not in ("assessed", "closed"):
            continue
        against = "service mandate" if r.outcome in MANDATE_TO_CATEGORY else "contract"
        acc[(area_label(names, r.contract_area_id, bool(r.in_house)), against)][
            MANDATE_TO_CATEGORY.get(r.outcome, r.outcome)
        ] += r.n
    out = []
    for (area, against), c in sorted(acc.items()):
        n = sum(c.values())
        row: dict[str, Any] = {"area": area, "assessed_against": against, "n": n}
        for key, _ in OUTCOME_CATEGORIES:
            row[key] = c[key]
            row[f"{key}_pct"] = pct(c[key], n)
        out.append(row)
    cols = [Column("area", "Contract area"), Column("assessed_against", "Assessed against"), Column("n", "n", "int")]
    for key, lab in OUTCOME_CATEGORIES:
        cols += [Column(key, lab, "int"), Column(f"{key}_pct", "%", "pct")]
    return Table(
        "outcomes",
        "Outcome of assessed follow-ups per contract area",
        cols,
        out,
        note="n is the number of assessed follow-ups in the area; each % is the category's count / n.",
        chart=Chart("Outcome distribution per area", "area", tuple(k for k, _ in OUTCOME_CATEGORIES), "stacked"),
    )


def _opened(conn: Connection, org: int, period: Period, case_type: str, *cols: Any, where: Any = None) -> list[Any]:
    begin, stop = bounds(period)
    q = (
        select(*cols, CASE.c.status, func.count().label("n"))
        .where(
            CASE.c.organisation_id == org,
            CASE.c.case_type == case_type,
            CASE.c.opened_at >= begin,
            CASE.c.opened_at < stop,
        )
        .group_by(*cols, CASE.c.status)
    )
    if where is not None:
        q = q.where(where)
    return list(conn.execute(q))


def _other_follow_ups(conn: Connection, org: int, period: Period, names: dict[int | None, str]) -> Table:
    acc: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    unplanned = CASE.c.kind.not_in(PLANNED_KINDS)
    for r in _opened(
        conn, org, period, "follow_up", CASE.c.contract_area_id, CASE.c.in_house, CASE.c.kind, where=unplanned
    ):
        c = acc[(area_label(names, r.contract_area_id, bool(r.in_house)), r.kind or "")]
        c["opened"] += r.n
        c["performed" if r.status in PERFORMED else "not_performed" if r.status == "not_performed" else "open"] += r.n
    return Table(
        "other_follow_ups",
        "Event-driven and continuous follow-ups opened in the period",
        [
            Column("area", "Contract area"),
            Column("kind", "Kind"),
            Column("opened", "Opened", "int"),
            Column("performed", "Performed", "int"),
            Column("not_performed", "Not performed", "int"),
            Column("open", "Still open", "int"),
        ],
        [
            {"area": a, "kind": label(k), **{x: c[x] for x in ("opened", "performed", "not_performed", "open")}}
            for (a, k), c in sorted(acc.items())
        ],
    )


def _remedy_requests(conn: Connection, org: int, period: Period, names: dict[int | None, str]) -> Table:
    acc: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    rows = _opened(conn, org, period, "rectification_request", CASE.c.contract_area_id, CASE.c.in_house, CASE.c.kind)
    for r in rows:
        c = acc[(area_label(names, r.contract_area_id, bool(r.in_house)), r.kind or "")]
        c["sent"] += r.n
        c[r.status if r.status in REQUEST_ENDINGS else "open"] += r.n
    out = []
    for (area, kind), c in sorted(acc.items()):
        out.append({"area": area, "kind": kind, **{k: c[k] for k in ("sent", *REQUEST_ENDINGS, "open")}})
    return Table(
        "remedy_requests",
        "Supplementation and rectification requests per contract area and how they ended",
        [
            Column("area", "Contract area"),
            Column("kind", "Kind (komplettering / rättelse)"),
            Column("sent", "Requests (n)", "int"),
            Column("approved", "Approved", "int"),
            Column("provider_terminated", "Provider asked to terminate", "int"),
            Column("escalated", "Escalated", "int"),
            Column("withdrawn", "Withdrawn", "int"),
            Column("open", "Still open", "int"),
        ],
        out,
    )


def _by_kind_and_topic(conn: Connection, org: int, period: Period, case_type: str, title: str) -> Table:
    acc: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    finals = CASE_TYPES[case_type].finals
    for r in _opened(conn, org, period, case_type, CASE.c.kind, CASE.c.topic):
        c = acc[(r.kind or "", r.topic or "")]
        c["count"] += r.n
        c["closed" if r.status in finals else "open"] += r.n
    total = sum(c["count"] for c in acc.values())
    out = [
        {
            "kind": label(k),
            "topic": label(t) if t else "(not yet classified)",
            "count": c["count"],
            "pct": pct(c["count"], total),
            "open": c["open"],
            "closed": c["closed"],
        }
        for (k, t), c in sorted(acc.items())
    ]
    return Table(
        f"{case_type}s",
        title,
        [
            Column("kind", "Kind"),
            Column("topic", "Topic"),
            Column("count", "Count", "int"),
            Column("pct", "% of all", "pct"),
            Column("open", "Open", "int"),
            Column("closed", "Closed", "int"),
        ],
        out,
        note=f"n = {total} {case_type}s opened in the period.",
    )


def _exclusions(conn: Connection, org: int, period: Period, names: dict[int | None, str]) -> Table:
    begin, stop = bounds(period)
    fw = AGREEMENT.alias("fw")
    q = (
        select(
            func.coalesce(fw.c.registry_number, AGREEMENT.c.registry_number).label("framework"),
            func.coalesce(fw.c.contract_area_id, AGREEMENT.c.contract_area_id).label("area_id"),
            CASE.c.reason_code,
            CASE.c.provider_id,
            EVENT.c.trigger,
        )
        .join(CASE, CASE.c.id == DECISION.c.case_id)
        .join(EVENT, EVENT.c.id == DECISION.c.event_id)
        .join(AGREEMENT, AGREEMENT.c.id == CASE.c.agreement_id)
        .outerjoin(fw, fw.c.id == AGREEMENT.c.parent_id)
        .where(
            DECISION.c.organisation_id == org,
            DECISION.c.decision_kind == "temporary_exclusion",
            DECISION.c.decided_at >= begin,
            DECISION.c.decided_at < stop,
        )
    )
    acc: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in conn.execute(q):
        key = (r.framework, names.get(r.area_id, NO_AREA), label(r.reason_code))
        a = acc.setdefault(key, {"exclusions": 0, "prolonged": 0, "providers": set()})
        a["prolonged" if r.trigger == "prolong" else "exclusions"] += 1
        a["providers"].add(r.provider_id)
    return Table(
        "exclusions",
        "Temporary exclusions from call-offs (tillfällig uteslutning från avrop) per framework agreement",
        [
            Column("framework", "Framework agreement"),
            Column("area", "Contract area"),
            Column("reason", "Reason"),
            Column("exclusions", "Exclusions decided", "int"),
            Column("prolonged", "Prolonged", "int"),
            Column("providers", "Providers", "int"),
        ],
        [
            {
                "framework": f,
                "area": a,
                "reason": r,
                "exclusions": v["exclusions"],
                "prolonged": v["prolonged"],
                "providers": len(v["providers"]),
            }
            for (f, a, r), v in sorted(acc.items())
        ],
    )


def _terminations_by_framework(conn: Connection, org: int, period: Period) -> Table:
    acc: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    for r in terminations.ended_agreements(conn, org, period):
        acc[(r["framework"], r["area"], r["reason"])][r["measure_code"]] += 1
    return Table(
        "terminations_by_framework",
        "Terminations and rescissions per framework agreement and reason",
        [
            Column("framework", "Framework agreement"),
            Column("area", "Contract area"),
            Column("reason", "Reason / ground"),
            Column("terminated", "Terminations", "int"),
            Column("rescinded", "Rescissions", "int"),
        ],
        [
            {"framework": f, "area": a, "reason": r, "terminated": c["terminated"], "rescinded": c["rescinded"]}
            for (f, a, r), c in sorted(acc.items())
        ],
        note="Each one is listed with its decision-maker and mandate in the terminated-agreements report.",
    )


def _summary(report: Report) -> Table:
    """The headline figures a board member reads first, each from the tables below it."""

    def total(key: str, col: str) -> int:
        return sum(int(r[col] or 0) for r in report.table(key).rows if r.get("area") != "Total")

    planned, performed = total("planned_vs_performed", "planned"), total("planned_vs_performed", "performed")
    assessed, complies = total("outcomes", "n"), total("outcomes", "compliant")
    sampled = total("invoice_sampling", "sampled")
    rows = [
        {"figure": "Planned follow-ups performed", "count": performed, "n": planned, "pct": pct(performed, planned)},
        {"figure": "Assessed follow-ups that comply", "count": complies, "n": assessed, "pct": pct(complies, assessed)},
        {"figure": "Supplementation and rectification requests", "count": total("remedy_requests", "sent")},
        {"figure": "Deviations", "count": total("deviations", "count")},
        {"figure": "Complaints", "count": total("complaints", "count")},
        {"figure": "Temporary exclusions from call-offs decided", "count": total("exclusions", "exclusions")},
        {"figure": "Agreements terminated", "count": total("terminations_by_framework", "terminated")},
        {"figure": "Agreements rescinded", "count": total("terminations_by_framework", "rescinded")},
        {
            "figure": "Control checks with remarks",
            "count": total("control_checks", "remarks"),
            "n": total("control_checks", "checks"),
            "pct": pct(total("control_checks", "remarks"), total("control_checks", "checks")),
        },
        {
            "figure": "Sampled invoices with errors",
            "count": total("invoice_sampling", "with_errors"),
            "n": sampled,
            "pct": pct(total("invoice_sampling", "with_errors"), sampled),
        },
    ]
    return Table(
        "summary",
        "Summary",
        [
            Column("figure", "Figure"),
            Column("count", "Count", "int"),
            Column("n", "of n", "int"),
            Column("pct", "%", "pct"),
        ],
        [{"n": None, "pct": None, **r} for r in rows],
        note="Each figure is the sum of the table it comes from below.",
    )
