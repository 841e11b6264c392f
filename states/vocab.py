"""Controlled vocabularies shared by case types (domain.md §1.2, §4.1–4.3).

Every closed list of reasons ends in ``other``: choosing it needs a free text saying what
(``states.spec.other_text``), kept on the event.
"""

FOLLOW_UP_KINDS = ("planned_special", "event_driven", "continuous", "screening")

#: Outcome of an assessed contract follow-up (domain.md §4.1).
CONTRACT_OUTCOMES = (
    "compliant",  # följer avtal
    "compliant_after_supplement",  # följer avtal efter komplettering
    "largely_compliant_minor_remaining",  # till största del, mindre brister kvarstår
    "non_compliant",  # följer inte avtal
)
#: In-house units follow a service mandate (uppdragsbeskrivning), not a contract.
MANDATE_OUTCOMES = (
    "mandate_compliant",
    "mandate_compliant_after_supplement",
    "mandate_largely_compliant_minor_remaining",
    "mandate_non_compliant",
)
NOT_PERFORMED_REASONS = (
    "terminated_before",
    "terminated_during",
    "provider_cancelled_visit",
    "agreement_expired",
    "other",
)
DEVIATION_KINDS = (
    "contract_or_quality",
    "provider_incident",
    "reported_to_ivo",
    "credit_signal",
    "invoice_error",
    "late_delivery",
)
FINDING_TOPICS = (
    "routine_missing",
    "quality_management",
    "duty_to_inform",
    "staffing_competence",
    "reporting_to_social_worker",
    "client_information",
    "freedom_to_communicate",
    "premises",
    "economic_administrative",
    "contract_handling",
    "violence_close_relationships",
    "other",
)
COMPLAINT_CHANNELS = ("client", "relative", "social_worker", "provider_staff", "anonymous", "other")
TERMINATION_REASONS = (
    "permit_lost",
    "insolvency",
    "wound_down",
    "mutual_agreement",
    "weak_finances",
    "provider_request",
    "unremedied_findings",
    "not_renewed",
    "other",
)
RESCISSION_GROUNDS = ("permit_not_applied", "unremedied_findings", "serious_breach", "welfare_crime", "other")
#: Who took the initiative; ``not_stated`` where the source does not say (ej angivet).
INITIATORS = ("municipality", "provider", "mutual", "not_stated")
EXCLUSION_REASONS = (
    "ivo_report_back",
    "dormant",
    "ivo_supervision_case",
    "ivo_deviation",
    "credit_remark",
    "pending_investigation",
    "pending_remedy",
    "ivo_remark",
    "criminal_record_hit",
    "other",
)
REMEDY_KINDS = ("supplementation", "rectification")
