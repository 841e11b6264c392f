"""Tables and indexes the reports need (rapportdata).

Invoice sampling, individual follow-up answers (pilot model, domain.md §4.4) and
the responsible follow-up owner of a unit are not case state machines, so they are
plain rows. Indexes on ``case`` and ``decision`` keep the annual queries on one
organisation and year fast (bench/report_bench.py).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from workflow.schema.tables import Case, Decision

_CASE = Case.__table__  # type: ignore[attr-defined]
_DECISION = Decision.__table__  # type: ignore[attr-defined]

#: Planned follow-ups of one organisation and plan year, covering the columns the annual report groups by.
#: Partial: only follow-ups have a plan year, and a transition of any other case would move an entry in it.
Index(
    "ix_case_org_type_plan_year",
    _CASE.c.organisation_id,
    _CASE.c.case_type,
    _CASE.c.plan_year,
    _CASE.c.kind,
    _CASE.c.contract_area_id,
    _CASE.c.in_house,
    _CASE.c.status,
    _CASE.c.outcome,
    _CASE.c.reason_code,
    sqlite_where=text("plan_year IS NOT NULL"),
    postgresql_where=text("plan_year IS NOT NULL"),
)
#: Decisions of one organisation by kind and date (terminations, rescissions, exclusions).
Index("ix_decision_org_kind_time", _DECISION.c.organisation_id, _DECISION.c.decision_kind, _DECISION.c.decided_at)


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
