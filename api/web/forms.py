"""The form of one action on a case (åtgärdsformulär): reason, registry number, parameters, and its date.

Every action has a date (Händelsedatum; for a decision Beslutsdatum), today unless the user
records something that happened earlier; a date more than ``UPPF_LATE_ENTRY_DAYS`` back needs
a reason for the late entry. Date parameters are judged against that date, as the engine does.

A refused or invalid submission re-renders the form with every value the user typed and a
Swedish message beside each field, with an error summary first (Försäkringskassan's pattern).
The version the user saw travels with the form, so a second submit of the same form, or a
colleague's change in between, writes nothing and says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from states.spec import OTHER, CaseTypeSpec, ParamType, Transition, offers_other, other_text
from workflow import i18n
from workflow.deadlines.calendar import local_date
from workflow.engine.errors import EventDateRefused
from workflow.engine.firing import REGISTRY_NUMBER
from workflow.i18n import N_
from workflow.settings import get_settings

_DATE = re.compile(r"^\s*(\d{4})[-/. ]?(\d{1,2})[-/. ]?(\d{1,2})\s*$")


@dataclass(frozen=True, slots=True)
class Field:
    """One input of the form."""

    name: str
    label: str
    kind: str  # text | textarea | date | eventdate | year | select | checkboxes
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    other_of: str = ""  # the closed list whose "other" this text describes (annat, nämligen)
    choose: bool = True  # a select starts with an empty "Choose" (False: its first choice is the default)


@dataclass(slots=True)
class Submission:
    """What the user typed, and what is wrong with it (field name → message); checkboxes give a list."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def fields(locale: str, spec: CaseTypeSpec, tr: Transition, decision: str | None) -> list[Field]:
    """The inputs of ``tr``: its parameters, the registry number for a decision, and the reason."""
    _ = i18n.translations(locale).gettext
    others = {other_text(p).name: p.name for p in tr.params if offers_other(p)}
    out = []
    for param in tr.params:
        name, required = param.name, param.required
        label = i18n.label(locale, "param", name)
        if param.type is ParamType.DATE:
            out.append(Field(name, label, "date", required, hint=_("For example 2026-12-24.")))
        elif param.type is ParamType.INT:
            out.append(Field(name, label, "year", required, hint=_("A year, for example 2027.")))
        elif param.type is ParamType.MULTI_CHOICE:
            choices = tuple((v, i18n.label(locale, "value", v)) for v in param.choices)
            out.append(Field(name, label, "checkboxes", required, choices, hint=_("Choose one or more.")))
        elif param.type is ParamType.CHOICE:
            choices = tuple((v, i18n.label(locale, "value", v)) for v in param.choices)
            out.append(Field(name, label, "select", required, choices))
        elif name in others:
            hint = _("Only when you choose Other: say in words what it is.")
            out.append(Field(name, label, "text", required, hint=hint, other_of=others[name]))
        else:
            out.append(Field(name, label, "textarea", required))
    if decision:
        out.append(
            Field(
                "registry_number",
                _("Registry number (diarienummer)"),
                "text",
                True,
                hint=_("For example SCN-2024-00112."),
            )
        )
    out.append(
        Field("reason", _("Reason"), "textarea", True, hint=_("Why, and what was done. Shown in the case's timeline."))
    )
    return out + event_inputs(locale, bool(decision))


def event_inputs(locale: str, decision: bool) -> list[Field]:
    """When it happened (Beslutsdatum for a decision, else Händelsedatum; empty is today) and a late-entry reason."""
    _ = i18n.translations(locale).gettext
    when = _("Decision date") if decision else _("Date it happened")
    hint = _("Today unless it happened earlier. For example 2026-12-24.")
    days = get_settings().late_entry_days
    late_hint = _("Needed only when the date is more than %(days)d days back.") % {"days": days}
    return [
        Field("occurred_on", when, "eventdate", False, hint=hint),
        Field("late_reason", _("Why it is recorded late"), "textarea", False, hint=late_hint),
    ]


#: The date rules (issue 13), by the rule that refused: the field the message stands beside, and the message.
DATE_MESSAGES = {
    "occurred_on_in_future": ("occurred_on", N_("The date is in the future: choose today or an earlier date.")),
    "occurred_on_before_opened": ("occurred_on", N_("The date is before the case was opened.")),
    "occurred_on_out_of_order": (
        "occurred_on",
        N_("The date is before the case's latest event. Record what happened in the order it happened."),
    ),
    "late_entry_needs_reason": (
        "late_reason",
        N_("The date is more than %(days)d days back: say why it is recorded late."),
    ),
}


def date_refusal(locale: str, exc: EventDateRefused) -> tuple[str, str]:
    """The field a refused date is shown beside, and the message, in ``locale``."""
    _ = i18n.translations(locale).gettext
    where, message = DATE_MESSAGES.get(
        str(exc.context.get("rule", "")), ("occurred_on", N_("The date cannot be used."))
    )
    return where, _(message) % {"days": exc.context.get("late_entry_days", 0)} if "%(" in message else _(message)


def parse_date(text: str) -> date | None:
    """A date typed as 2026-12-24, 2026/12/24, 2026.12.24 or 20261224; ``None`` if it is none of those."""
    m = _DATE.match(text)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _chosen(value: str | list[str] | None) -> list[str]:
    """The boxes ticked: a list of values, each once (one ticked box arrives as a plain string)."""
    given = [value] if isinstance(value, str) else list(value or [])
    return list(dict.fromkeys(v.strip() for v in given if v.strip()))


def check(locale: str, inputs: list[Field], form: Mapping[str, str | list[str]], today: date) -> Submission:
    """The submission with a message for every field that is missing or malformed.

    Dates in the parameters may not be before the action's own date (``occurred_on``, today when not given).
    """
    _ = i18n.translations(locale).gettext
    sub = Submission({})
    for f in inputs:
        given = form.get(f.name)
        if f.kind == "checkboxes":
            sub.values[f.name] = _chosen(given)
        else:
            sub.values[f.name] = (given if isinstance(given, str) else (given or [""])[-1]).strip()
    given_date = sub.values.get("occurred_on", "")
    happened = parse_date(given_date) if isinstance(given_date, str) else None
    base = happened if happened is not None and happened <= today else today
    for f in inputs:
        value = sub.values[f.name]
        if f.kind == "checkboxes":
            if not value and f.required:
                sub.errors[f.name] = _("Choose at least one of the alternatives.")
            elif set(value) - {c[0] for c in f.choices}:
                sub.errors[f.name] = _("Choose among the alternatives.")
            continue
        if f.other_of:
            chosen = sub.values.get(f.other_of)
            is_other = chosen == OTHER or (isinstance(chosen, list) and OTHER in chosen)
            if is_other and not value:
                sub.errors[f.name] = _("You chose Other: say in words what it is.")
                continue
            if value and not is_other:
                sub.errors[f.name] = _("Leave this empty unless you choose Other.")
                continue
        if not value:
            if f.required:
                sub.errors[f.name] = _("Fill in %(field)s.") % {"field": f.label.lower()}
            continue
        if f.kind == "eventdate":
            day = parse_date(value)
            if day is None:
                sub.errors[f.name] = _("Write the date as year-month-day, for example 2026-12-24.")
            elif day > today:
                sub.errors[f.name] = _("The date is in the future: choose today or an earlier date.")
            else:
                sub.values[f.name] = day.isoformat()
        elif f.kind == "date":
            day = parse_date(value)
            if day is None:
                sub.errors[f.name] = _("Write the date as year-month-day, for example 2026-12-24.")
            elif day < base:
                sub.errors[f.name] = _("The date has passed: choose today or a later date.")
            elif (day - today).days > 3 * 366:
                sub.errors[f.name] = _("The date is more than three years ahead.")
            else:
                sub.values[f.name] = day.isoformat()
        elif f.kind == "year":
            if not value.isdigit() or not base.year < int(value) <= base.year + 5:
                sub.errors[f.name] = _("Write a later year within five years, for example %(year)d.") % {
                    "year": base.year + 1
                }
        elif f.kind == "select" and value not in {c[0] for c in f.choices}:
            sub.errors[f.name] = _("Choose one of the alternatives.")
        elif f.name == "registry_number" and (not REGISTRY_NUMBER.match(value) or not any(c.isdigit() for c in value)):
            sub.errors[f.name] = _("Write the registry number as the registry gives it, for example SCN-2024-00112.")
        elif len(value) > 2000:
            sub.errors[f.name] = _("At most 2,000 characters.")
    return sub


def today_of(now: Any) -> date:
    """The Stockholm date of ``now``."""
    return local_date(now)
