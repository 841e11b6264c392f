"""Readable labels for the codes stored on cases (etiketter).

A label is a :class:`~workflow.reports.model.Msg`: it reads as English here and is put into
Swedish (or English) when the report is rendered, from the catalogue's entry for the code
(``msgctxt "value"`` and the like) or else from its English text below.
"""

from __future__ import annotations

from workflow.i18n import N_
from workflow.reports.model import Msg

OUTCOME_CATEGORIES = (
    ("compliant", N_("Complies")),
    ("compliant_after_supplement", N_("Complies after supplementation")),
    ("largely_compliant_minor_remaining", N_("Minor deficiencies remain")),
    ("non_compliant", N_("Does not comply")),
)
#: In-house units are assessed against their service mandate; their outcomes map onto the same four columns.
MANDATE_TO_CATEGORY = {
    "mandate_compliant": "compliant",
    "mandate_compliant_after_supplement": "compliant_after_supplement",
    "mandate_largely_compliant_minor_remaining": "largely_compliant_minor_remaining",
    "mandate_non_compliant": "non_compliant",
}
LABELS: dict[str, str] = {
    # not performed (ej genomförd)
    "terminated_before": N_("Agreement terminated before the follow-up"),
    "terminated_during": N_("Agreement terminated during the follow-up"),
    "provider_cancelled_visit": N_("Provider cancelled the visit"),
    "agreement_expired": N_("Agreement expired"),
    # termination reasons, rescission grounds
    "permit_lost": N_("Lost its permit"),
    "insolvency": N_("Insolvency"),
    "wound_down": N_("Wound down"),
    "mutual_agreement": N_("Mutual agreement"),
    "weak_finances": N_("Weak economic standing"),
    "provider_request": N_("At the provider's request"),
    "unremedied_findings": N_("Deficiencies not remedied"),
    "not_renewed": N_("Not renewed"),
    "permit_not_applied": N_("No permit application to IVO"),
    "serious_breach": N_("Serious breach of contract"),
    "welfare_crime": N_("Welfare crime"),
    "other": N_("Other"),
    # initiators
    "municipality": N_("Municipality"),
    "provider": N_("Provider"),
    "mutual": N_("Mutual"),
    "not_stated": N_("Not stated"),
    # exclusion reasons
    "ivo_report_back": N_("IVO case with report-back decision"),
    "dormant": N_("Dormant operation"),
    "ivo_supervision_case": N_("IVO supervision case"),
    "ivo_deviation": N_("Deviation reported to IVO"),
    "credit_remark": N_("Serious credit remark"),
    "pending_investigation": N_("Pending investigation"),
    "pending_remedy": N_("Until deficiencies are remedied"),
    "ivo_remark": N_("IVO remark"),
    "criminal_record_hit": N_("Criminal-record hit on a representative"),
    # invoice sampling: selections and errors found
    "random_invoices": N_("Random invoices"),
    "random_closed_cases": N_("Random closed cases"),
    "special_follow_up": N_("Special follow-up"),
    "pilot": N_("Pilot"),
    "move_out_day_billed": N_("Move-out day billed"),
    "missing_financial_assistance_deduction": N_("Financial assistance not deducted"),
    "wrong_price": N_("Wrong price"),
    "service_not_ordered": N_("Service not ordered"),
    "cost_responsibility": N_("Wrong cost responsibility"),
    "unspecified": N_("Unspecified"),
    # measures
    "terminated": N_("Termination"),
    "rescinded": N_("Rescission"),
}


def label(code: str | None, context: str = "value") -> Msg:
    """The label of a stored code (its catalogue entry in ``context``); '(not recorded)' for none."""
    if code is None:
        return Msg(N_("(not recorded)"))
    return Msg(LABELS.get(code, code.replace("_", " ")), context=context, code=code)


#: Short names of report tables (≤ 31 characters in Swedish too), for Excel sheets and CSV files in a ZIP.
TABLE_NAMES: dict[str, str] = {
    "summary": N_("Summary"),
    "planned_vs_performed": N_("Planned and performed"),
    "not_performed_reasons": N_("Reasons not performed"),
    "outcomes": N_("Outcomes"),
    "other_follow_ups": N_("Other follow-ups"),
    "remedy_requests": N_("Requests"),
    "deviations": N_("Deviations"),
    "complaints": N_("Complaints"),
    "exclusions": N_("Exclusions"),
    "terminations_by_framework": N_("Terminations per framework"),
    "control_checks": N_("Control rounds"),
    "invoice_sampling": N_("Invoice sampling"),
    "ended_agreements": N_("Terminations and rescissions"),
    "by_reason": N_("Per reason"),
    "decisions": N_("Decisions"),
    "per_kind": N_("Decisions per kind"),
    "plan": N_("Multi-year plan"),
    "risk_ranking": N_("Risk-based selection"),
    "coverage_areas": N_("Coverage of areas"),
    "coverage_units": N_("Coverage of units"),
    "registration": N_("Registration rate"),
    "response_rates": N_("Response rates"),
    "ratings": N_("Ratings"),
    "by_gender": N_("By gender"),
    "by_provider": N_("By provider"),
}
