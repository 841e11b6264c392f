"""Decisions under delegation for a board meeting (anmälan av delegationsbeslut).

Reuses :func:`workflow.engine.decisions.decisions_under_delegation`; this module only shapes
its rows into a report and applies the secrecy rule for viewers from another board.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, select

from workflow.clock import utcnow
from workflow.engine.decisions import decisions_under_delegation
from workflow.i18n import N_
from workflow.reports.labels import label
from workflow.reports.model import Column, Msg, Plural, Report, Table
from workflow.reports.scope import Period, Scope
from workflow.schema.tables import CASE


def build(conn: Connection, scope: Scope, period: Period) -> Report:
    """Every decision taken under delegation in the period, oldest first, with a count per kind."""
    decisions = decisions_under_delegation(conn, scope.organisation_id, period.start, period.end)
    hidden = masked = 0
    individual: set[int] = set()
    if not scope.individual_level and decisions:
        ids = {d.case_id for d in decisions}
        individual = {
            r[0] for r in conn.execute(select(CASE.c.id).where(CASE.c.id.in_(ids), CASE.c.placement_id.is_not(None)))
        }
        if not scope.own:
            # Seen from another board, decisions on individual-level cases stay inside the ordering board.
            hidden = sum(d.case_id in individual for d in decisions)
            decisions = [d for d in decisions if d.case_id not in individual]
    cols = [
        Column("date", N_("Date"), "date"),
        Column("decision", N_("Decision")),
        Column("case_id", N_("Case"), "int"),
        Column("case_type", N_("Case type")),
        Column("delegate", N_("Delegate")),
        Column("role", N_("Role")),
        Column("mandate", N_("Mandate (delegation order item)")),
        Column("registry_number", N_("Registry number (dnr)")),
    ]
    if scope.individual_level:
        cols.append(Column("reason", N_("Grounds")))
    rows = []
    for d in decisions:
        mask = d.case_id in individual
        masked += mask
        row = {
            "date": d.decided_on or d.decided_at.date(),
            "decision": label(d.decision_kind, "decision"),
            "case_id": None if mask else d.case_id,
            "case_type": Msg("Individual case") if mask else label(d.case_type, "case type"),
            "delegate": d.delegate,
            "role": Msg("Substitute for %(role)s", role=label(d.role, "role"))
            if d.substitute
            else label(d.role, "role"),
            "mandate": Msg("%(order)s item %(item)s", order=d.order_version or "?", item=d.rule_ref or "?"),
            "registry_number": d.registry_number,
        }
        if scope.individual_level:
            row["reason"] = d.reason
        rows.append(row)
    per_kind = Counter(r["decision"] for r in rows)
    report = Report(
        "decisions",
        N_("Decisions under delegation"),
        scope.as_dict(),
        period.start,
        period.end,
        utcnow(),
        notes=[N_("Decisions the board took itself are not decisions under delegation and are not listed.")],
    )
    if hidden:
        report.notes.append(
            Plural(
                "%(n)s decision on an individual-level case is reported only inside the ordering board.",
                "%(n)s decisions on individual-level cases are reported only inside the ordering board.",
                hidden,
            )
        )
    if masked:
        report.notes.append(
            Plural(
                "%(n)s decision on an individual case is listed without the case and its grounds.",
                "%(n)s decisions on individual cases are listed without the case and its grounds.",
                masked,
            )
        )
    report.tables.append(
        Table(
            "decisions",
            N_("Decisions"),
            cols,
            rows,
            note=Plural("n = %(n)s decision.", "n = %(n)s decisions.", len(rows)),
        )
    )
    report.tables.append(
        Table(
            "per_kind",
            N_("Decisions per kind"),
            [Column("decision", N_("Decision")), Column("count", N_("Count"), "int")],
            [{"decision": k, "count": v} for k, v in sorted(per_kind.items())],
        )
    )
    return report
