"""Decisions under delegation for a board meeting (anmälan av delegationsbeslut).

Reuses :func:`workflow.engine.decisions.decisions_under_delegation`; this module only shapes
its rows into a report and applies the secrecy rule for viewers from another board.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, select

from workflow.clock import utcnow
from workflow.engine.decisions import decisions_under_delegation
from workflow.reports.model import Column, Report, Table
from workflow.reports.scope import Period, Scope
from workflow.schema.tables import CASE

KIND_LABELS = {
    "request_supplementation": "Request supplementation (begära komplettering)",
    "request_rectification": "Request rectification (begäran om rättelse)",
    "temporary_exclusion": "Temporary exclusion from call-offs",
    "lift_exclusion": "Lift exclusion",
    "open_termination_investigation": "Open termination investigation",
    "contract_sanction": "Contract sanction (sanktion/vite)",
    "terminate_agreement": "Terminate agreement",
    "rescind_agreement": "Rescind agreement",
}


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
        Column("date", "Date", "date"),
        Column("decision", "Decision"),
        Column("case_id", "Case", "int"),
        Column("case_type", "Case type"),
        Column("delegate", "Delegate"),
        Column("role", "Role"),
        Column("mandate", "Mandate (delegation order item)"),
        Column("registry_number", "Registry number (dnr)"),
    ]
    if scope.individual_level:
        cols.append(Column("reason", "Grounds"))
    rows = []
    for d in decisions:
        mask = d.case_id in individual
        masked += mask
        row = {
            "date": d.decided_on or d.decided_at.date(),
            "decision": KIND_LABELS.get(d.decision_kind, d.decision_kind),
            "case_id": None if mask else d.case_id,
            "case_type": "individual case" if mask else d.case_type,
            "delegate": d.delegate,
            "role": ("substitute for " if d.substitute else "") + d.role,
            "mandate": f"{d.order_version or '?'} item {d.rule_ref or '?'}",
            "registry_number": d.registry_number,
        }
        if scope.individual_level:
            row["reason"] = d.reason
        rows.append(row)
    per_kind = Counter(r["decision"] for r in rows)
    report = Report(
        "decisions",
        "Decisions under delegation (anmälan av delegationsbeslut)",
        scope.as_dict(),
        period.start,
        period.end,
        utcnow(),
        notes=["Decisions the board took itself are not decisions under delegation and are not listed."],
    )
    if hidden:
        report.notes.append(
            f"{hidden} decision(s) on individual-level cases are reported only inside the ordering board."
        )
    if masked:
        report.notes.append(f"{masked} decision(s) on individual cases are listed without the case and its grounds.")
    report.tables.append(Table("decisions", "Decisions", cols, rows, note=f"n = {len(rows)} decisions."))
    report.tables.append(
        Table(
            "per_kind",
            "Decisions per kind",
            [Column("decision", "Decision"), Column("count", "Count", "int")],
            [{"decision": k, "count": v} for k, v in sorted(per_kind.items())],
        )
    )
    return report
