"""Cleaning trigger parameters against the typed declarations in ``states`` (parametrar).

Every refusal names the field and, for closed vocabularies, the allowed values; a
refusal is raised before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from states.registry import CASE_TYPES
from states.spec import OTHER, Param, ParamType, Transition, offers_other, other_text
from workflow.engine.errors import InvalidInput

MAX_TEXT = 2000
#: How far ahead a date parameter may lie (a response deadline, a visit, a due date).
DATE_HORIZON_DAYS = 3 * 366

#: Every date parameter any case type declares (opening a case may give its first due date).
DATE_PARAMS = frozenset(
    p.name for spec in CASE_TYPES.values() for tr in spec.transitions for p in tr.params if p.type is ParamType.DATE
) | frozenset(
    policy.due_param for spec in CASE_TYPES.values() for policy in spec.deadlines.values() if policy.due_param
)


@dataclass(frozen=True, slots=True)
class ParamField:
    """A parameter as a form asks for it today: its declaration and the bounds cleaning will apply."""

    name: str
    type: str
    label: str
    required: bool
    allowed_values: tuple[str, ...]
    minimum: str | int | None = None
    maximum: str | int | None = None


def form_field(p: Param, today: date, earliest: date | None = None) -> ParamField:
    """The form field for ``p`` on ``today`` (dates as ISO text).

    A date parameter is judged against the day the step happened (``occurred_on``), which may be as early as
    ``earliest`` (the case's latest event), so that is its lower bound; cleaning then applies the exact one.
    """
    low: str | int | None = None
    high: str | int | None = None
    if p.type is ParamType.DATE:
        low, high = (earliest or today).isoformat(), (today + timedelta(days=DATE_HORIZON_DAYS)).isoformat()
    elif p.years_ahead is not None:
        low, high = today.year + p.years_ahead[0], today.year + p.years_ahead[1]
    return ParamField(p.name, p.type.value, p.label, p.required, p.choices, low, high)


def event_fields(decision: bool, earliest: date, today: date) -> tuple[ParamField, ...]:
    """The two fields every step takes besides its parameters: when it happened and why it is recorded late."""
    when = "Decision date (beslutsdatum)" if decision else "Date it happened (händelsedatum)"
    return (
        ParamField("occurred_on", ParamType.DATE.value, when, False, (), earliest.isoformat(), today.isoformat()),
        ParamField(
            "late_reason", ParamType.TEXT.value, "Why it is recorded late (skäl för sen registrering)", False, ()
        ),
    )


#: Parameters that became multi-valued: the old single name is still accepted as a one-element list.
RENAMED = {
    "not_performed_reason": ("not_performed_reasons", True),
    "not_performed_reason_other": ("not_performed_reasons_other", False),
}


def clean(tr: Transition, params: dict[str, Any] | None, today: date) -> dict[str, Any]:
    """Return the parameters as stored (dates as ISO text), or raise :class:`InvalidInput` saying why.

    ``today`` is the day the step happened (its ``occurred_on``): a date before it is "in the past".
    """
    params = dict(params or {})
    for old, (new, listed) in RENAMED.items():  # clients written against the single-valued name keep working
        if old in params and old not in tr.accepts and new in tr.accepts and new not in params:
            value = params.pop(old)
            params[new] = [value] if listed and not isinstance(value, list) else value
    unknown = set(params) - set(tr.accepts)
    if unknown:
        allowed = ", ".join(tr.accepts) or "none"
        raise InvalidInput(f"{tr.trigger!r} takes no parameter(s) {sorted(unknown)}; allowed: {allowed}")
    missing = [p for p in tr.requires if params.get(p) in (None, "", [])]
    if missing:
        raise InvalidInput(f"{tr.trigger!r} requires {', '.join(missing)}")
    out: dict[str, Any] = {}
    for p in tr.params:
        value = params.get(p.name)
        if value is None:
            continue
        out[p.name] = _CLEANERS[p.type](p, value, today)
    for p in tr.params:
        if offers_other(p):
            _other_with_text(p, out)
    return out


def _other_with_text(p: Param, cleaned: dict[str, Any]) -> None:
    """``other`` needs its free text (annat, nämligen), and the text belongs to ``other`` only (rule ``other_text``)."""
    text = other_text(p).name
    chosen = cleaned.get(p.name)
    is_other = chosen == OTHER or (isinstance(chosen, list) and OTHER in chosen)
    if is_other and text not in cleaned:
        raise InvalidInput(f"{p.name} {OTHER!r} needs {text}: say in words what it is", rule="other_text", field=text)
    if not is_other and text in cleaned:
        raise InvalidInput(f"{text} is only given when {p.name} is {OTHER!r}", rule="other_text", field=text)


def columns(tr: Transition, params: dict[str, Any]) -> dict[str, Any]:
    """The case columns a set of cleaned parameters updates (as each parameter's declaration says)."""
    cols: dict[str, Any] = {}
    for p in tr.params:
        if p.column is not None and p.name in params:
            cols[p.column] = params[p.name]
    return cols


def _text(p: Param, value: Any, today: date) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise InvalidInput(f"{p.name} must be non-empty text of at most {MAX_TEXT} characters")
    return value.strip()


def _date(p: Param, value: Any, today: date) -> str:
    try:
        d = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput(f"{p.name} must be an ISO date (YYYY-MM-DD), got {value!r}") from exc
    if d < today:
        raise InvalidInput(f"{p.name} {d.isoformat()} is in the past")
    if (d - today).days > DATE_HORIZON_DAYS:
        raise InvalidInput(f"{p.name} {d.isoformat()} is more than three years ahead")
    return d.isoformat()


def _int(p: Param, value: Any, today: date) -> int:
    what = "a year" if p.years_ahead else "a whole number"
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"{p.name} must be {what}")
    try:
        number = int(value)
    except ValueError as exc:
        raise InvalidInput(f"{p.name} must be {what}, got {value!r}") from exc
    if p.years_ahead is not None:
        low, high = today.year + p.years_ahead[0], today.year + p.years_ahead[1]
        if not low <= number <= high:
            raise InvalidInput(f"{p.name} must be a year from {low} to {high}, got {number}")
    return number


def _bool(p: Param, value: Any, today: date) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise InvalidInput(f"{p.name} must be true or false, got {value!r}")


def _choice(p: Param, value: Any, today: date) -> str:
    if not isinstance(value, str) or value not in p.choices:
        raise InvalidInput(f"{p.name} {value!r} is not one of: {', '.join(p.choices)}")
    return value


def _multi_choice(p: Param, value: Any, today: date) -> list[str]:
    """A list of codes from the closed vocabulary: at least one when required, each once, kept in vocabulary order."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{p.name} must be a list of values from: {', '.join(p.choices)}")
    wrong = [v for v in value if v not in p.choices]
    if wrong:
        raise InvalidInput(f"{p.name} {', '.join(map(repr, wrong))} not among: {', '.join(p.choices)}")
    if p.required and not value:
        raise InvalidInput(f"{p.name} needs at least one of: {', '.join(p.choices)}")
    twice = sorted({v for v in value if list(value).count(v) > 1})
    if twice:
        raise InvalidInput(f"{p.name} names {', '.join(map(repr, twice))} more than once")
    return [c for c in p.choices if c in value]  # vocabulary order


_CLEANERS: dict[ParamType, Callable[[Param, Any, date], Any]] = {
    ParamType.TEXT: _text,
    ParamType.DATE: _date,
    ParamType.INT: _int,
    ParamType.BOOL: _bool,
    ParamType.CHOICE: _choice,
    ParamType.MULTI_CHOICE: _multi_choice,
}
