"""Complaint about a provider (klagomål): received → investigated → resolved / escalated."""

from enum import StrEnum

from states import ladders, vocab
from states import params as P
from states.roles import OWNER, Role
from states.spec import CaseTypeSpec, DeadlinePolicy, Rung, t


class ComplaintState(StrEnum):
    """States of a complaint."""

    RECEIVED = "received"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    REJECTED = "rejected"


S = ComplaintState

SPEC = CaseTypeSpec(
    name="complaint",
    label="Complaint (klagomål)",
    states=ComplaintState,
    initial=S.RECEIVED,
    finals=frozenset({S.RESOLVED, S.ESCALATED, S.REJECTED}),
    kinds=vocab.COMPLAINT_CHANNELS,
    # A complaint may arrive before anyone knows which provider it concerns.
    subject_required=False,
    transitions=(
        t("investigate", S.RECEIVED, S.INVESTIGATING, params=(P.TOPIC,), label="Acknowledge and investigate"),
        t("reject", S.RECEIVED, S.REJECTED, label="Not a complaint about a provider"),
        t("resolve", S.INVESTIGATING, S.RESOLVED, label="Resolved with the provider"),
        t(
            "escalate",
            S.INVESTIGATING,
            S.ESCALATED,
            roles=(Role.CONTRACT_STRATEGIST, Role.UNIT_MANAGER, Role.DEPARTMENT_HEAD, Role.DIRECTOR),
            label="Escalate to event-driven follow-up",
        ),
    ),
    deadlines={
        S.RECEIVED: DeadlinePolicy(
            kind="complaint_acknowledgement",
            days=5,
            working_days=True,
            rule_version="complaint.ack/2026-1",
            source="domain.md §3.9 (no seed value; configurable)",
            ladder=ladders.TRIAGE,
        ),
        S.INVESTIGATING: DeadlinePolicy(
            kind="complaint_investigation",
            days=30,
            working_days=True,
            rule_version="complaint.investigation/2026-1",
            source="domain.md §3.9 (configurable)",
            ladder=(
                Rung(-5, (OWNER,)),
                Rung(0, (OWNER,)),
                Rung(5, (Role.UNIT_MANAGER,), True),
                Rung(15, (Role.DEPARTMENT_HEAD,), True),
            ),
        ),
    },
)
