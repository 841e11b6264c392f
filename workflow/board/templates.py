"""Board-matter templates (mallar för tjänsteutlåtanden): shipped Swedish defaults, edited versions, the sandbox.

A template is the body of a board matter: Jinja2 with the gettext extension, so the shipped texts are
catalogue strings (Swedish by default, English second). A municipality edits a copy; every edit is a new
stored version (``board_template``), and the shipped template is version 0. Every template, shipped or
edited, is rendered in Jinja2's immutable sandbox with autoescaping: an edited template may read the
matter's data and format it, and nothing else. A template that reaches for Python internals (an
attribute or key starting with ``_``), includes other files or fails to parse is refused when it is
saved; anything the sandbox stops at render time is refused when the matter is generated.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from workflow import i18n
from workflow.clock import STOCKHOLM
from workflow.engine.errors import InvalidInput

SHIPPED = Path(__file__).parent / "templates"
#: The kinds of board matter: three reports and a single termination or rescission put to the board.
MATTER_TYPES = ("annual", "terminations", "decisions", "termination")
#: The report each report matter is built from (the report query functions' names).
REPORT_OF = {"annual": "annual", "terminations": "terminations", "decisions": "decisions"}
#: The version number of the template shipped with the product.
SHIPPED_VERSION = 0
MAX_SOURCE = 100_000


def require_type(matter_type: str) -> None:
    """Refuse an unknown matter type, naming the ones there are."""
    if matter_type not in MATTER_TYPES:
        raise InvalidInput(
            f"unknown board matter type {matter_type!r}; one of {', '.join(MATTER_TYPES)}", rule="matter_type"
        )


def shipped_source(matter_type: str) -> str:
    """The product's own Swedish template of ``matter_type`` (version 0)."""
    require_type(matter_type)
    return (SHIPPED / f"{matter_type}.html").read_text(encoding="utf-8")


def _day(value: Any, locale: str, form: str = "short") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        day = value.astimezone(STOCKHOLM).date()
    else:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return i18n.format_day(locale, day, form)


def _number(value: Any, locale: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, int | float | Decimal):
        return i18n.format_number(locale, float(value) if isinstance(value, Decimal) else value)
    return str(value)


@lru_cache(maxsize=len(i18n.LOCALES))
def sandbox(locale: str) -> ImmutableSandboxedEnvironment:
    """The sandboxed environment every board-matter template renders in, with the catalogue of ``locale``."""
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.policies["ext.i18n.trimmed"] = True
    env.filters["label"] = lambda code, context: i18n.label(locale, context, code)
    env.filters["day"] = lambda value, form="short": _day(value, locale, form)
    env.filters["number"] = lambda value: _number(value, locale)
    env.filters["text"] = lambda value: "" if value is None else i18n.gettext(locale, str(value))
    return env


def _unsafe_name(node: nodes.Node) -> str | None:
    """The name an attribute, key or ``attr`` filter reaches for when it is private (starts with ``_``)."""
    if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
        return node.attr
    if (
        isinstance(node, nodes.Getitem)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
        and node.arg.value.startswith("_")
    ):
        return node.arg.value
    if isinstance(node, nodes.Filter) and node.name == "attr":
        for arg in node.args:
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str) and arg.value.startswith("_"):
                return arg.value
    return None


def check(source: str) -> None:
    """Refuse a template that does not parse, is too long, includes files or reaches for Python internals."""
    if not source.strip():
        raise InvalidInput("the template is empty", rule="template_syntax")
    if len(source) > MAX_SOURCE:
        raise InvalidInput(f"the template is longer than {MAX_SOURCE} characters", rule="template_syntax")
    try:
        tree = sandbox("sv").parse(source)
    except TemplateSyntaxError as exc:
        raise InvalidInput(
            f"the template does not parse: {exc.message} (line {exc.lineno})", rule="template_syntax"
        ) from exc
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        raise InvalidInput(
            f"a board-matter template may not {type(node).__name__.lower()} other templates (line {node.lineno})",
            rule="template_unsafe",
        )
    for found in tree.find_all(nodes.Node):
        name = _unsafe_name(found)
        if name is not None:
            raise InvalidInput(
                f"the template reaches for {name!r} (line {found.lineno}): names starting with '_' are Python "
                "internals, closed to templates",
                rule="template_unsafe",
            )


def render(source: str, context: dict[str, Any], locale: str) -> str:
    """The template rendered in the sandbox; what the sandbox stops or the template gets wrong is refused."""
    env = sandbox(locale)
    try:
        return env.from_string(source).render(context)
    except SecurityError as exc:
        raise InvalidInput(f"the template was stopped by the sandbox: {exc}", rule="template_unsafe") from exc
    except TemplateError as exc:
        raise InvalidInput(f"the template could not be rendered: {exc}", rule="template_error") from exc
