"""Commands changing a deadline (ändrad tidsfrist): suspend, resume, extend, each with a reason.

A deadline is changed through its case: outside the actor's scope it is :class:`NotFound`.
Each change is recorded with who, why and the dates (:mod:`workflow.deadlines.changes`); the
handler answers the deadline row as it stands after the change (a resumption or an extension
closes the old row and answers the new one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from workflow.deadlines import changes as deadline_changes
from workflow.deadlines.queries import deadline, require_deadline_visible
from workflow.engine.commands import handles
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class SuspendDeadline:
    """Stop a pending deadline's clock until ``until``: no reminders meanwhile."""

    deadline_id: int
    reason: str
    until: datetime


@dataclass(frozen=True, slots=True)
class ResumeDeadline:
    """End a suspension now; the due date moves on by the days it lasted."""

    deadline_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class ExtendDeadline:
    """Move a pending deadline to a later local date (Europe/Stockholm)."""

    deadline_id: int
    reason: str
    new_due: date


@handles(SuspendDeadline)
def suspend_deadline(cmd: SuspendDeadline, actor: Actor, uow: UnitOfWork) -> dict[str, Any]:
    """Suspend the deadline; answers its row."""

    def work(conn: Connection) -> dict[str, Any]:
        require_deadline_visible(conn, actor, cmd.deadline_id)
        deadline_changes.suspend(conn, cmd.deadline_id, actor, cmd.reason, cmd.until, uow.clock())
        return deadline(conn, cmd.deadline_id)

    return uow.write(work)


@handles(ResumeDeadline)
def resume_deadline(cmd: ResumeDeadline, actor: Actor, uow: UnitOfWork) -> dict[str, Any]:
    """Resume the deadline; answers the new row."""

    def work(conn: Connection) -> dict[str, Any]:
        require_deadline_visible(conn, actor, cmd.deadline_id)
        return deadline(conn, deadline_changes.resume(conn, cmd.deadline_id, actor, cmd.reason, uow.clock()))

    return uow.write(work)


@handles(ExtendDeadline)
def extend_deadline(cmd: ExtendDeadline, actor: Actor, uow: UnitOfWork) -> dict[str, Any]:
    """Extend the deadline; answers the new row."""

    def work(conn: Connection) -> dict[str, Any]:
        require_deadline_visible(conn, actor, cmd.deadline_id)
        new_id = deadline_changes.extend(conn, cmd.deadline_id, actor, cmd.reason, cmd.new_due, uow.clock())
        return deadline(conn, new_id)

    return uow.write(work)
