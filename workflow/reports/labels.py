"""Readable labels for the codes stored on cases (etiketter), Swedish term after the English."""

from __future__ import annotations

from workflow import i18n


def _swedish(code: str) -> str:
    """The Swedish term of a vocabulary value, from the catalogue (context ``value``), in lower case."""
    return i18n.label("sv", "value", code).lower()


OUTCOME_CATEGORIES = (
    ("compliant", "Complies (följer avtal)"),
    ("compliant_after_supplement", "Complies after supplementation (efter komplettering)"),
    ("largely_compliant_minor_remaining", "Minor deficiencies remain (mindre brister kvarstår)"),
    ("non_compliant", "Does not comply (följer inte avtal)"),
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
    "terminated_before": "Agreement terminated before the follow-up",
    "terminated_during": "Agreement terminated during the follow-up",
    "provider_cancelled_visit": "Provider cancelled the visit",
    "agreement_expired": "Agreement expired",
    # termination reasons, rescission grounds
    "permit_lost": "Lost its permit (förlorat tillstånd)",
    "insolvency": "Insolvency (ekonomiskt obestånd)",
    "wound_down": "Wound down (avvecklat verksamheten)",
    "mutual_agreement": "Mutual agreement (överenskommelse)",
    "weak_finances": "Weak economic standing (svag ekonomisk ställning)",
    "provider_request": "At the provider's request",
    "unremedied_findings": "Deficiencies not remedied",
    "not_renewed": "Not renewed",
    "permit_not_applied": "No permit application to IVO",
    "serious_breach": "Serious breach of contract",
    "welfare_crime": "Welfare crime (välfärdsbrott)",
    "other": "Other",
    # initiators
    "municipality": "Municipality",
    "provider": "Provider",
    "mutual": "Mutual",
    "not_stated": f"Not stated ({_swedish('not_stated')})",
    # exclusion reasons
    "ivo_report_back": "IVO case with report-back decision",
    "dormant": "Dormant operation (vilande verksamhet)",
    "ivo_supervision_case": "IVO supervision case",
    "ivo_deviation": "Deviation reported to IVO",
    "credit_remark": "Serious credit remark",
    "pending_investigation": "Pending investigation",
    "pending_remedy": "Until deficiencies are remedied",
    "ivo_remark": "IVO remark",
    "criminal_record_hit": "Criminal-record hit on a representative",
    # measures
    "terminated": "Termination (uppsägning)",
    "rescinded": "Rescission (hävning)",
}


def label(code: str | None) -> str:
    """The readable label of a code; the code itself when none is known; '(not recorded)' for none."""
    if code is None:
        return "(not recorded)"
    return LABELS.get(code, code.replace("_", " "))
