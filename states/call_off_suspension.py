"""Temporary exclusion from call-offs (tillfällig uteslutning från avrop / avropspaus)."""

from enum import StrEnum

from states import params as P
from states.roles import OWNER, PROVIDER, Role
from states.spec import CaseTypeSpec, DeadlinePolicy, Rung, Subject, need, t


class CallOffSuspensionState(StrEnum):
    """States of a temporary exclusion of a provider from call-offs."""

    PROPOSED = "proposed"
    ACTIVE = "active"
    UNDER_REVIEW = "under_review"
    LIFTED = "lifted"
    CONVERTED = "converted_to_termination"
    REJECTED = "rejected"


S = CallOffSuspensionState

SPEC = CaseTypeSpec(
    name="call_off_suspension",
    label="Temporary exclusion from call-offs (tillfällig uteslutning från avrop)",
    states=CallOffSuspensionState,
    initial=S.PROPOSED,
    finals=frozenset({S.LIFTED, S.CONVERTED, S.REJECTED}),
    subject=Subject.AGREEMENT,
    transitions=(
        # "The decision must be well-founded and supported by facts" [001 l.217–218]: evidence is required.
        t(
            "decide",
            S.PROPOSED,
            S.ACTIVE,
            decision="temporary_exclusion",
            contractual=True,
            params=(need(P.EXCLUSION_REASON), need(P.EVIDENCE)),
            notify=(PROVIDER, OWNER),
            label="Decide exclusion",
        ),
        t("reject", S.PROPOSED, S.REJECTED, label="Do not exclude"),
        t("review", S.ACTIVE, S.UNDER_REVIEW, label="Review the exclusion"),
        t(
            "prolong",
            S.UNDER_REVIEW,
            S.ACTIVE,
            decision="temporary_exclusion",
            contractual=True,
            params=(need(P.EVIDENCE),),
            label="Prolong exclusion",
        ),
        t(
            "lift",
            (S.ACTIVE, S.UNDER_REVIEW),
            S.LIFTED,
            decision="lift_exclusion",
            notify=(PROVIDER, OWNER),
            label="Lift exclusion",
        ),
        t(
            "convert_to_termination",
            (S.ACTIVE, S.UNDER_REVIEW),
            S.CONVERTED,
            decision="open_termination_investigation",
            contractual=True,
            label="Investigate termination",
        ),
    ),
    deadlines={
        S.PROPOSED: DeadlinePolicy(
            kind="exclusion_decision",
            days=5,
            working_days=True,
            rule_version="exclusion.decision/2026-1",
            source="domain.md §8 (configurable)",
            ladder=(Rung(0, (OWNER,)), Rung(2, (Role.DEPARTMENT_HEAD,), True)),
        ),
        S.ACTIVE: DeadlinePolicy(
            kind="exclusion_review",
            days=60,
            working_days=False,
            rule_version="exclusion.review/2026-1",
            source="domain.md §8: no maximum duration in the seeds; review cadence configurable",
            on_expiry="review",
            ladder=(Rung(-7, (OWNER,)), Rung(0, (OWNER, Role.DEPARTMENT_HEAD))),
        ),
        S.UNDER_REVIEW: DeadlinePolicy(
            kind="exclusion_review_decision",
            days=10,
            working_days=True,
            rule_version="exclusion.review_decision/2026-1",
            source="domain.md §8 (configurable)",
            ladder=(Rung(0, (OWNER, Role.DEPARTMENT_HEAD)), Rung(5, (Role.DIRECTOR,), True)),
        ),
    },
)
