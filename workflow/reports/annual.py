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

from sqlalchemy import Connection

from states.registry import CASE_TYPES
from workflow.clock import utcnow
from workflow.i18n import N_
from workflow.reports import annual_cases as cases
from workflow.reports import annual_follow_ups as follow_ups
from workflow.reports import controls
from workflow.reports.model import Column, Msg, Report, Table, pct
from workflow.reports.queries import area_names
from workflow.reports.scope import Period, Scope


def build(conn: Connection, scope: Scope, period: Period) -> Report:
    """The annual follow-up report for one organisation and period."""
    org = scope.organisation_id
    names = area_names(conn)
    report = Report(
        "annual",
        N_("Annual follow-up report"),
        scope.as_dict(),
        period.start,
        period.end,
        utcnow(),
        notes=[
            N_(
                "Planned follow-ups are those whose plan year falls in the period; other counts are of cases "
                "opened or decisions taken in the period."
            ),
            N_("Percentages are computed from the counts shown and always given with n."),
        ],
    )
    fu = follow_ups.planned_follow_ups(conn, org, period)
    report.tables += [
        follow_ups.planned_vs_performed(fu, names),
        follow_ups.not_performed(conn, org, period, names),
        follow_ups.outcomes(fu, names),
        follow_ups.other_follow_ups(conn, org, period, names),
        cases.remedy_requests(conn, org, period, names),
        cases.by_kind_and_topic(conn, org, period, "deviation", N_("Deviations by kind and topic")),
        cases.by_kind_and_topic(conn, org, period, "complaint", N_("Complaints by channel and topic")),
        cases.exclusions(conn, org, period, names),
        cases.terminations_by_framework(conn, org, period),
        controls.control_checks(conn, org, period),
        controls.invoice_sampling(conn, org, period),
    ]
    report.tables.insert(0, _summary(report))
    if "control_check" not in CASE_TYPES:
        report.notes.append(
            N_("IVO and criminal-record check rounds: no control-check case type is installed, so none are reported.")
        )
    return report


def _summary(report: Report) -> Table:
    """The headline figures a board member reads first, each from the tables below it."""

    def total(key: str, col: str) -> int:
        return sum(int(r[col] or 0) for r in report.table(key).rows if r.get("area") != "Total")

    planned, performed = total("planned_vs_performed", "planned"), total("planned_vs_performed", "performed")
    assessed, complies = total("outcomes", "n"), total("outcomes", "compliant")
    sampled = total("invoice_sampling", "sampled")
    rows = [
        {
            "figure": Msg(N_("Planned follow-ups performed")),
            "count": performed,
            "n": planned,
            "pct": pct(performed, planned),
        },
        {
            "figure": Msg(N_("Assessed follow-ups that comply")),
            "count": complies,
            "n": assessed,
            "pct": pct(complies, assessed),
        },
        {"figure": Msg(N_("Supplementation and rectification requests")), "count": total("remedy_requests", "sent")},
        {"figure": Msg(N_("Deviations")), "count": total("deviations", "count")},
        {"figure": Msg(N_("Complaints")), "count": total("complaints", "count")},
        {"figure": Msg(N_("Temporary exclusions from call-offs decided")), "count": total("exclusions", "exclusions")},
        {"figure": Msg(N_("Agreements terminated")), "count": total("terminations_by_framework", "terminated")},
        {"figure": Msg(N_("Agreements rescinded")), "count": total("terminations_by_framework", "rescinded")},
        {
            "figure": Msg(N_("Control checks with remarks")),
            "count": total("control_checks", "remarks"),
            "n": total("control_checks", "checks"),
            "pct": pct(total("control_checks", "remarks"), total("control_checks", "checks")),
        },
        {
            "figure": Msg(N_("Sampled invoices with errors")),
            "count": total("invoice_sampling", "with_errors"),
            "n": sampled,
            "pct": pct(total("invoice_sampling", "with_errors"), sampled),
        },
    ]
    return Table(
        "summary",
        N_("Summary"),
        [
            Column("figure", N_("Figure")),
            Column("count", N_("Count"), "int"),
            Column("n", N_("of n"), "int"),
            Column("pct", "%", "pct"),
        ],
        [{"n": None, "pct": None, **r} for r in rows],
        note=N_("Each figure is the sum of the table it comes from below."),
    )
