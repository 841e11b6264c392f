"""Terminated and rescinded agreements (uppsagda och hävda avtal) for the board, REQ-RPT-02.

Every termination and rescission decided in the period comes from the decision record
the engine writes with the transition, so the list cannot drift from what happened: each
is dated by its decision date (decided_on) and listed with its own ground and initiator,
which a later step of the case cannot overwrite.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, select

from workflow.clock import utcnow
from workflow.i18n import N_
from workflow.reports.labels import label
from workflow.reports.model import Chart, Column, Msg, Plural, Report, Table
from workflow.reports.queries import AREA, NO_AREA
from workflow.reports.scope import Period, Scope
from workflow.schema.tables import AGREEMENT, CASE, DECISION, EVENT, ORDER, PROVIDER, USER

ENDING_KINDS = ("terminate_agreement", "rescind_agreement")


def ended_agreements(conn: Connection, organisation_id: int, period: Period) -> list[dict[str, Any]]:
    """One row per termination or rescission decided in the period, oldest first."""
    fw = AGREEMENT.alias("fw")
    q = (
        select(
            DECISION.c.decided_on,
            DECISION.c.decision_kind,
            DECISION.c.registry_number.label("decision_registry_number"),
            DECISION.c.role,
            DECISION.c.under_delegation,
            DECISION.c.substitute,
            DECISION.c.rule_ref,
            ORDER.c.version.label("order_version"),
            EVENT.c.mandate,
            CASE.c.id.label("case_id"),
            DECISION.c.reason_code,
            DECISION.c.initiator,
            AGREEMENT.c.id.label("agreement_id"),
            AGREEMENT.c.registry_number.label("agreement_registry_number"),
            AGREEMENT.c.agreement_type,
            fw.c.registry_number.label("framework_registry_number"),
            AREA.c.name.label("area"),
            PROVIDER.c.name.label("provider"),
            PROVIDER.c.org_number,
            USER.c.display_name.label("decided_by"),
        )
        .join(CASE, CASE.c.id == DECISION.c.case_id)
        .join(EVENT, EVENT.c.id == DECISION.c.event_id)
        .join(AGREEMENT, AGREEMENT.c.id == CASE.c.agreement_id)
        .outerjoin(fw, fw.c.id == AGREEMENT.c.parent_id)
        .outerjoin(AREA, AREA.c.id == AGREEMENT.c.contract_area_id)
        .join(PROVIDER, PROVIDER.c.id == AGREEMENT.c.provider_id)
        .outerjoin(USER, USER.c.id == DECISION.c.decided_by_id)
        .outerjoin(ORDER, ORDER.c.id == DECISION.c.delegation_order_id)
        .where(
            DECISION.c.organisation_id == organisation_id,
            DECISION.c.decision_kind.in_(ENDING_KINDS),
            DECISION.c.decided_on >= period.start,
            DECISION.c.decided_on <= period.end,
        )
        .order_by(DECISION.c.decided_on, DECISION.c.id)
    )
    rows = []
    for r in conn.execute(q).mappings():
        measure = "terminated" if r["decision_kind"] == "terminate_agreement" else "rescinded"
        rows.append(
            {
                "date": r["decided_on"],
                "measure": label(measure, "measure"),
                "measure_code": measure,
                "framework": r["framework_registry_number"] or r["agreement_registry_number"],
                "agreement": r["agreement_registry_number"],
                "agreement_type": r["agreement_type"],
                "area": r["area"] or NO_AREA,
                "provider": r["provider"],
                "org_number": r["org_number"],
                "reason": label(r["reason_code"]),
                "reason_code": r["reason_code"],
                "initiator": label(r["initiator"]),
                "decided_by": r["decided_by"] or Msg("(unknown user)"),
                "role": r["role"],
                "mandate": _mandate(r),
                "registry_number": r["decision_registry_number"],
                "case_id": r["case_id"],
            }
        )
    return rows


def _mandate(r: Any) -> Msg:
    order, item = r["order_version"] or "?", r["rule_ref"] or "?"
    if not r["under_delegation"]:
        return Msg("The board itself (delegation order %(order)s item %(item)s)", order=order, item=item)
    role = label(r["role"], "role")
    if r["substitute"]:
        return Msg(
            "Substitute for %(role)s under delegation order %(order)s item %(item)s", role=role, order=order, item=item
        )
    return Msg("%(role)s under delegation order %(order)s item %(item)s", role=role, order=order, item=item)


COLUMNS = [
    Column("date", N_("Date"), "date"),
    Column("measure", N_("Measure")),
    Column("framework", N_("Framework agreement")),
    Column("agreement", N_("Agreement")),
    Column("area", N_("Contract area")),
    Column("provider", N_("Provider")),
    Column("org_number", N_("Org. number")),
    Column("reason", N_("Reason / ground")),
    Column("initiator", N_("Initiated by")),
    Column("decided_by", N_("Decided by")),
    Column("mandate", N_("Mandate")),
    Column("registry_number", N_("Registry number (dnr)")),
]


def by_reason(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Counts of terminations and rescissions per reason, most frequent first."""
    terms = Counter(r["reason"] for r in rows if r["measure_code"] == "terminated")
    resc = Counter(r["reason"] for r in rows if r["measure_code"] == "rescinded")
    reasons = sorted(set(terms) | set(resc), key=lambda k: (-(terms[k] + resc[k]), k))
    return [
        {"reason": k, "terminations": terms[k], "rescissions": resc[k], "total": terms[k] + resc[k]} for k in reasons
    ]


def build(conn: Connection, scope: Scope, period: Period) -> Report:
    """The terminated-agreements report for one organisation and period."""
    rows = ended_agreements(conn, scope.organisation_id, period)
    terminated = sum(r["measure_code"] == "terminated" for r in rows)
    report = Report(
        "terminations",
        N_("Terminated and rescinded agreements"),
        scope.as_dict(),
        period.start,
        period.end,
        utcnow(),
    )
    report.tables.append(
        Table(
            "ended_agreements",
            N_("Every termination and rescission decided in the period"),
            COLUMNS,
            [{k: r[k] for k in (c.key for c in COLUMNS)} for r in rows],
            note=Plural(
                "n = %(n)s decision: %(terminations)s, %(rescissions)s.",
                "n = %(n)s decisions: %(terminations)s, %(rescissions)s.",
                len(rows),
                terminations=Plural("%(n)s termination", "%(n)s terminations", terminated),
                rescissions=Plural("%(n)s rescission", "%(n)s rescissions", len(rows) - terminated),
            ),
        )
    )
    report.tables.append(
        Table(
            "by_reason",
            N_("Terminations and rescissions per reason"),
            [
                Column("reason", N_("Reason / ground")),
                Column("terminations", N_("Terminations"), "int"),
                Column("rescissions", N_("Rescissions"), "int"),
                Column("total", N_("Total"), "int"),
            ],
            by_reason(rows),
            chart=Chart(N_("Terminations per reason"), "reason", ("terminations", "rescissions"), "grouped"),
        )
    )
    return report
