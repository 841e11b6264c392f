"""Deviation (avvikelse): reported → investigated → rectification → accepted / terminated."""

from enum import StrEnum

from states import ladders, vocab
from states import params as P
from states.roles import OWNER, PROVIDER, Role
from states.spec import CaseTypeSpec, DeadlinePolicy, Rung, t


class DeviationState(StrEnum):
    """States of a deviation."""

    REPORTED = "reported"
    INVESTIGATING = "investigating"
    RECTIFICATION = "rectification"
    ACCEPTED = "accepted"
    HANDLED_IN_CASE = "handled_in_case"
    ESCALATED = "escalated"
    DISMISSED = "dismissed"
    TERMINATED = "terminated"


S = DeviationState

SPEC = CaseTypeSpec(
    name="deviation",
    label="Deviation (avvikelse)",
    states=DeviationState,
    initial=S.REPORTED,
    finals=frozenset({S.ACCEPTED, S.HANDLED_IN_CASE, S.ESCALATED, S.DISMISSED, S.TERMINATED}),
    kinds=vocab.DEVIATION_KINDS,
    transitions=(
        t("investigate", S.REPORTED, S.INVESTIGATING, params=(P.TOPIC,), label="Start investigation"),
        t("handle_in_case", S.INVESTIGATING, S.HANDLED_IN_CASE, label="Handled in the individual case"),
        t("dismiss", (S.REPORTED, S.INVESTIGATING), S.DISMISSED, label="Dismiss as unfounded"),
        t(
            "require_rectification",
            S.INVESTIGATING,
            S.RECTIFICATION,
            contractual=True,
            decision="request_supplementation",
            params=(P.RESPONSE_DUE,),
            notify=(PROVIDER,),
            label="Require the provider to remedy",
        ),
        t("accept_rectification", S.RECTIFICATION, S.ACCEPTED, label="Accept the provider's remedy"),
        t(
            "escalate",
            (S.INVESTIGATING, S.RECTIFICATION),
            S.ESCALATED,
            roles=(Role.CONTRACT_STRATEGIST, Role.UNIT_MANAGER, Role.DEPARTMENT_HEAD, Role.DIRECTOR),
            label="Escalate to event-driven follow-up",
        ),
        t("agreement_ended", S.RECTIFICATION, S.TERMINATED, label="Closed: the agreement was ended"),
    ),
    deadlines={
        S.REPORTED: DeadlinePolicy(
            kind="deviation_triage",
            days=5,
            working_days=True,
            rule_version="deviation.triage/2026-1",
            source="domain.md §8 (no seed value; configurable)",
            ladder=ladders.TRIAGE,
        ),
        S.INVESTIGATING: DeadlinePolicy(
            kind="deviation_investigation",
            days=20,
            working_days=True,
            rule_version="deviation.investigation/2026-1",
            source="domain.md §8 (configurable)",
            ladder=(Rung(-3, (OWNER,)), Rung(0, (OWNER,)), Rung(5, (Role.UNIT_MANAGER,), True)),
        ),
        S.RECTIFICATION: DeadlinePolicy(
            kind="deviation_rectification",
            days=20,
            working_days=True,
            due_param="response_due",
            rule_version="deviation.rectification/2026-1",
            source="[002 l.59–60] predetermined time frame",
            ladder=ladders.PROVIDER_REMEDY,
        ),
    },
)
