"""Recurring control rounds and invoice sampling for the annual report (kontroller, fakturastickprov)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, case, func, select

from states.registry import CASE_TYPES
from workflow.i18n import N_
from workflow.reports.labels import label
from workflow.reports.model import Column, Msg, Table, pct
from workflow.reports.scope import Period
from workflow.schema.tables import CASE, SAMPLE

CONTROL_LABELS = {
    "ivo_check": N_("IVO check"),
    "criminal_record_check": N_("Criminal-record check of representatives"),
    "care_reconsideration": N_("Six-monthly reconsideration of care"),
    "annual_documents": N_("Annual provider documents"),
}


def control_checks(conn: Connection, org: int, period: Period) -> Table:
    """Control rounds (a control and the month its checks were opened) with their results."""
    cols = [
        Column("control", N_("Control")),
        Column("round", N_("Round (month opened)")),
        Column("checks", N_("Checks (n)"), "int"),
        Column("no_remarks", N_("No remarks"), "int"),
        Column("remarks", N_("Remarks"), "int"),
        Column("remarks_pct", N_("Remarks % of checked"), "pct"),
        Column("not_done", N_("Not yet done"), "int"),
        Column("cancelled", N_("Cancelled"), "int"),
    ]
    title = N_("IVO and criminal-record check rounds and their results")
    if "control_check" not in CASE_TYPES:
        return Table("control_checks", title, cols, note=N_("Control checks are not recorded in this installation."))
    month = _month_bucket(period)
    q = (
        select(CASE.c.kind, month.label("round"), CASE.c.status, CASE.c.outcome, func.count().label("n"))
        .where(
            CASE.c.organisation_id == org,
            CASE.c.case_type == "control_check",
            CASE.c.opened_on >= period.start,
            CASE.c.opened_on <= period.end,
        )
        .group_by(CASE.c.kind, month, CASE.c.status, CASE.c.outcome)
    )
    acc: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in conn.execute(q):
        c = acc[(r.kind or "", r.round)]
        c["checks"] += r.n
        if r.status == "cancelled":
            c["cancelled"] += r.n
        elif r.outcome in ("no_remarks", "remarks"):
            c[r.outcome] += r.n
        else:
            c["not_done"] += r.n
    rows = []
    for (kind, rnd), c in sorted(acc.items()):
        checked = c["no_remarks"] + c["remarks"]
        rows.append(
            {
                "control": Msg(CONTROL_LABELS.get(kind, kind), context="kind", code=kind),
                "round": rnd,
                **{k: c[k] for k in ("checks", "no_remarks", "remarks")},
                "remarks_pct": pct(c["remarks"], checked),
                "not_done": c["not_done"],
                "cancelled": c["cancelled"],
            }
        )
    return Table("control_checks", title, cols, rows, note=N_("Remarks % is remarks / (no remarks + remarks)."))


def invoice_sampling(conn: Connection, org: int, period: Period) -> Table:
    """Invoice sampling rounds (stickprov på fakturor): invoices checked, errors found and their types."""
    q = (
        select(
            SAMPLE.c.round_label,
            SAMPLE.c.selection,
            SAMPLE.c.correct,
            SAMPLE.c.error_type,
            func.min(SAMPLE.c.sampled_on).label("first"),
            func.count().label("n"),
        )
        .where(SAMPLE.c.organisation_id == org, SAMPLE.c.sampled_on >= period.start, SAMPLE.c.sampled_on <= period.end)
        .group_by(SAMPLE.c.round_label, SAMPLE.c.selection, SAMPLE.c.correct, SAMPLE.c.error_type)
    )
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for r in conn.execute(q):
        a = acc.setdefault((r.round_label, r.selection), {"first": r.first, "n": 0, "errors": Counter()})
        a["first"] = min(a["first"], r.first)
        a["n"] += r.n
        if not r.correct:
            a["errors"][r.error_type or "unspecified"] += r.n
    rows = []
    for (rnd, selection), a in sorted(acc.items(), key=lambda kv: (kv[1]["first"], kv[0])):
        errors = sum(a["errors"].values())
        rows.append(
            {
                "round": rnd,
                "selection": label(selection),
                "first_sampled": a["first"],
                "sampled": a["n"],
                "with_errors": errors,
                "errors_pct": pct(errors, a["n"]),
                "error_types": _error_types(a["errors"]),
            }
        )
    return Table(
        "invoice_sampling",
        N_("Invoice sampling"),
        [
            Column("round", N_("Round")),
            Column("selection", N_("Selection")),
            Column("first_sampled", N_("Sampled on"), "date"),
            Column("sampled", N_("Invoices (n)"), "int"),
            Column("with_errors", N_("With errors"), "int"),
            Column("errors_pct", N_("Errors %"), "pct"),
            Column("error_types", N_("Error types")),
        ],
        rows,
    )


def _error_types(errors: Counter[str]) -> Msg | str:
    """The error types found and how often, e.g. 'Wrong price: 2; Wrong period: 1', each label translated."""
    if not errors:
        return ""
    parts = [Msg("%(label)s: %(count)s", label=label(k), count=v) for k, v in sorted(errors.items())]
    out = parts[0]
    for p in parts[1:]:
        out = Msg("%(first)s; %(rest)s", first=out, rest=p)
    return out


def _month_bucket(period: Period) -> Any:
    """The month (YYYY-MM) a case was opened in fact (``opened_on``), as SQL: one comparison per month boundary.

    Portable across SQLite and PostgreSQL; a round recorded after the fact counts in the month it was opened.
    """
    whens = []
    y, m = period.start.year, period.start.month
    while (y, m) <= (period.end.year, period.end.month):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        whens.append((CASE.c.opened_on < date(ny, nm, 1), f"{y:04d}-{m:02d}"))
        y, m = ny, nm
    return case(*whens, else_=f"{period.end.year:04d}-{period.end.month:02d}")
