"""Trigger parameters shared by several case types (uppgifter), with their types and vocabularies.

A table names these in a row's ``params``; :func:`states.spec.need` makes one required, and a
closed list offering ``other`` gets its free text (``<name>_other``) beside it in every row.
Labels are plain strings so that a translation catalogue can extract them.
"""

from states import vocab
from states.spec import Param, ParamType

RESPONSE_DUE = Param("response_due", ParamType.DATE, "Response deadline (svarsfrist)")
DUE_DATE = Param("due_date", ParamType.DATE, "Due date (förfallodag)")
SCHEDULED_FOR = Param("scheduled_for", ParamType.DATE, "Date of the visit (besöksdatum)")
DEFERRED_TO_YEAR = Param("deferred_to_year", ParamType.INT, "Deferred to year (skjuts upp till år)", years_ahead=(1, 5))
EVIDENCE = Param("evidence", ParamType.TEXT, "Evidence the decision rests on (underlag)")
TOPIC = Param("topic", ParamType.CHOICE, "Topic (område)", choices=vocab.FINDING_TOPICS, column="topic")
EXCLUSION_REASON = Param(
    "reason_code",
    ParamType.CHOICE,
    "Reason for exclusion (skäl)",
    choices=vocab.EXCLUSION_REASONS,
    column="reason_code",
)
TERMINATION_REASON = Param(
    "termination_reason",
    ParamType.CHOICE,
    "Reason for termination (uppsägningsskäl)",
    choices=vocab.TERMINATION_REASONS,
    column="reason_code",
)
RESCISSION_GROUND = Param(
    "rescission_ground",
    ParamType.CHOICE,
    "Ground for rescission (hävningsgrund)",
    choices=vocab.RESCISSION_GROUNDS,
    column="reason_code",
)
INITIATOR = Param(
    "initiator", ParamType.CHOICE, "Initiated by (initiativtagare)", choices=vocab.INITIATORS, column="initiator"
)
#: One or more reasons (e.g. the visit was cancelled, then the agreement expired). Kept in the case's attributes
#: and on the event; follow-ups closed before this took one reason, ``not_performed_reason``, in ``reason_code``.
NOT_PERFORMED_REASONS = Param(
    "not_performed_reasons",
    ParamType.MULTI_CHOICE,
    "Why it was not performed (skäl, ett eller flera)",
    choices=vocab.NOT_PERFORMED_REASONS,
)
