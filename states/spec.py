"""Declarative building blocks for case-type state machines (ärendetyper som data).

A case type is a states enum, a transition table and a deadline policy per state.
Nothing here touches a database: the engine in ``workflow`` reads these tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Rung:
    """One step of a deadline's reminder/escalation ladder (påminnelse, eskalering).

    ``offset_days`` is relative to the due date: negative before it, zero on it,
    positive after it. ``notify`` names roles (or ``owner``) to tell.
    """

    offset_days: int
    notify: tuple[str, ...]
    escalation: bool = False


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """The deadline a state opens on entry and closes on exit (tidsfrist).

    ``rule_version`` is stored on every deadline row so that changing a rule never
    rewrites the history of deadlines it already produced. ``param`` lets the
    trigger that enters the state give its own due date (e.g. a response deadline
    named in the letter to the provider).
    """

    kind: str
    days: int
    working_days: bool
    rule_version: str
    source: str
    ladder: tuple[Rung, ...] = ()
    on_expiry: str | None = None
    due_param: str | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of a transition table.

    ``decision`` names the decision kind the delegation order must grant the actor
    (beslut enligt delegationsordningen); ``contractual`` marks steps that need a
    contract and are refused for in-house units (egen regi); ``sets`` are trigger
    parameters stored on the case, ``requires`` the ones that must be given;
    ``roles`` limits who may fire an ordinary (non-decision) trigger; ``system``
    marks triggers only the scheduler fires; ``notify`` names who is told
    through the outbox when it happens.
    """

    trigger: str
    source: tuple[str, ...]
    dest: str
    guards: tuple[str, ...] = ()
    decision: str | None = None
    contractual: bool = False
    sets: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    system: bool = False
    notify: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True, slots=True)
class CaseTypeSpec:
    """A case type (ärendetyp): states, table, deadline policies and vocabularies."""

    name: str
    label: str
    states: type[StrEnum]
    initial: str
    finals: frozenset[str]
    transitions: tuple[Transition, ...]
    deadlines: dict[str, DeadlinePolicy] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()
    vocabularies: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def triggers_from(self, status: str) -> list[Transition]:
        """Transitions whose source includes ``status``."""
        return [t for t in self.transitions if status in t.source]

    def transition(self, trigger: str, status: str) -> Transition | None:
        """The transition for ``trigger`` in ``status``, if any."""
        for t in self.transitions:
            if t.trigger == trigger and status in t.source:
                return t
        return None

    def has_trigger(self, trigger: str) -> bool:
        """Whether any row of the table uses ``trigger``."""
        return any(t.trigger == trigger for t in self.transitions)


def t(
    trigger: str,
    source: str | tuple[str, ...] | list[str],
    dest: str,
    **kw: object,
) -> Transition:
    """Short constructor keeping each table row on one line."""
    src = (source,) if isinstance(source, str) else tuple(source)
    return Transition(trigger, tuple(str(s) for s in src), str(dest), **kw)  # type: ignore[arg-type]
