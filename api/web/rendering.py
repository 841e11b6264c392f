"""Templates (mallar): the Jinja2 environment with the product's catalogue and sv-SE formatting.

The locale travels in each page's context (``locale``); ``_()``, ``pgettext`` and the
filters read it from there, so one environment serves every language at once.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from states.registry import CASE_TYPES
from workflow import i18n
from workflow.deadlines.calendar import local_date

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"


def _locale(ctx: Context) -> str:
    return str(ctx.get("locale") or i18n.DEFAULT_LOCALE)


@pass_context
def _gettext(ctx: Context, message: str) -> str:
    return i18n.translations(_locale(ctx)).gettext(message)


@pass_context
def _ngettext(ctx: Context, singular: str, plural: str, n: int) -> str:
    return i18n.translations(_locale(ctx)).ngettext(singular, plural, n)


@pass_context
def _pgettext(ctx: Context, context: str, message: str) -> str:
    return str(i18n.translations(_locale(ctx)).pgettext(context, message))


@pass_context
def _npgettext(ctx: Context, context: str, singular: str, plural: str, n: int) -> str:
    return str(i18n.translations(_locale(ctx)).npgettext(context, singular, plural, n))


@pass_context
def _label(ctx: Context, code: str | None, context: str, fallback: str | None = None) -> str:
    return i18n.label(_locale(ctx), context, code, fallback)


@pass_context
def _day(ctx: Context, value: date | datetime | None, form: str = "medium") -> str:
    if value is None:
        return ""
    day = i18n.due_date(value) if isinstance(value, datetime) else value
    return i18n.format_day(_locale(ctx), day, form)


@pass_context
def _instant(ctx: Context, value: datetime | None) -> str:
    return i18n.format_instant(_locale(ctx), value) if value else ""


@pass_context
def _number(ctx: Context, value: float | None) -> str:
    return i18n.format_number(_locale(ctx), value or 0)


def _days_late(due_at: datetime, now: datetime) -> int:
    """Calendar days from a deadline's due date to today in Stockholm: positive late, zero today, negative left."""
    return (local_date(now) - i18n.due_date(due_at)).days


@pass_context
def _lateness(ctx: Context, due_at: datetime, now: datetime) -> Markup:
    """A deadline's tag: days overdue, due today or days left (a list shows one per row, so not a macro)."""
    return _lateness_tag(_locale(ctx), _days_late(due_at, now))


@lru_cache(maxsize=2048)  # a list shows the same few day counts again and again
def _lateness_tag(locale: str, days: int) -> Markup:
    catalogue = i18n.translations(locale)
    if days > 0:
        text, kind = catalogue.ngettext("%(num)d day overdue", "%(num)d days overdue", days) % {"num": days}, "late"
    elif days == 0:
        text, kind = catalogue.gettext("Due today"), "soon"
    else:
        text, kind = catalogue.ngettext("%(num)d day left", "%(num)d days left", -days) % {"num": -days}, "soon"
    return Markup('<span class="tag tag--%s">%s</span>') % (kind, text)


@pass_context
def _case_link(ctx: Context, case_id: int, case_type: str, title: str | None) -> Markup:
    """A link to a case by its type and number, with its title below when it has one."""
    kind = escape(i18n.label(_locale(ctx), "case type", case_type))
    link = f'<a href="/arenden/{int(case_id)}">{kind} {int(case_id)}</a>'
    return Markup(f'{link}<br><span class="muted">{escape(title)}</span>' if title else link)


def _label_key(locale: str, context: str, code: str) -> str:
    """What sorts a machine code by its label in ``locale``, alphabetically (:func:`workflow.i18n.collation_key`)."""
    return i18n.collation_key(locale, i18n.label(locale, context, code))


@pass_context
def _alphabetical(ctx: Context, codes: list[str], context: str) -> list[str]:
    """Machine codes in the alphabetical order of their labels in the page's language (a select list's options)."""
    locale = _locale(ctx)
    return sorted(codes, key=lambda code: _label_key(locale, context, code))


@pass_context
def _by_case_type(ctx: Context, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with ``case_type`` (and ``status``) in the order a reader looks for them: case types alphabetically by
    their name in the page's language, and a case type's states in the order its cases pass through them."""
    locale = _locale(ctx)

    def key(row: dict[str, Any]) -> tuple[str, int, str]:
        case_type, status = row["case_type"], row.get("status")
        return _label_key(locale, "case type", case_type), _lifecycle_position(case_type, status), status or ""

    return sorted(rows, key=key)


def _lifecycle_position(case_type: str, status: str | None) -> int:
    """Where ``status`` stands among its case type's states as the state machine lists them (unknown ones last)."""
    spec = CASE_TYPES.get(case_type)
    names = [s.value for s in spec.states] if spec else []
    return names.index(status) if status in names else len(names)


class _RowEnvironment(Environment):
    """Jinja's environment, looking up ``row.name`` in a dict by key first.

    Query functions answer rows as dicts (the API serialises the same ones), and Jinja tries an attribute
    first: each ``c.id`` raised and caught an ``AttributeError`` before the key was read, a third of a
    50-row list's render. A dict's key now shadows a method of the same name (no row has one).
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def _options(rows: list[dict[str, Any]], selected: int | None, text: str = "name") -> Markup:
    """A select list's options from rows with ``id`` and ``text``, the ``selected`` one marked (a board has
    hundreds of providers: a Jinja loop over them took a quarter of the case list's render)."""
    return Markup(
        "".join(
            f'<option value="{escape(r["id"])}"{" selected" if r["id"] == selected else ""}>{escape(r[text])}</option>'
            for r in rows
        )
    )


def environment() -> Environment:
    """The environment every staff page renders with (autoescaped, strict about unknown names)."""
    env = _RowEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    env.policies["ext.i18n.trimmed"] = True
    env.filters.update(
        label=_label,
        day=_day,
        instant=_instant,
        number=_number,
        by_case_type=_by_case_type,
        alphabetical=_alphabetical,
    )
    env.globals.update(days_late=_days_late, lateness=_lateness, case_link=_case_link, options=_options)
    return env
