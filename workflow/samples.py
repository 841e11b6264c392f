"""Valid example parameters and paths through the tables (for the demo, tests and benchmarks)."""

from __future__ import annotations

from collections import deque
from datetime import date, timedelta
from typing import Any

from states import vocab
from states.spec import CaseTypeSpec, Transition

_FIXED: dict[str, Any] = {
    "not_performed_reason": "terminated_before",
    "reason_code": "pending_investigation",
    "evidence": "IVO decision and site-visit notes on file",
    "termination_reason": "wound_down",
    "initiator": "municipality",
    "rescission_ground": "unremedied_findings",
    "topic": "routine_missing",
}


_PINNED: dict[str, tuple[str, str]] = {
    "outcome_is_no_remarks": ("outcome", "no_remarks"),
    "outcome_is_remarks": ("outcome", "remarks"),
}


def sample_params(spec: CaseTypeSpec, tr: Transition, in_house: bool, today: date, seed: int = 0) -> dict[str, Any]:
    """Parameters that satisfy ``tr``'s declaration (the ``seed`` varies vocabulary choices)."""
    out: dict[str, Any] = {}
    for name in tr.requires:
        if name == "outcome":
            options: tuple[str, ...] = vocab.MANDATE_OUTCOMES if in_house else vocab.CONTRACT_OUTCOMES
            out[name] = options[seed % len(options)]
        elif name in ("response_due", "due_date", "scheduled_for"):
            out[name] = (today + timedelta(days=14 + seed % 7)).isoformat()
        elif name == "deferred_to_year":
            out[name] = today.year + 1
        elif name in spec.vocabularies:
            options = tuple(spec.vocabularies[name])
            out[name] = options[seed % len(options)]
        else:
            out[name] = _FIXED[name]
    for guard in tr.guards:  # a guard that pins a parameter's value decides it
        if guard in _PINNED:
            out[_PINNED[guard][0]] = _PINNED[guard][1]
    return out


def path_to(
    spec: CaseTypeSpec, target: str, in_house: bool = False, avoid: frozenset[str] = frozenset()
) -> list[Transition]:
    """The shortest list of transitions from the initial state to ``target`` (contractual ones skipped in-house)."""
    prev: dict[str, tuple[str, Transition] | None] = {spec.initial: None}
    queue = deque([spec.initial])
    while queue:
        s = queue.popleft()
        if s == target:
            break
        for tr in spec.triggers_from(s):
            if (in_house and tr.contractual) or tr.trigger in avoid or tr.dest in prev:
                continue
            prev[tr.dest] = (s, tr)
            queue.append(tr.dest)
    if target not in prev:
        raise ValueError(f"{spec.name}: {target!r} is not reachable" + (" in-house" if in_house else ""))
    path: list[Transition] = []
    node = target
    while prev[node] is not None:
        s, tr = prev[node]  # type: ignore[misc]
        path.append(tr)
        node = s
    return list(reversed(path))
