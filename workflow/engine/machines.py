"""One shared ``transitions`` Machine per case type, built once (tillståndsmaskiner).

The machine is the one lookup the engine asks: which triggers a state has, where a
trigger leads, which guards it names (as the transition's conditions) and the table
row behind it (decision kind, parameters, roles). Every table was proven sound by
``states.validator`` when it loaded.

No machine is built per case or per request, and no model is attached per request:
the engine resolves a trigger from the stored status exactly as the machine's event
would (``event.transitions[status]``) and evaluates the named guards itself, because
they need the database and the trigger's parameters. That costs about 0.1 µs and
needs no lock; attaching the case (``add_model(case, initial=row.status)``), firing
and detaching cost about 37 µs and serialised threads on one lock per case type.
"""

from __future__ import annotations

import logging
from typing import Any

from transitions import Machine
from transitions import Transition as MachineTransition
from transitions.core import MachineError

from states.registry import CASE_TYPES
from states.spec import CaseTypeSpec, Transition

logging.getLogger("transitions").setLevel(logging.WARNING)


class _Row(MachineTransition):
    """A machine transition that carries the table row it was built from."""

    def __init__(self, *args: Any, row: Transition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.row = row


class _TableMachine(Machine):
    transition_cls = _Row


class CaseMachine:
    """The machine of one case type."""

    def __init__(self, spec: CaseTypeSpec) -> None:
        self.spec = spec
        self.machine = _TableMachine(
            model=None,
            states=[s.value for s in spec.states],
            initial=spec.initial,
            auto_transitions=False,
            model_attribute="status",
            ignore_invalid_triggers=False,
        )
        for row in spec.transitions:
            self.machine.add_transition(row.trigger, list(row.source), row.dest, conditions=list(row.guards), row=row)
        for event in self.machine.events.values():
            for options in event.transitions.values():
                for tr in options:
                    if tr.prepare or tr.before or tr.after or not all(c.target for c in tr.conditions):
                        raise ValueError(f"{spec.name}: {event.name} must be a plain table row, without callbacks")
        # Each state's triggers as the machine has them, in table order so forms list them as the table does.
        order = {row: i for i, row in enumerate(spec.transitions)}
        self._from: dict[str, tuple[Transition, ...]] = {}
        for state in spec.states:
            rows = [
                _row(e.transitions[state.value]) for e in self.machine.events.values() if e.transitions.get(state.value)
            ]
            self._from[state.value] = tuple(sorted(rows, key=order.__getitem__))
        # The conditions' names, read once: building the tuple on every transition cost about 1 µs.
        self._guards: dict[tuple[str, str], tuple[str, ...]] = {
            (status, name): tuple(str(c.func) for c in options[0].conditions)
            for name, event in self.machine.events.items()
            for status, options in event.transitions.items()
            if options
        }

    def step(self, status: str, trigger: str) -> Transition | None:
        """The table row ``trigger`` fires from ``status``, or None when that state has no such trigger."""
        event = self.machine.events.get(trigger)
        options = event.transitions.get(status) if event is not None else None
        return _row(options) if options else None

    def knows(self, trigger: str) -> bool:
        """Whether any state of the case type has ``trigger``."""
        return trigger in self.machine.events

    def triggers(self, status: str) -> tuple[Transition, ...]:
        """The rows that can fire from ``status``, in table order."""
        return self._from.get(status, ())

    def guards(self, status: str, trigger: str) -> tuple[str, ...]:
        """The names of the guards (the machine's conditions) of ``trigger`` from ``status``."""
        return self._guards.get((status, trigger), ())

    def fire(self, status: str, trigger: str) -> str:
        """The state reached by firing ``trigger`` from ``status``; :class:`MachineError` if it cannot fire."""
        row = self.step(status, trigger)
        if row is None:
            raise MachineError(f"can't {trigger} from {status!r} in {self.spec.name}")
        return row.dest


def _row(options: list[Any]) -> Transition:
    row: Transition = options[0].row
    return row


MACHINES: dict[str, CaseMachine] = {name: CaseMachine(spec) for name, spec in CASE_TYPES.items()}
