"""Audit response (yttrande över revisionsrapport), domain.md REQ-RPT-07.

The administration answers an audit report (revisionsrapport) by a date the auditors set
(``response_due_on``, an external deadline), then carries out the measures it promised. Each
measure is its own ``audit_measure`` case under the response (``parent_case_id``), so each
measure's follow-up date is a deadline row like any other: reminders and escalations come from
the scheduler's sweep. The response is followed up when every measure has ended.
"""

from enum import StrEnum

from states.roles import OWNER, Role
from states.spec import CaseTypeSpec, DeadlinePolicy, Rung, Subject, t


class AuditResponseState(StrEnum):
    """States of the administration's response to one audit report."""

    DRAFTED = "drafted"
    SUBMITTED = "submitted"
    MEASURES_IN_PROGRESS = "measures_in_progress"
    FOLLOWED_UP = "followed_up"
    WITHDRAWN = "withdrawn"


S = AuditResponseState

SPEC = CaseTypeSpec(
    name="audit_response",
    label="Audit response (yttrande över revisionsrapport)",
    states=AuditResponseState,
    initial=S.DRAFTED,
    finals=frozenset({S.FOLLOWED_UP, S.WITHDRAWN}),
    subject=Subject.PROVIDER,
    subject_required=False,
    transitions=(
        t("submit", S.DRAFTED, S.SUBMITTED, label="Submit the response to the auditors"),
        t("start_measures", S.SUBMITTED, S.MEASURES_IN_PROGRESS, label="Start the measures"),
        t(
            "complete_follow_up",
            S.MEASURES_IN_PROGRESS,
            S.FOLLOWED_UP,
            guards=("no_open_audit_measures",),
            label="Record the measures as followed up",
        ),
        t("withdraw", S.DRAFTED, S.WITHDRAWN, label="Withdraw the draft"),
    ),
    deadlines={
        S.DRAFTED: DeadlinePolicy(
            kind="audit_response_due",
            days=30,
            working_days=True,
            due_param="response_due_on",
            rule_version="audit_response.due/2026-1",
            source="domain.md REQ-RPT-07 (audit responses with external due dates)",
            ladder=(
                Rung(-5, (OWNER,)),
                Rung(0, (OWNER,)),
                Rung(1, (Role.DEPARTMENT_HEAD,), True),
            ),
        ),
    },
)
