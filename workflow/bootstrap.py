"""The composition root (sammansättning): settings, database, clock and unit of work wired once.

Every entry point builds one :class:`Application` (tests build theirs with fakes) and goes
through it: :meth:`Application.execute` for commands, ``app.uow`` for the query functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from workflow.admin import access_review as _access_review  # noqa: F401 - registers the access alerts' handler
from workflow.admin import commands as _admin_commands  # noqa: F401 - registers the administration's handlers
from workflow.admin import provisioning as _provisioning  # noqa: F401 - registers the provisioning handler
from workflow.board import commands as _board_commands  # noqa: F401 - registers the board commands' handlers
from workflow.clock import utcnow
from workflow.deadlines import commands as _deadline_commands  # noqa: F401 - registers the deadline commands' handlers
from workflow.engine import create_once as _create_once  # noqa: F401 - registers the idempotent creation's handler
from workflow.engine import handlers as _handlers  # noqa: F401 - registers the case commands' handlers
from workflow.engine.commands import handler_for
from workflow.engine.errors import Conflict
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork
from workflow.imports import run as _imports  # noqa: F401 - registers the import's handler
from workflow.notify import outbox_commands as _outbox_commands  # noqa: F401 - registers the outbox commands' handlers
from workflow.registers import commands as _register_commands  # noqa: F401 - registers the register commands' handlers
from workflow.reports import recording_commands as _recording_commands  # noqa: F401 - registers the recording handlers
from workflow.retention import commands as _retention_commands  # noqa: F401 - registers the purge's handler
from workflow.settings import Settings, get_settings


@dataclass
class Application:
    """What every entry point holds: the settings, the database engine, the clock and the unit of work."""

    settings: Settings
    engine: Engine
    clock: Callable[[], datetime] = utcnow
    uow: UnitOfWork = field(default=cast(UnitOfWork, None))  # tests may wire a fake; by default the engine's own

    def __post_init__(self) -> None:
        if self.uow is None:
            self.uow = UnitOfWork(self.engine, self.clock)

    def execute(self, command: object, actor: Actor) -> Any:
        """Run ``command`` for ``actor`` through its handler; a refusal raises and writes nothing.

        A unique or foreign-key constraint that held against a concurrent writer is a :class:`Conflict`.
        """
        try:
            return handler_for(command)(command, actor, self.uow)
        except IntegrityError as exc:
            raise Conflict("the request collides with a concurrent change; reload and try again") from exc


def bootstrap(
    settings: Settings | None = None,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Application:
    """The application on ``engine`` (default: the configured database, migrated)."""
    settings = settings or get_settings()
    if engine is None:
        from workflow.runtime import engine_for

        engine = engine_for()
    return Application(settings, engine, clock)
