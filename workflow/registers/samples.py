"""Valid example parameters and paths through the tables (for the demo, tests and benchmarks).

Example values follow each parameter's typed declaration in ``states``.
"""

from __future__ import annotations

from collections import deque
from datetime import date, timedelta
from typing import Any

from states import vocab
from states.spec import OTHER, CaseTypeSpec, Param, ParamType, Transition, offers_other, other_text

#: Free text that reads like what a case handler would write.
_TEXT: dict[str, str] = {"evidence": "IVO decision and site-visit notes on file"}

#: What an example "other" is, in words.
_OTHER_TEXT = "Another reason, described in the decision"

_PINNED: dict[str, tuple[str, str]] = {
    "outcome_is_no_remarks": ("outcome", "no_remarks"),
    "outcome_is_remarks": ("outcome", "remarks"),
}


def sample_params(spec: CaseTypeSpec, tr: Transition, in_house: bool, today: date, seed: int = 0) -> dict[str, Any]:
    """Parameters that satisfy ``tr``'s declaration (the ``seed`` varies vocabulary choices)."""
    out: dict[str, Any] = {}
    for p in tr.params:
        if p.required:
            out[p.name] = _example(p, tr, in_house, today, seed)
    for guard in tr.guards:  # a guard that pins a parameter's value decides it
        if guard in _PINNED:
            out[_PINNED[guard][0]] = _PINNED[guard][1]
    for p in tr.params:  # "other" says in words what it is
        chosen = out.get(p.name)
        if offers_other(p) and (chosen == OTHER or (isinstance(chosen, list) and OTHER in chosen)):
            out[other_text(p).name] = _OTHER_TEXT
    return out


def _example(p: Param, tr: Transition, in_house: bool, today: date, seed: int) -> Any:
    if p.type is ParamType.DATE:
        return (today + timedelta(days=14 + seed % 7)).isoformat()
    if p.type is ParamType.INT:
        return today.year + (p.years_ahead[0] if p.years_ahead else 0)
    if p.type is ParamType.BOOL:
        return seed % 2 == 0
    if p.type is ParamType.TEXT:
        return _TEXT.get(p.name, f"Example {p.label or p.name}")
    options = p.choices
    if "outcome_matches_regime" in tr.guards and p.name == "outcome":
        options = vocab.MANDATE_OUTCOMES if in_house else vocab.CONTRACT_OUTCOMES
    choice = options[seed % len(options)]
    if p.type is not ParamType.MULTI_CHOICE:
        return choice
    if seed % 4 == 0 and len(options) > 1:  # now and then two reasons, as a visit cancelled and then an expiry
        second = options[(seed + 1) % len(options)]
        return [c for c in options if c in (choice, second)]
    return [choice]


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
