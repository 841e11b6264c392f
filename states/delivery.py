"""Shared shape of a provider delivery: implementation plan and monthly report.

Both are requested with a due date, received and approved; when late they become
overdue and are flagged for a contractual sanction (sanktion).
"""

from enum import StrEnum

from states import ladders
from states import params as P
from states.roles import OWNER, PROVIDER, Role
from states.spec import CaseTypeSpec, DeadlinePolicy, Rung, Subject, t


class DeliveryState(StrEnum):
    """States of a document the provider must deliver."""

    REQUESTED = "requested"
    OVERDUE = "overdue"
    SANCTION_FLAGGED = "sanction_flagged"
    SANCTIONED = "sanctioned"
    RECEIVED = "received"
    APPROVED = "approved"
    CANCELLED = "cancelled"


S = DeliveryState


def delivery_spec(name: str, label: str, days: int, working_days: bool, source: str) -> CaseTypeSpec:
    """Build the table for one kind of provider delivery."""
    waiting = (S.REQUESTED, S.OVERDUE, S.SANCTION_FLAGGED, S.SANCTIONED)
    return CaseTypeSpec(
        name=name,
        label=label,
        states=DeliveryState,
        initial=S.REQUESTED,
        finals=frozenset({S.APPROVED, S.CANCELLED}),
        subject=Subject.PLACEMENT,
        individual=True,
        delivery=True,
        transitions=(
            t("receive", waiting, S.RECEIVED, label="Received from provider"),
            t("mark_overdue", S.REQUESTED, S.OVERDUE, system=True, label="Due date passed"),
            t("flag_for_sanction", S.OVERDUE, S.SANCTION_FLAGGED, system=True, label="Flag for sanction"),
            t(
                "impose_sanction",
                S.SANCTION_FLAGGED,
                S.SANCTIONED,
                decision="contract_sanction",
                contractual=True,
                notify=(PROVIDER, OWNER),
                label="Impose contractual sanction",
            ),
            t("approve", S.RECEIVED, S.APPROVED, label="Approve"),
            t(
                "request_revision",
                S.RECEIVED,
                S.REQUESTED,
                params=(P.DUE_DATE,),
                notify=(PROVIDER,),
                label="Ask for a revision",
            ),
            t("cancel", waiting, S.CANCELLED, label="Cancel (placement ended)"),
        ),
        deadlines={
            S.REQUESTED: DeadlinePolicy(
                kind=f"{name}_due",
                days=days,
                working_days=working_days,
                due_param="due_date",
                rule_version=f"{name}.due/2026-1",
                source=source,
                on_expiry="mark_overdue",
                ladder=ladders.PROVIDER_DUE,
            ),
            S.OVERDUE: DeadlinePolicy(
                kind=f"{name}_overdue",
                days=10,
                working_days=True,
                rule_version=f"{name}.overdue/2026-1",
                source=source,
                on_expiry="flag_for_sanction",
                ladder=(Rung(-10, (PROVIDER, OWNER), True), Rung(-5, (PROVIDER, Role.UNIT_MANAGER), True)),
            ),
            S.RECEIVED: DeadlinePolicy(
                kind=f"{name}_review",
                days=10,
                working_days=True,
                rule_version=f"{name}.review/2026-1",
                source="domain.md §8 (configurable)",
                ladder=(Rung(0, (OWNER,)),),
            ),
        },
    )
