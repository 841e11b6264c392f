"""The actions of a case (åtgärder): every trigger from its state, and why one is not allowed.

Nothing is hidden: an action the user may not take says who may, in the page's language,
naming the delegation order's version and item where the step is a decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request

from api.web.viewer import locale_of
from states.registry import CASE_TYPES
from states.roles import STAFF_ROLES
from workflow import i18n
from workflow.cases.screens import CasePage


@dataclass(frozen=True, slots=True)
class ActionView:
    """One action button, or the reason it is not available."""

    trigger: str
    label: str
    decision: str | None
    allowed: bool
    reason: str | None


def _lower(name: str) -> str:
    """A role's name inside a sentence ("Enhetschef" → "enhetschef")."""
    return name[:1].lower() + name[1:]


def _roles(locale: str, roles: Any) -> str:
    _ = i18n.translations(locale).gettext
    names = [_lower(i18n.label(locale, "role", r)) for r in roles]
    if len(names) <= 1:
        return "".join(names)
    return _("%(some)s or %(last)s") % {"some": ", ".join(names[:-1]), "last": names[-1]}


def why_not(locale: str, found: CasePage, trigger: str, engine_reason: str | None) -> str:
    """The reason, in ``locale``, that ``trigger`` is not available on this case."""
    _ = i18n.translations(locale).gettext
    spec = CASE_TYPES[found.case["case_type"]]
    tr = spec.transition(trigger, found.case["status"])
    reason = engine_reason or ""
    if tr is None:
        return _("Not possible in this state.")
    if tr.system:
        return _("Happens by itself when the deadline passes.")
    if "in-house" in reason:
        return _("Not for in-house units (egen regi): there is no contract to enforce.")
    if tr.decision:
        kind = tr.decision.format(kind=found.case["kind"])
        rule = found.mandates.get(kind)
        if rule is None:
            return _("No delegation order in force covers this decision.")
        text = _("Requires %(roles)s – delegation order %(version)s item %(ref)s") % {
            "roles": _roles(locale, rule["delegates"]),
            "version": rule["version"],
            "ref": rule["ref"],
        }
        if rule["substitutes"]:
            text += " " + _("(substitute: %(roles)s)") % {"roles": _roles(locale, rule["substitutes"])}
        return text + "."
    return _("Requires the role %(roles)s.") % {"roles": _roles(locale, tr.roles or STAFF_ROLES)}


def action_views(request: Request[Any, Any, Any], found: CasePage) -> list[ActionView]:
    """Every action from the case's state, for the user of ``request``."""
    locale = locale_of(request)
    return [
        ActionView(
            o.trigger,
            i18n.label(locale, "trigger", o.label, o.label),
            o.decision,
            o.allowed,
            None if o.allowed else why_not(locale, found, o.trigger, o.why_not),
        )
        for o in found.options
    ]
