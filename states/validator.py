"""Proves a transition table sound before anything runs on it (validering).

A sound table has one initial state that is a member of its enum, every state
reachable from it, a path to a final state from every state (no trap states),
final states without outgoing transitions, only known guards, deadline policies
only on non-final states, expiry triggers that exist in the state they expire,
and vocabularies for the parameters it constrains.
"""

from __future__ import annotations

from collections import deque

from states.guards import GUARDS
from states.spec import CaseTypeSpec


class UnsoundTable(ValueError):
    """Raised when a case type's table fails validation."""


def problems(spec: CaseTypeSpec) -> list[str]:
    """Every reason the table is unsound, as sentences; empty when sound."""
    names = {s.value for s in spec.states}
    out: list[str] = []
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
            if g not in GUARDS:
                out.append(f"{spec.name}: {tr.trigger!r} uses unknown guard {g!r}")
        for s in tr.source:
            if s in spec.finals:
                out.append(f"{spec.name}: final state {s!r} has outgoing trigger {tr.trigger!r}")
            if (tr.trigger, s) in seen_pairs:
                out.append(f"{spec.name}: trigger {tr.trigger!r} is ambiguous in state {s!r}")
            seen_pairs.add((tr.trigger, s))
        if tr.decision and "{kind}" in tr.decision and not spec.kinds:
            out.append(f"{spec.name}: {tr.trigger!r} decision depends on kind but the type has no kinds")
        for p in tr.requires:
            if p not in tr.sets:
                out.append(f"{spec.name}: {tr.trigger!r} requires {p!r} but does not store it")
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
