"""Declarative building blocks for case-type state machines (ärendetyper som data).

A case type is a states enum, a transition table with typed trigger parameters, a
deadline policy per state, and what the case is about (its subject). Nothing here
touches a database: the engine in ``workflow`` reads these tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum


class ParamType(StrEnum):
    """The type of a trigger parameter, as a form shows it (fälttyp)."""

    TEXT = "text"
    DATE = "date"
    INT = "int"
    BOOL = "bool"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter a trigger takes (uppgift i beslutet/åtgärden).

    ``choices`` is the closed vocabulary of a (multi-)choice; ``column`` names the case
    column the value is also stored in (reports count it after the case is closed);
    ``years_ahead`` bounds an int that is a calendar year, relative to today.
    """

    name: str
    type: ParamType
    label: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    column: str | None = None
    years_ahead: tuple[int, int] | None = None


def need(param: Param) -> Param:
    """The same parameter, required."""
    return replace(param, required=True)


#: The value of a closed list that says "something else" (annat); it needs the free text of :func:`other_text`.
OTHER = "other"


def offers_other(param: Param) -> bool:
    """Whether ``param`` is a closed list with the value ``other``."""
    return param.type in (ParamType.CHOICE, ParamType.MULTI_CHOICE) and OTHER in param.choices


def other_text(param: Param) -> Param:
    """The free text that says what ``other`` is (annat, nämligen): given when, and only when, it is chosen."""
    return Param(f"{param.name}_other", ParamType.TEXT, "Other, in words (annat, nämligen)")


def with_other_texts(params: tuple[Param, ...]) -> tuple[Param, ...]:
    """``params`` with the free text of every closed list offering ``other`` right after it."""
    names = {p.name for p in params}
    out: list[Param] = []
    for p in params:
        out.append(p)
        if offers_other(p) and other_text(p).name not in names:
            out.append(other_text(p))
    return tuple(out)


class Subject(StrEnum):
    """What a case is about: the link it needs when it is opened (ärendets föremål)."""

    PROVIDER = "provider"  # utförare (through an agreement or a placement, or named directly)
    AGREEMENT = "agreement"  # avtal
    PLACEMENT = "placement"  # placering (individual level)


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
class Ladder:
    """A named reminder/escalation ladder (påminnelsetrappa) that several deadlines may share."""

    name: str
    rungs: tuple[Rung, ...]

    def __iter__(self) -> Iterator[Rung]:
        return iter(self.rungs)

    def __len__(self) -> int:
        return len(self.rungs)


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """The deadline a state opens on entry and closes on exit (tidsfrist).

    ``rule_version`` is stored on every deadline row so that changing a rule never
    rewrites the history of deadlines it already produced. ``due_param`` lets the
    trigger that enters the state give its own due date (e.g. a response deadline
    named in the letter to the provider). ``ladder`` is a shared :class:`Ladder` or
    this deadline's own rungs.
    """

    kind: str
    days: int
    working_days: bool
    rule_version: str
    source: str
    ladder: Ladder | tuple[Rung, ...] = ()
    on_expiry: str | None = None
    due_param: str | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of a transition table.

    ``decision`` names the decision kind the delegation order must grant the actor
    (beslut enligt delegationsordningen); a decision needs a registry number
    (diarienummer). ``contractual`` marks steps that need a contract and are refused
    for in-house units (egen regi); ``params`` are the typed parameters the trigger
    takes, stored on the case; ``roles`` limits who may fire an ordinary
    (non-decision) trigger; ``system`` marks triggers only the scheduler fires;
    ``scheduled`` marks triggers the scheduler fires when the data says so (an agreement whose
    period ended expires) and people may fire too; ``notify`` names who is told through the
    outbox when it happens.
    """

    trigger: str
    source: tuple[str, ...]
    dest: str
    guards: tuple[str, ...] = ()
    decision: str | None = None
    contractual: bool = False
    params: tuple[Param, ...] = ()
    roles: tuple[str, ...] = ()
    system: bool = False
    notify: tuple[str, ...] = ()
    label: str = ""
    scheduled: bool = False

    @property
    def accepts(self) -> tuple[str, ...]:
        """Names of every parameter the trigger takes."""
        return tuple(p.name for p in self.params)

    @property
    def requires(self) -> tuple[str, ...]:
        """Names of the parameters that must be given."""
        return tuple(p.name for p in self.params if p.required)

    @property
    def needs_registry_number(self) -> bool:
        """A decision is registered: it needs a registry number (diarienummer)."""
        return self.decision is not None

    def param(self, name: str) -> Param | None:
        """The declaration of parameter ``name``, if the trigger takes it."""
        for p in self.params:
            if p.name == name:
                return p
        return None


@dataclass(frozen=True, slots=True)
class CaseTypeSpec:
    """A case type (ärendetyp): states, table, deadline policies and what it knows about itself.

    ``subject`` is what the case is about and ``subject_required`` whether opening needs
    that link; ``individual`` marks individual-level cases (kept inside the ordering
    board, reads logged); ``delivery`` marks documents the provider must deliver, whose
    lateness counts towards a late-delivery deviation; ``mirrors_agreement`` marks the
    agreement's own lifecycle case: the agreement row mirrors its status, and only the
    agreement's organisation opens it.
    """

    name: str
    label: str
    states: type[StrEnum]
    initial: str
    finals: frozenset[str]
    transitions: tuple[Transition, ...]
    deadlines: dict[str, DeadlinePolicy] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()
    subject: Subject = Subject.PROVIDER
    subject_required: bool = True
    individual: bool = False
    delivery: bool = False
    mirrors_agreement: bool = False

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
    """Short constructor keeping each table row on one line; a closed list offering ``other`` gets its free text."""
    src = (source,) if isinstance(source, str) else tuple(source)
    if "params" in kw:
        kw["params"] = with_other_texts(tuple(kw["params"]))  # type: ignore[arg-type]
    return Transition(trigger, tuple(str(s) for s in src), str(dest), **kw)  # type: ignore[arg-type]
