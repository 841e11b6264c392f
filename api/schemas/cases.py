"""Case schemas: opening, reading, listing, transitions and trigger options."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import msgspec

from api.schemas.common import Id, Reason, RegistryNumber
from states.registry import CASE_TYPES

CaseTypeName = StrEnum("CaseTypeName", {name: name for name in CASE_TYPES})  # type: ignore[misc]
ParamValue = (
    Annotated[str, msgspec.Meta(max_length=2000)] | bool | int | Annotated[list[str], msgspec.Meta(max_length=50)]
)
#: Why a step is recorded more than UPPF_LATE_ENTRY_DAYS after it happened (kept in the audit).
LateReason = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=2000,
        description="Why it is recorded late: required when occurred_on is more than UPPF_LATE_ENTRY_DAYS (30) "
        "days back (rule late_entry_needs_reason); the event is then marked late_entry in the audit.",
    ),
]
#: When it happened; for a decision the decision date.
OccurredOn = Annotated[
    date,
    msgspec.Meta(
        description="When it happened (for a decision, the decision date); default today (Europe/Stockholm). "
        "Refused in the future (rule occurred_on_in_future), before the case was opened (occurred_on_before_opened) "
        "or before its latest event (occurred_on_out_of_order). Date parameters are judged against it, the "
        "delegation order in force on it applies, and a deadline the step opens runs from it."
    ),
]
Params = Annotated[
    dict[Annotated[str, msgspec.Meta(min_length=1, max_length=48)], ParamValue], msgspec.Meta(max_length=20)
]


class OpenCaseIn(msgspec.Struct, forbid_unknown_fields=True):
    """Open a case. The organisation, status and version are never the client's to set."""

    case_type: CaseTypeName  # type: ignore[valid-type]
    reason: Reason
    kind: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    title: Annotated[str, msgspec.Meta(max_length=300)] = ""
    provider_id: Id | None = None
    agreement_id: Id | None = None
    placement_id: Id | None = None
    parent_case_id: Id | None = None
    owner_id: Id | None = None
    plan_year: Annotated[int, msgspec.Meta(ge=2000, le=2100)] | None = None
    params: Params | None = None
    occurred_on: OccurredOn | None = None
    late_reason: LateReason | None = None


class CaseOut(msgspec.Struct):
    """A case as listed."""

    id: int
    case_type: str
    kind: str | None
    status: str
    version: int
    organisation_id: int
    provider_id: int | None
    agreement_id: int | None
    placement_id: int | None
    contract_area_id: int | None
    parent_case_id: int | None
    owner_id: int | None
    title: str
    in_house: bool
    plan_year: int | None
    outcome: str | None
    reason_code: str | None
    topic: str | None
    initiator: str | None
    attributes: dict[str, Any]
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    next_due_at: datetime | None = None
    overdue: bool = False
    provider_name: str | None = None
    opened_on: date | None = None  # when it was opened in fact (opened_at is when that was recorded)


class EventOut(msgspec.Struct):
    """One timeline entry (audit event): who did what and why; for a decision, its mandate and registry number.

    Two times: ``occurred_on``, the date it happened (for a decision the decision date), and ``recorded_at``, the
    instant it was recorded. ``late_entry`` marks one recorded after the late-entry window, with ``late_reason``.
    """

    id: int
    seq: int
    trigger: str
    from_status: str | None
    to_status: str
    actor_id: int | None
    actor_role: str | None
    reason: str
    decision_kind: str | None
    mandate: str | None
    registry_number: str | None
    params: dict[str, Any]
    recorded_at: datetime
    occurred_on: date
    late_entry: bool = False
    late_reason: str | None = None
    actor_name: str | None = None
    decision_id: int | None = None
    rule_ref: str | None = None
    substitute: bool | None = None
    under_delegation: bool | None = None


class RungOut(msgspec.Struct):
    """A rung of a deadline's reminder ladder that was done: a reminder, an escalation or a transition."""

    rung: int
    kind: str
    done_at: datetime


class DeadlineChangeOut(msgspec.Struct):
    """A suspension, resumption or extension of a deadline: by whom, why, until when, from which due date to which."""

    id: int
    deadline_id: int
    new_deadline_id: int | None
    action: str
    changed_by_id: int | None
    changed_by_name: str | None
    reason: str
    until: datetime | None
    old_due_at: datetime
    new_due_at: datetime | None
    at: datetime


class DeadlineOut(msgspec.Struct):
    """A deadline of the case, with the rungs of its ladder done and the changes made to it."""

    id: int
    kind: str
    state: str
    due_at: datetime
    status: str
    next_action_at: datetime | None
    working_days: bool
    rule_version: str
    next_rung: int = 0
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    suspended_until: datetime | None = None
    rungs: list[RungOut] = msgspec.field(default_factory=list)
    changes: list[DeadlineChangeOut] = msgspec.field(default_factory=list)


class CaseDetail(CaseOut, kw_only=True):
    """A case with the names of what it is about, its timeline, open deadlines and closed ones."""

    timeline: list[EventOut]
    deadlines: list[DeadlineOut]
    closed_deadlines: list[DeadlineOut] = msgspec.field(default_factory=list)
    agreement_registry_number: str | None = None
    contract_area_name: str | None = None
    placement_client_ref: str | None = None
    owner_name: str | None = None


class CasePage(msgspec.Struct):
    """One page of cases: ``page`` is null for a page asked for by cursor; ``next_cursor`` null on the last page."""

    page: int | None
    page_size: int
    total: int
    items: list[CaseOut]
    next_cursor: str | None = None


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    """Fire a trigger. ``expected_version`` makes a stale client lose with 409 instead of acting blind.

    ``occurred_on`` is the date it happened (for a decision, the decision date; default today in Stockholm): not
    in the future (rule ``occurred_on_in_future``), not before the case was opened (``occurred_on_before_opened``)
    or its latest event (``occurred_on_out_of_order``). One more than UPPF_LATE_ENTRY_DAYS (30) days back needs a
    ``late_reason`` (``late_entry_needs_reason``) and is marked a late entry in the audit. Date parameters are
    judged against it, the delegation order in force on it applies, and a deadline the step opens runs from it.
    """

    trigger: Annotated[str, msgspec.Meta(min_length=1, max_length=48)]
    reason: Reason
    registry_number: RegistryNumber | None = None
    params: Params | None = None
    expected_version: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None
    occurred_on: OccurredOn | None = None
    late_reason: LateReason | None = None


class TransitionOut(msgspec.Struct):
    """What the transition did."""

    case_id: int
    trigger: str
    from_status: str
    to_status: str
    version: int
    event_id: int
    decision_id: int | None
    mandate: str | None
    deadline_ids: list[int]


class ParamOut(msgspec.Struct):
    """A parameter a trigger takes, as a form asks for it.

    ``type`` is ``text``, ``date``, ``int``, ``bool``, ``choice`` (one of ``allowed_values``) or ``multi_choice``
    (a list of ``allowed_values``, each at most once; at least one when required). A closed list offering
    ``other`` is followed by its free text ``<name>_other``, given when, and only when, ``other`` is chosen.
    ``minimum``/``maximum`` bound dates (ISO) and years today.
    """

    name: str
    type: str
    label: str
    required: bool
    allowed_values: list[str]
    minimum: str | int | None = None
    maximum: str | int | None = None


class TriggerOptionOut(msgspec.Struct):
    """A trigger from the current state, whether the caller may fire it now (and if not, why), and its form.

    ``requires`` and ``accepts`` name the required and all parameters (kept for older clients); ``params``
    describes them; a decision needs a registry number (diarienummer). ``event`` describes the two fields every
    step takes beside them in the transition body: ``occurred_on`` (from the case's latest event's date to today)
    and ``late_reason``, required when ``occurred_on`` is before ``late_entry_before``.
    """

    trigger: str
    dest: str
    label: str
    decision: str | None
    allowed: bool
    why_not: str | None
    requires: list[str]
    accepts: list[str]
    needs_registry_number: bool = False
    params: list[ParamOut] = msgspec.field(default_factory=list)
    event: list[ParamOut] = msgspec.field(default_factory=list)
    late_entry_before: date | None = None


class DiagramOut(msgspec.Struct):
    """A case type's state diagram as Mermaid text."""

    case_type: str
    label: str
    initial: str
    finals: list[str]
    mermaid: str


class OverviewDeadlineOut(msgspec.Struct):
    """A pending deadline of a case the caller is case worker for."""

    id: int
    kind: str
    due_at: datetime
    case_id: int
    case_type: str
    status: str
    title: str
    provider_name: str | None


class OverviewMineOut(msgspec.Struct):
    """How many open cases the caller is case worker for, of one type in one state."""

    case_type: str
    status: str
    count: int


class OverviewTypeOut(msgspec.Struct):
    """The open cases of one type the caller may see in its organisation, and how many of them are overdue."""

    case_type: str
    open: int
    overdue: int


class OverviewOut(msgspec.Struct):
    """The start page's figures (översikt), counted when asked.

    ``overdue`` and ``due_soon`` list at most 100 deadlines each, earliest first; their counts count them all.
    """

    overdue: list[OverviewDeadlineOut]
    overdue_count: int
    due_soon: list[OverviewDeadlineOut]
    due_soon_count: int
    due_soon_days: int
    mine: list[OverviewMineOut]
    organisation: list[OverviewTypeOut]
