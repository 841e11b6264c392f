"""Recurring control check (återkommande kontroll): IVO check, criminal-record check of
company representatives, six-monthly reconsideration of care, annual provider documents.

The scheduler opens one case per control, subject and period (domain.md §3.7, §6.7);
``kind`` names the control. The outcome is ``no_remarks`` or ``remarks`` and is stored
in the case's ``outcome`` column, so reports can count results after the case is closed.
"""

from enum import StrEnum

from states import ladders
from states import params as P
from states.roles import OWNER, Role
from states.spec import CaseTypeSpec, DeadlinePolicy, Param, ParamType, Rung, need, t

CONTROLS = ("ivo_check", "criminal_record_check", "care_reconsideration", "annual_documents")
OUTCOMES = ("no_remarks", "remarks")
OUTCOME = Param("outcome", ParamType.CHOICE, "Result of the control (resultat)", choices=OUTCOMES, column="outcome")


class ControlCheckState(StrEnum):
    """States of one recurring control of one subject in one period."""

    OPENED = "opened"
    OVERDUE = "overdue"
    CHECKED_NO_REMARKS = "checked_no_remarks"
    CHECKED_WITH_REMARKS = "checked_with_remarks"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = ControlCheckState
_WAITING = (S.OPENED, S.OVERDUE)

SPEC = CaseTypeSpec(
    name="control_check",
    label="Recurring control (återkommande kontroll)",
    states=ControlCheckState,
    initial=S.OPENED,
    finals=frozenset({S.CLOSED, S.CANCELLED}),
    kinds=CONTROLS,
    transitions=(
        t(
            "record_no_remarks",
            _WAITING,
            S.CHECKED_NO_REMARKS,
            params=(need(OUTCOME),),
            guards=("outcome_is_no_remarks",),
            label="Checked: no remarks",
        ),
        t(
            "record_remarks",
            _WAITING,
            S.CHECKED_WITH_REMARKS,
            params=(need(OUTCOME), P.TOPIC),
            guards=("outcome_is_remarks",),
            notify=(Role.UNIT_MANAGER,),
            label="Checked: remarks found (follow up)",
        ),
        t("mark_overdue", S.OPENED, S.OVERDUE, system=True, label="Control not done in time"),
        t("close", (S.CHECKED_NO_REMARKS, S.CHECKED_WITH_REMARKS), S.CLOSED, label="Close"),
        t("cancel", _WAITING, S.CANCELLED, label="Cancel (subject no longer in scope)"),
    ),
    deadlines={
        S.OPENED: DeadlinePolicy(
            kind="control_due",
            days=30,
            working_days=True,
            due_param="due_date",
            rule_version="control_check.due/2026-1",
            source="domain.md §3.7, §6.7 REQ-REC-01/02/07/09; workflow/data/recurring_controls.yaml",
            on_expiry="mark_overdue",
            ladder=(Rung(-5, (OWNER,)), Rung(0, (OWNER,))),
        ),
        S.OVERDUE: DeadlinePolicy(
            kind="control_overdue",
            days=0,
            working_days=True,
            rule_version="control_check.overdue/2026-1",
            source="architecture.md (escalation ladder)",
            ladder=(
                Rung(0, (OWNER,), True),
                Rung(5, (Role.UNIT_MANAGER,), True),
                Rung(10, (Role.DEPARTMENT_HEAD,), True),
            ),
        ),
        S.CHECKED_WITH_REMARKS: DeadlinePolicy(
            kind="control_remarks_follow_up",
            days=20,
            working_days=True,
            rule_version="control_check.remarks/2026-1",
            source="domain.md §6.7 REQ-REC-01 (follow-up task on remarks)",
            ladder=ladders.REVIEW,
        ),
    },
)
