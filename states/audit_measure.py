"""A measure promised in an audit response (åtgärd i yttrande), domain.md REQ-RPT-07.

Opened under its ``audit_response`` case with the measure as its title, the role responsible
for it (``responsible_role``, told by every reminder) and the follow-up date
(``follow_up_on``), which becomes the deadline of the ``in_progress`` state: the scheduler
reminds before and on the date, marks the measure overdue after it and escalates.
"""

from enum import StrEnum

from states.roles import OWNER, RESPONSIBLE_ROLE, Role
from states.spec import CaseTypeSpec, DeadlinePolicy, Rung, Subject, t


class AuditMeasureState(StrEnum):
    """States of one measure."""

    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    DONE = "done"
    CANCELLED = "cancelled"


S = AuditMeasureState
_OPEN = (S.IN_PROGRESS, S.OVERDUE)

SPEC = CaseTypeSpec(
    name="audit_measure",
    label="Audit response measure (åtgärd i yttrande)",
    states=AuditMeasureState,
    initial=S.IN_PROGRESS,
    finals=frozenset({S.DONE, S.CANCELLED}),
    subject=Subject.PROVIDER,
    subject_required=False,
    transitions=(
        t("complete_measure", _OPEN, S.DONE, label="Record the measure as done"),
        t("mark_overdue", S.IN_PROGRESS, S.OVERDUE, system=True, label="Follow-up date passed"),
        t("cancel_measure", _OPEN, S.CANCELLED, label="Cancel the measure"),
    ),
    deadlines={
        S.IN_PROGRESS: DeadlinePolicy(
            kind="audit_measure_follow_up",
            days=90,
            working_days=False,
            due_param="follow_up_on",
            rule_version="audit_measure.follow_up/2026-1",
            source="domain.md REQ-RPT-07 (measures with follow-up dates)",
            on_expiry="mark_overdue",
            ladder=(Rung(-5, (RESPONSIBLE_ROLE, OWNER)), Rung(0, (RESPONSIBLE_ROLE, OWNER))),
        ),
        S.OVERDUE: DeadlinePolicy(
            kind="audit_measure_overdue",
            days=0,
            working_days=True,
            rule_version="audit_measure.overdue/2026-1",
            source="architecture.md (escalation ladder)",
            ladder=(
                Rung(0, (RESPONSIBLE_ROLE, OWNER), True),
                Rung(5, (Role.DEPARTMENT_HEAD,), True),
            ),
        ),
    },
)
