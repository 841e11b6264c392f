"""Proves a transition table sound before anything runs on it (validering).

A sound table has exactly one initial state that is a member of its enum, every
state reachable from it, a path to a final state from every state (no trap states),
final states without outgoing transitions, only known guards reading parameters
their trigger takes, well-formed typed parameters (a closed list offering ``other`` with
its optional free text beside it), deadline policies only on
non-final states, expiry triggers that exist in the state they expire, due-date
parameters taken by every trigger that enters their state, and a subject that
agrees with its individual-level and agreement flags.
"""

from __future__ import annotations

from collections import deque

from states.guards import GUARDS
from states.spec import OTHER, CaseTypeSpec, Param, ParamType, Subject, Transition, offers_other, other_text

_CHOICES = (ParamType.CHOICE, ParamType.MULTI_CHOICE)


class UnsoundTable(ValueError):
    """Raised when a case type's table fails validation."""


def problems(spec: CaseTypeSpec) -> list[str]:
    """Every reason the table is unsound, as sentences; empty when sound."""
    names = {s.value for s in spec.states}
    out: list[str] = []
    if not isinstance(spec.initial, str):
        out.append(f"{spec.name}: exactly one initial state is allowed, got {spec.initial!r}")
        return out
    if spec.initial not in names:
        out.append(f"{spec.name}: initial state {spec.initial!r} is not one of its states")
    for f in spec.finals:
        if f not in names:
            out.append(f"{spec.name}: final state {f!r} is not one of its states")
    if not spec.finals:
        out.append(f"{spec.name}: no final state is marked")
    seen_pairs: set[tuple[str, str]] = set()
    for tr in spec.transitions:
        for s in (*tr.source, tr.dest):
            if s not in names:
                out.append(f"{spec.name}: {tr.trigger!r} names unknown state {s!r}")
        for g in tr.guards:
            guard = GUARDS.get(g)
            if guard is None:
                out.append(f"{spec.name}: {tr.trigger!r} uses unknown guard {g!r}")
                continue
            for read in guard.reads:
                if tr.param(read) is None:
                    out.append(
                        f"{spec.name}: guard {g!r} of {tr.trigger!r} reads {read!r}, a parameter it does not take"
                    )
        for s in tr.source:
            if s in spec.finals:
                out.append(f"{spec.name}: final state {s!r} has outgoing trigger {tr.trigger!r}")
            if (tr.trigger, s) in seen_pairs:
                out.append(f"{spec.name}: trigger {tr.trigger!r} is ambiguous in state {s!r}")
            seen_pairs.add((tr.trigger, s))
        if tr.decision and "{kind}" in tr.decision and not spec.kinds:
            out.append(f"{spec.name}: {tr.trigger!r} decision depends on kind but the type has no kinds")
        out.extend(_param_problems(spec, tr))
    out.extend(_same_param_everywhere(spec))
    reach = _reachable(spec, spec.initial)
    for s in sorted(names - reach):
        out.append(f"{spec.name}: state {s!r} is unreachable from {spec.initial!r}")
    for s in sorted(names):
        if s not in spec.finals and not (_reachable(spec, s) & spec.finals):
            out.append(f"{spec.name}: state {s!r} is a trap (no path to a final state)")
    for state, policy in spec.deadlines.items():
        if state not in names:
            out.append(f"{spec.name}: deadline policy for unknown state {state!r}")
        if state in spec.finals:
            out.append(f"{spec.name}: final state {state!r} opens a deadline")
        if policy.on_expiry and spec.transition(policy.on_expiry, state) is None:
            out.append(
                f"{spec.name}: deadline in {state!r} expires into {policy.on_expiry!r}, which that state cannot fire"
            )
        if not policy.rule_version:
            out.append(f"{spec.name}: deadline policy for {state!r} has no rule version")
        if policy.due_param:
            for tr in spec.transitions:
                p = tr.param(policy.due_param)
                if tr.dest == state and (p is None or p.type is not ParamType.DATE):
                    out.append(
                        f"{spec.name}: {tr.trigger!r} enters {state!r}, whose deadline takes its due date from "
                        f"{policy.due_param!r}, but does not take that date parameter"
                    )
    if spec.subject is Subject.PLACEMENT and not spec.individual:
        out.append(f"{spec.name}: a case about a placement is individual-level; mark it individual")
    if spec.mirrors_agreement and spec.subject is not Subject.AGREEMENT:
        out.append(f"{spec.name}: only a case about an agreement can mirror the agreement's status")
    return out


def _param_problems(spec: CaseTypeSpec, tr: Transition) -> list[str]:
    out: list[str] = []
    names = [p.name for p in tr.params]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        out.append(f"{spec.name}: {tr.trigger!r} declares parameter {dup!r} twice")
    for p in tr.params:
        where = f"{spec.name}: {tr.trigger!r} parameter {p.name!r}"
        if not isinstance(p.type, ParamType):
            out.append(f"{where} has unknown type {p.type!r}")
        elif p.type in _CHOICES and not p.choices:
            out.append(f"{where} is a {p.type} without allowed values")
        elif p.type not in _CHOICES and p.choices:
            out.append(f"{where} is {p.type} but lists allowed values")
        if len(set(p.choices)) != len(p.choices):
            out.append(f"{where} lists an allowed value twice")
        if p.years_ahead is not None and p.type is not ParamType.INT:
            out.append(f"{where} bounds years but is {p.type}")
        if offers_other(p):
            text = tr.param(other_text(p).name)
            if text is None or text.type is not ParamType.TEXT or text.required:
                out.append(f"{where} offers {OTHER!r} but the trigger takes no optional text {other_text(p).name!r}")
    return out


def _same_param_everywhere(spec: CaseTypeSpec) -> list[str]:
    """One name means one thing in a case type: the case's attributes keep one value per name."""
    first: dict[str, Param] = {}
    out: list[str] = []
    for tr in spec.transitions:
        for p in tr.params:
            seen = first.setdefault(p.name, p)
            if (seen.type, seen.choices, seen.column) != (p.type, p.choices, p.column):
                out.append(f"{spec.name}: parameter {p.name!r} of {tr.trigger!r} differs from its other declaration")
    return out


def validate(spec: CaseTypeSpec) -> CaseTypeSpec:
    """Return ``spec`` or raise :class:`UnsoundTable` listing every problem."""
    found = problems(spec)
    if found:
        raise UnsoundTable("; ".join(found))
    return spec


def _reachable(spec: CaseTypeSpec, start: str) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        s = queue.popleft()
        for tr in spec.transitions:
            if s in tr.source and tr.dest not in seen:
                seen.add(tr.dest)
                queue.append(tr.dest)
    return seen
