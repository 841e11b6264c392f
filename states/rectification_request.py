"""Supplementation or rectification request (komplettering, begäran om rättelse)."""

from enum import StrEnum

from states import ladders, vocab
from states import params as P
from states.roles import OWNER, PROVIDER, Role
from states.spec import CaseTypeSpec, DeadlinePolicy, Rung, t


class RectificationRequestState(StrEnum):
    """States of a request to the provider to supplement or rectify."""

    DRAFTED = "drafted"
    SENT = "sent"
    OVERDUE = "overdue"
    ANSWERED = "answered"
    REVISION_NEEDED = "revision_needed"
    APPROVED = "approved"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"
    PROVIDER_TERMINATED = "provider_terminated"


S = RectificationRequestState
_OPEN = (S.SENT, S.OVERDUE, S.ANSWERED, S.REVISION_NEEDED)

SPEC = CaseTypeSpec(
    name="rectification_request",
    label="Supplementation / rectification request (komplettering / begäran om rättelse)",
    states=RectificationRequestState,
    initial=S.DRAFTED,
    finals=frozenset({S.APPROVED, S.ESCALATED, S.WITHDRAWN, S.PROVIDER_TERMINATED}),
    kinds=vocab.REMEDY_KINDS,
    transitions=(
        # The decision kind follows the request's kind: request_supplementation or request_rectification.
        t(
            "send",
            S.DRAFTED,
            S.SENT,
            decision="request_{kind}",
            contractual=True,
            params=(P.RESPONSE_DUE,),
            notify=(PROVIDER, OWNER),
            label="Send to provider with a response deadline",
        ),
        t("answer", (S.SENT, S.OVERDUE), S.ANSWERED, label="Provider's answer received"),
        t("mark_overdue", S.SENT, S.OVERDUE, system=True, label="Response deadline passed"),
        t("approve", S.ANSWERED, S.APPROVED, label="Approve the answer"),
        t(
            "require_revision",
            S.ANSWERED,
            S.REVISION_NEEDED,
            params=(P.RESPONSE_DUE,),
            notify=(PROVIDER,),
            label="Revision needed",
        ),
        t("answer_revision", S.REVISION_NEEDED, S.ANSWERED, label="Revised answer received"),
        t(
            "escalate",
            (S.OVERDUE, S.REVISION_NEEDED),
            S.ESCALATED,
            roles=(Role.CONTRACT_STRATEGIST, Role.UNIT_MANAGER, Role.DEPARTMENT_HEAD, Role.DIRECTOR),
            label="Escalate (exclusion or termination investigation)",
        ),
        t("withdraw", (S.DRAFTED, *_OPEN), S.WITHDRAWN, label="Withdraw"),
        t(
            "provider_requests_termination",
            _OPEN,
            S.PROVIDER_TERMINATED,
            label="Provider asked to terminate the agreement",
        ),
    ),
    deadlines={
        S.SENT: DeadlinePolicy(
            kind="provider_response",
            days=20,
            working_days=True,
            due_param="response_due",
            rule_version="rectification.response/2026-1",
            source="[002 l.59–60] predetermined time frame",
            on_expiry="mark_overdue",
            ladder=ladders.PROVIDER_DUE,
        ),
        S.OVERDUE: DeadlinePolicy(
            kind="overdue_response",
            days=0,
            working_days=True,
            rule_version="rectification.overdue/2026-1",
            source="architecture.md (escalation ladder)",
            ladder=(
                Rung(0, (OWNER, PROVIDER), True),
                Rung(5, (Role.UNIT_MANAGER,), True),
                Rung(10, (Role.DEPARTMENT_HEAD,), True),
            ),
        ),
        S.ANSWERED: DeadlinePolicy(
            kind="answer_review",
            days=10,
            working_days=True,
            rule_version="rectification.review/2026-1",
            source="domain.md §8 (configurable)",
            ladder=ladders.REVIEW,
        ),
        S.REVISION_NEEDED: DeadlinePolicy(
            kind="revision_response",
            days=10,
            working_days=True,
            due_param="response_due",
            rule_version="rectification.revision/2026-1",
            source="[002 l.59–60] predetermined time frame",
            ladder=(Rung(-2, (PROVIDER, OWNER)), Rung(0, (PROVIDER, OWNER)), Rung(3, (Role.UNIT_MANAGER,), True)),
        ),
    },
)
