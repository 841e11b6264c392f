"""Agreement lifecycle (avtal): active, suspended, termination investigation, ended."""

from enum import StrEnum

from states import params as P
from states.roles import OWNER, PROVIDER, Role
from states.spec import CaseTypeSpec, DeadlinePolicy, Rung, Subject, need, t


class AgreementState(StrEnum):
    """States of an agreement with a provider."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATION_INVESTIGATION = "termination_investigation"
    TERMINATED = "terminated"
    RESCINDED = "rescinded"
    EXPIRED = "expired"


S = AgreementState
_LIVE = (S.ACTIVE, S.SUSPENDED, S.TERMINATION_INVESTIGATION)

SPEC = CaseTypeSpec(
    name="agreement",
    label="Agreement (avtal)",
    states=AgreementState,
    initial=S.ACTIVE,
    finals=frozenset({S.TERMINATED, S.RESCINDED, S.EXPIRED}),
    subject=Subject.AGREEMENT,
    mirrors_agreement=True,
    transitions=(
        t(
            "suspend",
            S.ACTIVE,
            S.SUSPENDED,
            decision="temporary_exclusion",
            contractual=True,
            params=(need(P.EXCLUSION_REASON), need(P.EVIDENCE)),
            notify=(PROVIDER, OWNER),
            label="Pause call-offs",
        ),
        t("reinstate", S.SUSPENDED, S.ACTIVE, decision="lift_exclusion", label="Resume call-offs"),
        t(
            "open_termination_investigation",
            (S.ACTIVE, S.SUSPENDED),
            S.TERMINATION_INVESTIGATION,
            decision="open_termination_investigation",
            contractual=True,
            label="Investigate termination",
        ),
        t(
            "close_investigation",
            S.TERMINATION_INVESTIGATION,
            S.ACTIVE,
            roles=(Role.DEPARTMENT_HEAD, Role.DIRECTOR),
            label="No grounds: continue the agreement",
        ),
        t(
            "terminate",
            _LIVE,
            S.TERMINATED,
            decision="terminate_agreement",
            contractual=True,
            params=(need(P.TERMINATION_REASON), need(P.INITIATOR)),
            notify=(PROVIDER, OWNER),
            label="Terminate (uppsägning)",
        ),
        t(
            "rescind",
            _LIVE,
            S.RESCINDED,
            decision="rescind_agreement",
            contractual=True,
            params=(need(P.RESCISSION_GROUND), P.INITIATOR),
            notify=(PROVIDER, OWNER),
            label="Rescind (hävning)",
        ),
        t(
            "expire",
            (S.ACTIVE, S.SUSPENDED),
            S.EXPIRED,
            guards=("agreement_period_ended",),
            scheduled=True,  # workflow.registers.agreement_cases.expire_ended_agreements
            label="Expired at the end of its period",
        ),
    ),
    deadlines={
        S.TERMINATION_INVESTIGATION: DeadlinePolicy(
            kind="termination_investigation",
            days=30,
            working_days=True,
            rule_version="agreement.investigation/2026-1",
            source="domain.md §8 (configurable)",
            ladder=(Rung(-5, (OWNER,)), Rung(0, (OWNER, Role.DEPARTMENT_HEAD)), Rung(10, (Role.DIRECTOR,), True)),
        ),
    },
)
