"""Database tables (tabeller). Every business row belongs to an organisation.

Request and response schemas live in ``api``; these are storage only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from workflow.schema.types import UTCDateTime


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _partial(name: str, *columns: Any, where: str) -> Index:
    """A partial index (only the rows ``where`` holds for), declared alike for SQLite and PostgreSQL."""
    return Index(name, *columns, sqlite_where=text(where), postgresql_where=text(where))


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Organisation(SQLModel, table=True):
    """A board and its administration (nämnd och förvaltning)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)  # central_board | district_board | education_board
    parent_id: int | None = Field(default=None, foreign_key="organisation.id")
    active: bool = True


class AppUser(SQLModel, table=True):
    """A user acting for one organisation with one or more roles (användare)."""

    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=200)
    email: str = Field(max_length=200)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    # manual (an administrator or the bootstrap made it) | idp (provisioned from the identity provider's groups)
    source: str = Field(default="manual", max_length=16)


class Provider(SQLModel, table=True):
    """A provider (leverantör/utförare), private or an in-house unit (egen regi)."""

    id: int | None = Field(default=None, primary_key=True)
    org_number: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=200, index=True)
    in_house: bool = False
    contact_email: str | None = Field(default=None, max_length=200)
    owner_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")


class ContractArea(SQLModel, table=True):
    """A contract area (avtalsområde), e.g. HVB for children and young people."""

    __tablename__ = "contract_area"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    regime: str = Field(max_length=16)  # LOU | LOV | in_house
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)


class Agreement(SQLModel, table=True):
    """An agreement with a provider (avtal): framework, LOV, individual, call-off, mandate."""

    id: int | None = Field(default=None, primary_key=True)
    registry_number: str = Field(max_length=40, index=True)
    agreement_type: str = Field(max_length=24)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    contract_area_id: int | None = Field(default=None, foreign_key="contract_area.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="agreement.id")
    starts_on: date
    ends_on: date | None = None
    status: str = Field(default="active", max_length=32, index=True)
    purchase_value_sek: int = 0
    case_id: int | None = Field(default=None, index=True)


class Placement(SQLModel, table=True):
    """A placement (placering) ordered by a board; the client is only a pseudonym."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    client_ref: str = Field(max_length=40)
    gender: str = Field(default="unknown", max_length=16)
    social_worker_id: int | None = Field(default=None, foreign_key="app_user.id")
    starts_on: date
    ends_on: date | None = None
    # When it entered the register; None for placements loaded without it (nothing missed is opened for them).
    registered_at: datetime | None = _ts(nullable=True)


class Case(SQLModel, table=True):
    """A case (ärende) of one case type; ``status`` holds its state machine's state."""

    id: int | None = Field(default=None, primary_key=True)
    case_type: str = Field(max_length=32)
    kind: str | None = Field(default=None, max_length=32)
    status: str = Field(max_length=40)
    version: int = 1
    organisation_id: int = Field(foreign_key="organisation.id")
    provider_id: int | None = Field(default=None, foreign_key="provider.id", index=True)
    agreement_id: int | None = Field(default=None, foreign_key="agreement.id", index=True)
    placement_id: int | None = Field(default=None, foreign_key="placement.id")  # indexed below, where not null
    contract_area_id: int | None = Field(default=None, foreign_key="contract_area.id")
    parent_case_id: int | None = Field(default=None, foreign_key="case.id")  # indexed below, where not null
    owner_id: int | None = Field(default=None, foreign_key="app_user.id")  # indexed below, where not null
    title: str = Field(default="", max_length=300)
    in_house: bool = False
    plan_year: int | None = None
    outcome: str | None = Field(default=None, max_length=48)
    reason_code: str | None = Field(default=None, max_length=48)
    topic: str | None = Field(default=None, max_length=48)
    initiator: str | None = Field(default=None, max_length=16)
    attributes: dict[str, Any] = _json()
    opened_at: datetime = _ts()
    updated_at: datetime = _ts()
    closed_at: datetime | None = _ts(nullable=True)
    # The due time of its earliest pending deadline (None: none pending), kept by every writer of deadlines
    # (``workflow.deadlines.next_due``): lists sort by it and "overdue" compares it, without reading ``deadline``.
    next_due_at: datetime | None = _ts(nullable=True)
    # When it happened (Stockholm dates): the opening event's and the last event's occurred_on. A new event may
    # not be dated before either (events stay in order); reports count cases opened in a period by opened_on.
    opened_on: date
    last_occurred_on: date
    # The head of the case's audit chain: the hash of its last event (whose seq is ``version``).
    audit_hash: str = Field(default="0" * 64, max_length=64)
    __table_args__ = (
        Index("ix_case_org_type_status", "organisation_id", "case_type", "status"),
        Index("ix_case_org_type_opened", "organisation_id", "case_type", "opened_at"),
        Index("ix_case_org_type_opened_on", "organisation_id", "case_type", "opened_on"),
        # Lists sorted by next deadline (the case list page's default) or by opening (the API's default) read an
        # organisation's cases in these orders instead of sorting all of them for a page.
        Index("ix_case_org_next_due", "organisation_id", "next_due_at", "id"),
        Index("ix_case_org_opened", "organisation_id", "opened_at", "id"),
    )


class OpenCaseTally(SQLModel, table=True):
    """How many open cases an organisation has per key (räknare av öppna ärenden).

    Derived data, kept through triggers on ``case`` (migration ``0019_open_case_tally``): the overview's open and
    overdue counts per case type sum these rows and the changes not yet folded into them
    (:class:`OpenCaseTallyChange`, :mod:`workflow.cases.tally`) instead of reading every open case of the board.
    The key: case type, whether the case concerns a placement (the secrecy rule), whether it stands in the overdue
    state, and the week (its Monday, UTC) of its next deadline (:data:`NO_DEADLINE` when none is pending). A row
    that falls to 0 stays.
    """

    __tablename__ = "open_case_tally"
    organisation_id: int = Field(primary_key=True, sa_type=Integer, sa_column_kwargs={"autoincrement": False})
    case_type: str = Field(primary_key=True, max_length=32)
    with_placement: bool = Field(primary_key=True)
    overdue_state: bool = Field(primary_key=True)
    due_week: date = Field(primary_key=True)
    n: int


class OpenCaseTallyChange(SQLModel, table=True):
    """A change of the open-case tally, appended by the triggers on ``case`` (-1 at a case's old key, +1 at its new).

    Appending takes no lock another writer waits for; :func:`workflow.cases.tally.fold` moves the changes into
    :class:`OpenCaseTally`.
    """

    __tablename__ = "open_case_tally_change"
    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    )
    organisation_id: int = Field(index=True)
    case_type: str = Field(max_length=32)
    with_placement: bool
    overdue_state: bool
    due_week: date
    n: int = Field(sa_type=SmallInteger)


#: ``open_case_tally.due_week`` of a case with no pending deadline.
NO_DEADLINE = date(9999, 12, 31)
#: Tables the database derives from others (triggers keep them): copied or emptied, they would count twice.
DERIVED_TABLES = ("open_case_tally", "open_case_tally_change")


class CaseEvent(SQLModel, table=True):
    """An append-only audit event (händelse) of one transition, hash-chained per case; seq is the case's version."""

    __tablename__ = "case_event"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    seq: int
    case_id: int = Field(foreign_key="case.id")
    trigger: str = Field(max_length=48)
    from_status: str | None = Field(default=None, max_length=40)
    to_status: str = Field(max_length=40)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_role: str | None = Field(default=None, max_length=32)
    reason: str = Field(default="", max_length=2000)
    decision_kind: str | None = Field(default=None, max_length=48)
    mandate: str | None = Field(default=None, max_length=120)
    registry_number: str | None = Field(default=None, max_length=40)
    params: dict[str, Any] = _json()
    # When it was recorded (the API and the timeline call it recorded_at; the column keeps its first name, which
    # existing events' hashes and other modules rely on).
    occurred_at: datetime = _ts()
    # When it happened (for a decision, the decision date), Stockholm date; late_entry when recorded after the
    # late-entry window (UPPF_LATE_ENTRY_DAYS), with late_reason saying why.
    occurred_on: date
    late_entry: bool = False
    late_reason: str | None = Field(default=None, max_length=2000)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # Gallring (issue 15): the hash of an event written with a salt covers sha256(salt ‖ reason), not the reason
    # itself, so the reason can be blanked when its time is up; ``redacted`` then keeps that digest (salt dropped).
    text_salt: str | None = Field(default=None, max_length=32)
    redacted: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_event_case_seq"),)


class AuditCheckpoint(SQLModel, table=True):
    """An organisation's audit checkpoint (kontrollpunkt): every case's chain head at one moment, hashed.

    ``heads`` holds ``[case_id, seq]`` pairs; ``digest`` is sha256 over the previous checkpoint's digest and
    those heads with their events' hashes (``workflow.engine.audit``), so a case deleted or cut short since is found.
    """

    __tablename__ = "audit_checkpoint"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    seq: int
    taken_at: datetime = _ts()
    cases: int
    events: int
    heads: list[list[int]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    prev_digest: str = Field(max_length=64)
    digest: str = Field(max_length=64)
    #: When its signed copy went to the anchor store outside the database (``workflow.engine.anchor``); None: not yet.
    anchored_at: datetime | None = _ts(nullable=True)
    __table_args__ = (UniqueConstraint("organisation_id", "seq", name="uq_audit_checkpoint_org_seq"),)


class Deadline(SQLModel, table=True):
    """A deadline row (tidsfrist) with its reminder/escalation ladder position."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")  # indexed with status and due time, below
    organisation_id: int = Field(foreign_key="organisation.id")  # looked up through the case (one range aside)
    kind: str = Field(max_length=48)
    state: str = Field(max_length=40)
    due_at: datetime = _ts()
    status: str = Field(default="pending", max_length=16)  # pending | suspended | closed
    next_rung: int = 0
    next_action_at: datetime | None = _ts(nullable=True)
    rule_version: str = Field(max_length=64)
    working_days: bool = False
    opened_at: datetime = _ts()
    closed_at: datetime | None = _ts(nullable=True)
    closed_by: str | None = Field(default=None, max_length=48)
    suspended_until: datetime | None = _ts(nullable=True)
    changed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    change_reason: str | None = Field(default=None, max_length=500)
    __table_args__ = (
        # A case's deadlines, and its earliest pending one from the index alone (``next_due_at``, sorted by on
        # every case list); a deadline's status changes once, when it closes.
        Index("ix_deadline_case_status_due", "case_id", "status", "due_at"),
        _partial(
            "ix_deadline_due_pending",
            "next_action_at",
            where="status = 'pending'",
        ),
    )


class DeadlineEffect(SQLModel, table=True):
    """An effect done for a deadline rung; the unique key stops it being done twice."""

    __tablename__ = "deadline_effect"
    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int = Field(foreign_key="deadline.id")
    rung: int
    kind: str = Field(max_length=24)  # reminder | escalation | transition
    done_at: datetime = _ts()
    __table_args__ = (UniqueConstraint("deadline_id", "rung"),)


class Decision(SQLModel, table=True):
    """A decision taken under the delegation order (delegationsbeslut)."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    case_id: int = Field(foreign_key="case.id", index=True)
    event_id: int = Field(foreign_key="case_event.id")
    decision_kind: str = Field(max_length=48)
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    role: str = Field(max_length=32)
    delegation_order_id: int | None = Field(default=None, foreign_key="delegation_order.id")
    rule_ref: str | None = Field(default=None, max_length=40)
    substitute: bool = False
    under_delegation: bool = True
    registry_number: str = Field(max_length=40)
    decided_at: datetime = _ts()  # when it was recorded
    # The decision date (beslutsdatum) and the decision's own grounds, kept from its transition's parameters so a
    # later step never rewrites them: reason_code is the exclusion reason, termination reason, rescission ground
    # or not-performed reason as the decision kind has one; initiator who initiated a termination or rescission.
    decided_on: date
    reason_code: str | None = Field(default=None, max_length=48)
    initiator: str | None = Field(default=None, max_length=16)
    __table_args__ = (
        Index("ix_decision_org_day", "organisation_id", "decided_on"),
        Index("ix_decision_org_kind_day", "organisation_id", "decision_kind", "decided_on"),
    )


class DelegationOrder(SQLModel, table=True):
    """One adopted version of a board's delegation order (delegationsordning)."""

    __tablename__ = "delegation_order"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    version: str = Field(max_length=40)
    registry_number: str = Field(max_length=40)
    adopted_on: date
    valid_from: date
    valid_to: date | None = None
    source_sha256: str = Field(max_length=64)
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)


class DelegationRule(SQLModel, table=True):
    """Who may decide one decision kind under one delegation order version."""

    __tablename__ = "delegation_rule"
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="delegation_order.id", index=True)
    ref: str = Field(max_length=40)  # the item number in the order, e.g. "4.3"
    decision_kind: str = Field(max_length=48)
    description: str = Field(default="", max_length=500)
    delegates: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    substitutes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    report_to_board: bool = True
    valid_from: date | None = None
    valid_to: date | None = None


class Outbox(SQLModel, table=True):
    """A message written in the workflow's transaction, delivered later (utkorg)."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id")
    dedupe_key: str = Field(max_length=120, unique=True)
    kind: str = Field(max_length=32)
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subject: str = Field(max_length=300)
    body: str = Field(max_length=8000)
    status: str = Field(default="pending", max_length=16)  # pending | sending | committing | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, max_length=1000)
    # Delivery bookkeeping (issue 4): the claim of the dispatcher sending it, its Message-ID, why it failed.
    message_id: str | None = Field(default=None, max_length=200)
    claim_token: str | None = Field(default=None, max_length=36)
    claimed_at: datetime | None = _ts(nullable=True)
    incident: str | None = Field(default=None, max_length=32)  # retries_exhausted | rejected | uncertain
    __table_args__ = (
        _partial(
            "ix_outbox_pending",
            "next_attempt_at",
            where="status = 'pending'",
        ),
        _partial(
            "ix_outbox_claimed",
            "claimed_at",
            where="status IN ('sending', 'committing')",
        ),
    )


class AccessLog(SQLModel, table=True):
    """A read of an individual-level record (loggning av åtkomst)."""

    __tablename__ = "access_log"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    entity: str = Field(max_length=32)
    entity_id: int
    action: str = Field(max_length=16)
    at: datetime = _ts()


# --- administration: the role mapping and the administration's own audit record --------------------------------


class RoleMapping(SQLModel, table=True):
    """An identity-provider group and the organisation and roles its members get (gruppmappning).

    ``version`` counts its changes; every change is also an :class:`AdminEvent` with before and after.
    """

    __tablename__ = "role_mapping"
    id: int | None = Field(default=None, primary_key=True)
    group_name: str = Field(max_length=200, unique=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    version: int = 1
    updated_at: datetime = _ts()


class AdminEvent(SQLModel, table=True):
    """An append-only record of one administrative change (administrationslogg): who, when, what, before/after.

    ``organisation_id`` is the organisation the changed object belongs to; ``actor_id`` is null when the
    identity provider's groups provisioned a user or the bootstrap ran on an empty database (``via`` says which).
    """

    __tablename__ = "admin_event"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    via: str = Field(max_length=16)  # api | cli | web | idp | bootstrap
    action: str = Field(max_length=48)
    entity: str = Field(max_length=32)  # organisation | user | role_mapping
    entity_id: int
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    at: datetime = _ts()
    __table_args__ = (
        Index("ix_admin_event_org_at", "organisation_id", "at"),
        Index("ix_admin_event_entity", "entity", "entity_id"),
    )


# --- API: idempotency keys ---------------------------------------------------------------------------------------


class IdempotencyKey(SQLModel, table=True):
    """A client's idempotency key with the response its first request got."""

    __tablename__ = "idempotency_key"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    user_id: int = Field(foreign_key="app_user.id")
    key: str = Field(max_length=200)
    fingerprint: str = Field(max_length=64)
    status_code: int
    response: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id", "key"),
        Index("ix_idempotency_key_created_at", "created_at"),
    )


# --- scheduler: deadline changes, scheduled openings, the leader lease ------------------------------------------


class DeadlineChange(SQLModel, table=True):
    """A suspension, resumption or extension of a deadline (ändrad tidsfrist): who, why, until when.

    The changed deadline row is closed and a new row carries the new due date, so the
    reminders already sent for the old date stay recorded against the old row.
    """

    __tablename__ = "deadline_change"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    deadline_id: int = Field(foreign_key="deadline.id", index=True)
    new_deadline_id: int | None = Field(default=None, foreign_key="deadline.id")
    action: str = Field(max_length=16)  # suspend | resume | extend
    changed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    reason: str = Field(max_length=500)
    until: datetime | None = _ts(nullable=True)
    old_due_at: datetime = _ts()
    new_due_at: datetime | None = _ts(nullable=True)
    at: datetime = _ts()


class ScheduledOpening(SQLModel, table=True):
    """A case the scheduler opened for a control, subject and period (planerad öppning); opened once."""

    __tablename__ = "scheduled_opening"
    id: int | None = Field(default=None, primary_key=True)
    control: str = Field(max_length=40)
    subject_kind: str = Field(max_length=16)  # provider | placement
    subject_id: int
    period: str = Field(max_length=24)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id")
    opened_at: datetime = _ts()
    __table_args__ = (UniqueConstraint("control", "subject_kind", "subject_id", "period"),)


class SchedulerLease(SQLModel, table=True):
    """A named lease one scheduler instance holds until it expires (ledarlås på SQLite)."""

    __tablename__ = "scheduler_lease"
    name: str = Field(max_length=64, primary_key=True)
    holder: str = Field(max_length=64)
    expires_at: datetime = _ts()


# --- reports: invoice samples, individual follow-ups, follow-up owners ---------------------------------------------


class InvoiceSample(SQLModel, table=True):
    """One sampled invoice and its result (stickprovskontroll av faktura), REQ-REC-04."""

    __tablename__ = "invoice_sample"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    round_label: str = Field(max_length=80)
    sampled_on: date
    selection: str = Field(max_length=32)  # random_invoices | random_closed_cases | special_follow_up | pilot
    agreement_id: int | None = Field(default=None, foreign_key="agreement.id")
    provider_id: int | None = Field(default=None, foreign_key="provider.id")
    invoice_ref: str = Field(max_length=60)
    correct: bool
    error_type: str | None = Field(default=None, max_length=48)
    __table_args__ = (
        Index("ix_invoice_sample_org_date", "organisation_id", "sampled_on"),
        UniqueConstraint("organisation_id", "round_label", "invoice_ref"),
    )


class IndividualFollowUp(SQLModel, table=True):
    """A performed individual follow-up of a placement (individuppföljning), pilot model §4.4.

    ``registered`` says whether the social worker registered it in the survey; only
    registered ones have answers. Rows are individual-level: only the ordering board reads them.
    """

    __tablename__ = "individual_follow_up"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    placement_id: int = Field(foreign_key="placement.id", index=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    performed_on: date
    registered: bool = False
    __table_args__ = (Index("ix_individual_follow_up_org_date", "organisation_id", "performed_on"),)


class IndividualAnswer(SQLModel, table=True):
    """One answered question of an individual follow-up (svar), e.g. A4 = very_good."""

    __tablename__ = "individual_answer"
    id: int | None = Field(default=None, primary_key=True)
    follow_up_id: int = Field(foreign_key="individual_follow_up.id", index=True)
    question: str = Field(max_length=8)
    rating: str = Field(max_length=24)
    __table_args__ = (UniqueConstraint("follow_up_id", "question"),)


class FollowUpOwner(SQLModel, table=True):
    """Who is responsible for following up a unit (uppföljningsansvarig), in-house units included."""

    __tablename__ = "follow_up_owner"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    provider_id: int = Field(foreign_key="provider.id")
    owner_id: int = Field(foreign_key="app_user.id")
    since: date
    __table_args__ = (UniqueConstraint("organisation_id", "provider_id"),)


# --- retention (gallring): the schedule the municipality decides, and what each purge did -------------------------


class RetentionSchedule(SQLModel, table=True):
    """One adopted version of a board's retention schedule (gallringsplan i dokumenthanteringsplanen)."""

    __tablename__ = "retention_schedule"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    version: str = Field(max_length=40)
    registry_number: str = Field(max_length=40)
    adopted_on: date
    valid_from: date
    source_sha256: str = Field(max_length=64)
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)


class RetentionRule(SQLModel, table=True):
    """How long one kind of record is kept after its anchor, and on what legal basis (gallringsregel)."""

    __tablename__ = "retention_rule"
    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="retention_schedule.id", index=True)
    record_kind: str = Field(max_length=48)
    anchor: str = Field(max_length=32)
    years: int = 0
    months: int = 0
    action: str = Field(max_length=24)  # pseudonymise | blank | delete
    legal_basis: str = Field(max_length=500)
    __table_args__ = (UniqueConstraint("schedule_id", "record_kind"),)


class RetentionPurge(SQLModel, table=True):
    """What one purge transaction did under one rule (gallringslogg): counts and the period, never contents."""

    __tablename__ = "retention_purge"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    run_id: str = Field(max_length=36)
    schedule_id: int = Field(foreign_key="retention_schedule.id")
    schedule_version: str = Field(max_length=40)
    rule_id: int = Field(foreign_key="retention_rule.id")
    record_kind: str = Field(max_length=48)
    action: str = Field(max_length=24)
    anchored_before: date  # every record purged had its anchor before this Stockholm date
    records: int
    purged_at: datetime = _ts()


# --- staff web interface: sessions shared by every worker process ------------------------------------------------


class WebSession(SQLModel, table=True):
    """One staff session: its id, its data (serialised by Litestar) and when it expires (null: never)."""

    __tablename__ = "web_session"
    key: str = Field(sa_column=Column(String(128), primary_key=True))
    value: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    __table_args__ = (Index("ix_web_session_expires_at", "expires_at"),)


# --- the board: board matters and their templates, meetings, decisions, reports presented ------------------------


class BoardTemplate(SQLModel, table=True):
    """One version of a municipality's board-matter template (mall för tjänsteutlåtande).

    Every edit stores a new version (who, when); the product's shipped Swedish template is version 0 and is
    never stored. ``source`` is Jinja2 rendered in a sandbox.
    """

    __tablename__ = "board_template"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    matter_type: str = Field(max_length=24)  # annual | terminations | decisions | termination
    version: int
    source: str = Field(sa_column=Column(Text, nullable=False))
    note: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _ts()
    __table_args__ = (UniqueConstraint("organisation_id", "matter_type", "version"),)


class BoardMatter(SQLModel, table=True):
    """A generated board matter (tjänsteutlåtande) as it went to the board: its text is never re-rendered."""

    __tablename__ = "board_matter"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    matter_type: str = Field(max_length=24)
    registry_number: str = Field(max_length=40)
    title: str = Field(max_length=300)
    period_from: date | None = None
    period_to: date | None = None
    case_id: int | None = Field(default=None, foreign_key="case.id")
    template_id: int | None = Field(default=None, foreign_key="board_template.id")
    template_version: int
    locale: str = Field(max_length=8)
    html: str = Field(sa_column=Column(Text, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _ts()
    __table_args__ = (
        UniqueConstraint("organisation_id", "registry_number", name="uq_board_matter_org_registry_number"),
        Index("ix_board_matter_org_created", "organisation_id", "created_at"),
    )


class BoardMeeting(SQLModel, table=True):
    """A meeting of the board (nämndsammanträde)."""

    __tablename__ = "board_meeting"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    held_on: date
    title: str = Field(default="", max_length=200)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _ts()
    __table_args__ = (Index("ix_board_meeting_org_held", "organisation_id", "held_on"),)


class BoardDecision(SQLModel, table=True):
    """The board's decision on a matter at a meeting, under a paragraph of its minutes (nämndbeslut, §)."""

    __tablename__ = "board_decision"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    meeting_id: int = Field(foreign_key="board_meeting.id", index=True)
    matter_id: int = Field(foreign_key="board_matter.id", index=True)
    paragraph: str = Field(max_length=16)
    outcome: str = Field(max_length=16)  # adopted | returned | amended
    text: str = Field(default="", max_length=4000)
    registry_number: str = Field(max_length=40)
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_at: datetime = _ts()
    __table_args__ = (
        UniqueConstraint("meeting_id", "paragraph", name="uq_board_decision_meeting_paragraph"),
        UniqueConstraint("meeting_id", "matter_id", name="uq_board_decision_meeting_matter"),
    )


class ReportPresentation(SQLModel, table=True):
    """A report marked as presented to the board (anmäld/redovisad för nämnden): which meeting, which paragraph."""

    __tablename__ = "report_presentation"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    meeting_id: int = Field(foreign_key="board_meeting.id", index=True)
    report: str = Field(max_length=32)
    period_from: date
    period_to: date
    paragraph: str = Field(max_length=16)
    matter_id: int | None = Field(default=None, foreign_key="board_matter.id")
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_at: datetime = _ts()
    __table_args__ = (UniqueConstraint("meeting_id", "paragraph", name="uq_report_presentation_meeting_paragraph"),)


# --- import of a municipality's existing register and history ---------------------------------------------------


class ImportRef(SQLModel, table=True):
    """An object made by an import (importreferens), under its natural key, so a rerun creates nothing twice.

    ``kind`` is the file's kind (``providers``, ``agreements``, ``history``, …); ``natural_key`` its key in the file
    (organisation code, username, area code, org number, registry number, placement or case_ref and event number);
    ``content_hash`` the SHA-256 of the row as imported, so a changed row is reported instead of overwritten.
    """

    __tablename__ = "import_ref"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    kind: str = Field(max_length=32)
    natural_key: str = Field(max_length=300)
    object_id: int
    content_hash: str = Field(max_length=64)
    imported_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    __table_args__ = (UniqueConstraint("organisation_id", "kind", "natural_key"),)


# --- the tables as SQLAlchemy Core sees them, typed once here for every query of the product -----------------


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]  # SQLModel declares no type for it
    return table


ORG = _table(Organisation)
USER = _table(AppUser)
PROVIDER = _table(Provider)
AREA = _table(ContractArea)
AGREEMENT = _table(Agreement)
PLACEMENT = _table(Placement)
CASE = _table(Case)
TALLY = _table(OpenCaseTally)
TALLY_CHANGE = _table(OpenCaseTallyChange)
EVENT = _table(CaseEvent)
CHECKPOINT = _table(AuditCheckpoint)
DEADLINE = _table(Deadline)
EFFECT = _table(DeadlineEffect)
DECISION = _table(Decision)
ORDER = _table(DelegationOrder)
RULE = _table(DelegationRule)
OUTBOX = _table(Outbox)
ACCESS_LOG = _table(AccessLog)
ROLE_MAPPING = _table(RoleMapping)
ADMIN_EVENT = _table(AdminEvent)
KEYS = _table(IdempotencyKey)
CHANGE = _table(DeadlineChange)
OPENING = _table(ScheduledOpening)
LEASE = _table(SchedulerLease)
SAMPLE = _table(InvoiceSample)
INDIVIDUAL_FOLLOW_UP = _table(IndividualFollowUp)
ANSWER = _table(IndividualAnswer)
OWNER = _table(FollowUpOwner)
SESSION = _table(WebSession)
RETENTION_SCHEDULE = _table(RetentionSchedule)
RETENTION_RULE = _table(RetentionRule)
PURGE = _table(RetentionPurge)
BOARD_TEMPLATE = _table(BoardTemplate)
BOARD_MATTER = _table(BoardMatter)
BOARD_MEETING = _table(BoardMeeting)
BOARD_DECISION = _table(BoardDecision)
PRESENTATION = _table(ReportPresentation)
IMPORT_REF = _table(ImportRef)


#: Lets each tick find the suspensions that have ended without scanning every deadline.
DEADLINE_SUSPENDED_INDEX = _partial(
    "ix_deadline_suspended",
    DEADLINE.c.suspended_until,
    where="status = 'suspended'",
)

#: Planned follow-ups of one organisation and plan year, covering the columns the annual report groups by.
#: Partial: only follow-ups have a plan year, and a transition of any other case would move an entry in it.
_partial(
    "ix_case_org_type_plan_year",
    CASE.c.organisation_id,
    CASE.c.case_type,
    CASE.c.plan_year,
    CASE.c.kind,
    CASE.c.contract_area_id,
    CASE.c.in_house,
    CASE.c.status,
    CASE.c.outcome,
    CASE.c.reason_code,
    where="plan_year IS NOT NULL",
)
#: A user's own cases (the overview, "mine" filters), a placement's cases, a case's sub-cases (the guards that
#: look for open rectification requests or audit measures). Partial: most cases have none of these, and SQLite's
#: ANALYZE counts all the nulls as one value, so a full index looks unselective and the planner passes it over
#: (a guard then scanned the whole organisation).
for _column in (CASE.c.owner_id, CASE.c.placement_id, CASE.c.parent_case_id):
    _partial(
        f"ix_case_{_column.name}",
        _column,
        where=f"{_column.name} IS NOT NULL",
    )
#: Open cases of an organisation by type and state, covering the secrecy rule's columns, the provider and the
#: next due time: the overview's counts (open and overdue per type), the providers' open cases and the filtered
#: lists' counts read this index alone (a transition moves its entry, as it does in ``ix_case_org_type_status``).
#: ``closed_at`` is a column too so that SQLite sees the index covers the query, and ``id`` (SQLite's rowid, in
#: every index of it anyway) so that PostgreSQL can answer from the index alone.
_partial(
    "ix_case_open",
    CASE.c.organisation_id,
    CASE.c.case_type,
    CASE.c.status,
    CASE.c.placement_id,
    CASE.c.provider_id,
    CASE.c.closed_at,
    CASE.c.next_due_at,
    CASE.c.id,
    where="closed_at IS NULL",
)
#: The access review: one organisation's reads by time (filters by user narrow it further).
Index("ix_access_log_org_at", ACCESS_LOG.c.organisation_id, ACCESS_LOG.c.at)
