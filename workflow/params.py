"""Validation of trigger parameters against a transition's declaration (parametrar)."""

from __future__ import annotations

from datetime import date
from typing import Any

from states.spec import CaseTypeSpec, Transition
from workflow.errors import InvalidInput

DATE_PARAMS = frozenset({"response_due", "due_date", "scheduled_for"})
INT_PARAMS = frozenset({"deferred_to_year"})
#: Parameters stored in the case's ``reason_code`` column (and in its attributes).
REASON_PARAMS = frozenset({"reason_code", "termination_reason", "rescission_ground", "not_performed_reason"})
COLUMN_PARAMS = frozenset({"outcome", "topic", "initiator"})


def clean(spec: CaseTypeSpec, tr: Transition, params: dict[str, Any] | None, today: date) -> dict[str, Any]:
    """Return the parameters as stored (dates as ISO text), or raise :class:`InvalidInput` saying why."""
    params = dict(params or {})
    unknown = set(params) - set(tr.sets)
    if unknown:
        allowed = ", ".join(tr.sets) or "none"
        raise InvalidInput(f"{tr.trigger!r} takes no parameter(s) {sorted(unknown)}; allowed: {allowed}")
    missing = [p for p in tr.requires if params.get(p) in (None, "")]
    if missing:
        raise InvalidInput(f"{tr.trigger!r} requires {', '.join(missing)}")
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is None:
            continue
        if name in DATE_PARAMS:
            out[name] = _date(name, value, today).isoformat()
        elif name in INT_PARAMS:
            out[name] = _year(name, value, today)
        else:
            if not isinstance(value, str) or not value.strip() or len(value) > 2000:
                raise InvalidInput(f"{name} must be non-empty text of at most 2000 characters")
            vocab = spec.vocabularies.get(name)
            if vocab is not None and value not in vocab:
                raise InvalidInput(f"{name} {value!r} is not one of: {', '.join(vocab)}")
            out[name] = value.strip()
    return out


def _date(name: str, value: Any, today: date) -> date:
    try:
        d = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput(f"{name} must be an ISO date (YYYY-MM-DD), got {value!r}") from exc
    if d < today:
        raise InvalidInput(f"{name} {d.isoformat()} is in the past")
    if (d - today).days > 3 * 366:
        raise InvalidInput(f"{name} {d.isoformat()} is more than three years ahead")
    return d


def _year(name: str, value: Any, today: date) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"{name} must be a year")
    try:
        year = int(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a year, got {value!r}") from exc
    if not today.year < year <= today.year + 5:
        raise InvalidInput(f"{name} must be a later year within five years, got {year}")
    return year


def columns(params: dict[str, Any]) -> dict[str, Any]:
    """The case columns a set of cleaned parameters updates."""
    cols: dict[str, Any] = {}
    for name, value in params.items():
        if name in REASON_PARAMS:
            cols["reason_code"] = value
        elif name in COLUMN_PARAMS:
            cols[name] = value
    return cols
