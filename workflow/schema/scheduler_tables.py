"""Tables of the scheduler (issue 4): deadline changes, scheduled openings, the leader lease."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from workflow.schema.tables import Deadline
from workflow.schema.types import UTCDateTime


def _ts(nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


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


#: Lets each tick find the suspensions that have ended without scanning every deadline.
DEADLINE_SUSPENDED_INDEX = Index(
    "ix_deadline_suspended",
    Deadline.__table__.c.suspended_until,  # type: ignore[attr-defined]
    sqlite_where=text("status = 'suspended'"),
    postgresql_where=text("status = 'suspended'"),
)
