"""The purge as a command (gallra): the scheduler, the CLI and any other entry point run it the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from states.roles import Role
from workflow.deadlines.calendar import local_date
from workflow.engine.commands import handles
from workflow.engine.errors import NotPermitted
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork
from workflow.retention import schedule as schedules
from workflow.retention.purge import PurgeResult, purge

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from workflow.settings import Settings

#: Who may run the purge by hand besides the scheduler (it acts for the whole board's register).
MAY_PURGE = (Role.DIRECTOR.value, Role.DEPARTMENT_HEAD.value)


@dataclass(frozen=True, slots=True)
class RunRetention:
    """Purge the actor's organisation's personal data past its time under the schedule in force today.

    ``dry_run`` counts what would be purged, per rule, and changes nothing.
    """

    dry_run: bool = False


@handles(RunRetention)
def run_retention(cmd: RunRetention, actor: Actor, uow: UnitOfWork) -> PurgeResult:
    """Run the organisation's retention schedule in force today (Stockholm)."""
    if not actor.is_system and not set(actor.roles) & set(MAY_PURGE):
        raise NotPermitted("only the scheduler, a department head or the director runs the purge", rule="role")
    now = uow.clock()
    today = local_date(now)
    schedule = uow.read(lambda c: schedules.in_force(c, actor.organisation_id, today))
    return purge(uow, schedule, actor.organisation_id, today, now, dry_run=cmd.dry_run)


def run_everywhere(engine: Engine, settings: Settings, clock: Callable[[], datetime]) -> int:
    """The scheduler's job: :class:`RunRetention` for every organisation with a schedule, as the system; records."""
    from workflow.bootstrap import Application

    app = Application(settings, engine, clock)
    orgs = app.uow.read(schedules.organisations_with_schedule)
    return sum(app.execute(RunRetention(), Actor.system(org)).records for org in orgs)
