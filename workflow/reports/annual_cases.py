"""Case tables of the annual report: requests, deviations, complaints, exclusions, terminations.

Requests, deviations and complaints count when opened in the period (the date they were
opened in fact, ``opened_on``); exclusions, terminations and rescissions by their decision
date (``decided_on``), each under its own reason, kept on the decision.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Connection, func, select

from states.registry import CASE_TYPES
from workflow.i18n import N_
from workflow.reports import terminations
from workflow.reports.labels import label
from workflow.reports.model import Column, Msg, Plural, Table, pct
from workflow.reports.queries import NO_AREA, area_label
from workflow.reports.scope import Period
from workflow.schema.tables import AGREEMENT, CASE, DECISION, EVENT

REQUEST_ENDINGS = ("approved", "provider_terminated", "escalated", "withdrawn")


def opened(conn: Connection, org: int, period: Period, case_type: str, *cols: Any, where: Any = None) -> list[Any]:
    """Counts of one case type opened in the period, grouped by ``cols`` and status."""
    q = (
        select(*cols, CASE.c.status, func.count().label("n"))
        .where(
            CASE.c.organisation_id == org,
            CASE.c.case_type == case_type,
            CASE.c.opened_on >= period.start,
            CASE.c.opened_on <= period.end,
        )
        .group_by(*cols, CASE.c.status)
    )
    if where is not None:
        q = q.where(where)
    return list(conn.execute(q))


def remedy_requests(conn: Connection, org: int, period: Period, names: dict[int | None, str]) -> Table:
    """Supplementation and rectification requests per area and kind, with how they ended."""
    acc: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    rows = opened(conn, org, period, "rectification_request", CASE.c.contract_area_id, CASE.c.in_house, CASE.c.kind)
    for r in rows:
        c = acc[(area_label(names, r.contract_area_id, bool(r.in_house)), label(r.kind, "kind"))]
        c["sent"] += r.n
        c[r.status if r.status in REQUEST_ENDINGS else "open"] += r.n
    for r in _remedies_inside_cases(conn, org, period):
        kind, ending = INSIDE[(r.case_type, r.status)] if (r.case_type, r.status) in INSIDE else INSIDE[r.case_type]
        c = acc[(area_label(names, r.contract_area_id, bool(r.in_house)), kind)]
        c["sent"] += r.n
        c[ending] += r.n
    out = []
    for (area, kind), c in sorted(acc.items()):
        out.append({"area": area, "kind": kind, **{k: c[k] for k in ("sent", *REQUEST_ENDINGS, "open")}})
    return Table(
        "remedy_requests",
        N_("Supplementation and rectification requests per contract area and how they ended"),
        [
            Column("area", N_("Contract area")),
            Column("kind", N_("Kind")),
            Column("sent", N_("Requests (n)"), "int"),
            Column("approved", N_("Approved"), "int"),
            Column("provider_terminated", N_("Provider asked to terminate"), "int"),
            Column("escalated", N_("Escalated"), "int"),
            Column("withdrawn", N_("Withdrawn"), "int"),
            Column("open", N_("Still open"), "int"),
        ],
        out,
        note=N_(
            "Besides request cases, remedies asked for inside a follow-up or a deviation count as requests: "
            "decided in the period, ended by the case's state."
        ),
    )


#: (case type, state) → (kind shown, how it ended) for remedies asked for inside another case.
_IN_FOLLOW_UP = Msg("supplementation (in a follow-up)")
_IN_DEVIATION = Msg("remedy (in a deviation)")
INSIDE: dict[Any, tuple[str, str]] = {
    ("follow_up", "awaiting_provider"): (_IN_FOLLOW_UP, "open"),
    "follow_up": (_IN_FOLLOW_UP, "approved"),
    ("deviation", "rectification"): (_IN_DEVIATION, "open"),
    ("deviation", "escalated"): (_IN_DEVIATION, "escalated"),
    ("deviation", "terminated"): (_IN_DEVIATION, "provider_terminated"),
    "deviation": (_IN_DEVIATION, "approved"),
}


def _remedies_inside_cases(conn: Connection, org: int, period: Period) -> list[Any]:
    q = (
        select(CASE.c.contract_area_id, CASE.c.in_house, CASE.c.case_type, CASE.c.status, func.count().label("n"))
        .select_from(DECISION)
        .join(CASE, CASE.c.id == DECISION.c.case_id)
        .where(
            DECISION.c.organisation_id == org,
            DECISION.c.decision_kind.in_(("request_supplementation", "request_rectification")),
            DECISION.c.decided_on >= period.start,
            DECISION.c.decided_on <= period.end,
            CASE.c.case_type.in_(("follow_up", "deviation")),
        )
        .group_by(CASE.c.contract_area_id, CASE.c.in_house, CASE.c.case_type, CASE.c.status)
    )
    return list(conn.execute(q))


def by_kind_and_topic(conn: Connection, org: int, period: Period, case_type: str, title: str) -> Table:
    """Cases of ``case_type`` opened in the period per kind and topic, open and closed."""
    acc: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    finals = CASE_TYPES[case_type].finals
    for r in opened(conn, org, period, case_type, CASE.c.kind, CASE.c.topic):
        c = acc[(r.kind or "", r.topic or "")]
        c["count"] += r.n
        c["closed" if r.status in finals else "open"] += r.n
    total = sum(c["count"] for c in acc.values())
    out = [
        {
            "kind": label(k, "kind"),
            "topic": label(t) if t else Msg("(not yet classified)"),
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
            Column("kind", N_("Kind")),
            Column("topic", N_("Topic")),
            Column("count", N_("Count"), "int"),
            Column("pct", N_("% of all"), "pct"),
            Column("open", N_("Open"), "int"),
            Column("closed", N_("Closed"), "int"),
        ],
        out,
        note=Plural("n = %(n)s case opened in the period.", "n = %(n)s cases opened in the period.", total),
    )


def exclusions(conn: Connection, org: int, period: Period, names: dict[int | None, str]) -> Table:
    """Temporary exclusions decided in the period per framework agreement and each decision's own reason."""
    fw = AGREEMENT.alias("fw")
    q = (
        select(
            func.coalesce(fw.c.registry_number, AGREEMENT.c.registry_number).label("framework"),
            func.coalesce(fw.c.contract_area_id, AGREEMENT.c.contract_area_id).label("area_id"),
            DECISION.c.reason_code,
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
            DECISION.c.decided_on >= period.start,
            DECISION.c.decided_on <= period.end,
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
        N_("Temporary exclusions from call-offs per framework agreement"),
        [
            Column("framework", N_("Framework agreement")),
            Column("area", N_("Contract area")),
            Column("reason", N_("Reason")),
            Column("exclusions", N_("Exclusions decided"), "int"),
            Column("prolonged", N_("Prolonged"), "int"),
            Column("providers", N_("Providers"), "int"),
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


def terminations_by_framework(conn: Connection, org: int, period: Period) -> Table:
    """Terminations and rescissions decided in the period per framework and reason."""
    acc: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    for r in terminations.ended_agreements(conn, org, period):
        acc[(r["framework"], r["area"], r["reason"])][r["measure_code"]] += 1
    return Table(
        "terminations_by_framework",
        N_("Terminations and rescissions per framework agreement and reason"),
        [
            Column("framework", N_("Framework agreement")),
            Column("area", N_("Contract area")),
            Column("reason", N_("Reason / ground")),
            Column("terminated", N_("Terminations"), "int"),
            Column("rescinded", N_("Rescissions"), "int"),
        ],
        [
            {"framework": f, "area": a, "reason": r, "terminated": c["terminated"], "rescinded": c["rescinded"]}
            for (f, a, r), c in sorted(acc.items())
        ],
        note=N_("Each one is listed with its decision-maker and mandate in the terminated-agreements report."),
    )
