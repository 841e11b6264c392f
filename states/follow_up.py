"""Follow-up (uppföljning): planned special, event-driven, continuous or screening."""

from enum import StrEnum

from states import ladders, vocab
from states import params as P
from states.roles import OWNER, Role
from states.spec import CaseTypeSpec, DeadlinePolicy, Param, ParamType, Rung, need, t


class FollowUpState(StrEnum):
    """States of a follow-up."""

    PLANNED = "planned"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    FINDINGS_RECORDED = "findings_recorded"
    AWAITING_PROVIDER = "awaiting_provider"
    ASSESSED = "assessed"
    CLOSED = "closed"
    NOT_PERFORMED = "not_performed"
    DEFERRED = "deferred"


S = FollowUpState
_MANAGERS = (
    Role.CONTRACT_STRATEGIST,
    Role.UNIT_MANAGER,
    Role.DEPARTMENT_HEAD,
    Role.PLACEMENT_COORDINATOR,
    Role.NEEDS_ASSESSOR,
    Role.SOCIAL_WORKER,
)
#: Contracted providers are assessed against the agreement, in-house units against their mandate
#: (guard ``outcome_matches_regime``).
OUTCOME = Param(
    "outcome",
    ParamType.CHOICE,
    "Assessed outcome (bedömning)",
    choices=vocab.CONTRACT_OUTCOMES + vocab.MANDATE_OUTCOMES,
    column="outcome",
)

SPEC = CaseTypeSpec(
    name="follow_up",
    label="Follow-up (uppföljning)",
    states=FollowUpState,
    initial=S.PLANNED,
    finals=frozenset({S.CLOSED, S.NOT_PERFORMED}),
    kinds=vocab.FOLLOW_UP_KINDS,
    transitions=(
        t(
            "schedule",
            S.PLANNED,
            S.SCHEDULED,
            params=(need(P.SCHEDULED_FOR),),
            roles=_MANAGERS,
            label="Schedule visit",
        ),
        t("start", (S.PLANNED, S.SCHEDULED), S.IN_PROGRESS, roles=_MANAGERS, label="Start follow-up"),
        t(
            "record_findings",
            S.IN_PROGRESS,
            S.FINDINGS_RECORDED,
            params=(P.TOPIC,),
            roles=_MANAGERS,
            label="Record findings",
        ),
        t(
            "await_provider",
            S.FINDINGS_RECORDED,
            S.AWAITING_PROVIDER,
            contractual=True,
            decision="request_supplementation",
            params=(P.RESPONSE_DUE,),
            label="Ask provider to supplement",
        ),
        t(
            "provider_remedied",
            S.AWAITING_PROVIDER,
            S.FINDINGS_RECORDED,
            roles=_MANAGERS,
            label="Provider's remedy received",
        ),
        t(
            "assess",
            S.FINDINGS_RECORDED,
            S.ASSESSED,
            guards=("outcome_matches_regime", "no_open_remedy_requests"),
            params=(need(OUTCOME),),
            roles=_MANAGERS,
            label="Assess outcome",
        ),
        t(
            "reassess",
            S.ASSESSED,
            S.ASSESSED,
            guards=("outcome_matches_regime",),
            params=(need(OUTCOME),),
            roles=_MANAGERS,
            label="Re-assess outcome",
        ),
        t("close", S.ASSESSED, S.CLOSED, roles=_MANAGERS, label="Close"),
        t(
            "mark_not_performed",
            (S.PLANNED, S.SCHEDULED, S.IN_PROGRESS, S.DEFERRED),
            S.NOT_PERFORMED,
            params=(need(P.NOT_PERFORMED_REASONS),),
            roles=_MANAGERS,
            label="Not performed",
        ),
        t(
            "defer",
            (S.PLANNED, S.SCHEDULED),
            S.DEFERRED,
            params=(need(P.DEFERRED_TO_YEAR),),
            roles=_MANAGERS,
            label="Defer to a later year",
        ),
        t("replan", S.DEFERRED, S.PLANNED, roles=_MANAGERS, label="Plan again"),
    ),
    deadlines={
        S.SCHEDULED: DeadlinePolicy(
            kind="follow_up_visit",
            days=0,
            working_days=False,
            due_param="scheduled_for",
            rule_version="follow_up.visit/2026-1",
            source="domain.md §3.6",
            ladder=(Rung(-5, (OWNER,)), Rung(0, (OWNER,)), Rung(2, (OWNER, Role.UNIT_MANAGER), True)),
        ),
        S.IN_PROGRESS: DeadlinePolicy(
            kind="follow_up_report",
            days=30,
            working_days=True,
            rule_version="follow_up.report/2026-1",
            source="domain.md §8 (no seed value; configurable)",
            ladder=(
                Rung(-3, (OWNER,)),
                Rung(0, (OWNER,)),
                Rung(5, (OWNER, Role.UNIT_MANAGER), True),
                Rung(15, (Role.DEPARTMENT_HEAD,), True),
            ),
        ),
        S.AWAITING_PROVIDER: DeadlinePolicy(
            kind="provider_supplement",
            days=20,
            working_days=True,
            due_param="response_due",
            rule_version="follow_up.supplement/2026-1",
            source="[002 l.59–60] predetermined time frame",
            ladder=ladders.PROVIDER_REMEDY,
        ),
    },
)
