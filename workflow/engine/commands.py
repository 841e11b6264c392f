"""Commands (kommandon): every write the product offers, as a small dataclass with one handler.

An entry point (JSON API, staff web interface, CLI, import, scheduler job) builds a command
and hands it to :meth:`workflow.bootstrap.Application.execute`, which finds the command's
handler and gives it the actor and the unit of work. Handlers are registered with
:func:`handles`; a command type has exactly one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from workflow.engine.firing import Actor
    from workflow.engine.uow import UnitOfWork

C = TypeVar("C")
Handler = Callable[[Any, "Actor", "UnitOfWork"], Any]
HANDLERS: dict[type, Handler] = {}


def handles(command_type: type[C]) -> Callable[[Callable[[C, Actor, UnitOfWork], Any]], Callable[..., Any]]:
    """Register the decorated function as the one handler of ``command_type``."""

    def register(fn: Callable[[C, Actor, UnitOfWork], Any]) -> Callable[..., Any]:
        if command_type in HANDLERS:
            raise RuntimeError(f"{command_type.__name__} already has a handler ({HANDLERS[command_type].__name__})")
        HANDLERS[command_type] = fn
        return fn

    return register


def handler_for(command: object) -> Handler:
    """The handler of ``command``'s type."""
    try:
        return HANDLERS[type(command)]
    except KeyError:
        raise LookupError(f"no handler for {type(command).__name__}") from None


@dataclass(frozen=True, slots=True)
class FireTrigger:
    """Move a case: fire ``trigger`` with a reason (and a registry number where the step is a decision).

    ``occurred_on`` is when it happened (for a decision, the decision date); today (Stockholm) when not given.
    A date more than ``UPPF_LATE_ENTRY_DAYS`` back needs ``late_reason`` and is marked a late entry.
    """

    case_id: int
    trigger: str
    reason: str
    registry_number: str | None = None
    params: dict[str, Any] | None = None
    expected_version: int | None = None
    occurred_on: date | None = None
    late_reason: str | None = None


@dataclass(frozen=True, slots=True)
class OpenCase:
    """Open a case of ``case_type`` in the actor's organisation."""

    case_type: str
    reason: str
    kind: str | None = None
    title: str = ""
    provider_id: int | None = None
    agreement_id: int | None = None
    placement_id: int | None = None
    parent_case_id: int | None = None
    owner_id: int | None = None
    plan_year: int | None = None
    params: dict[str, Any] | None = None
    occurred_on: date | None = None
    late_reason: str | None = None
