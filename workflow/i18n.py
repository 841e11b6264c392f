"""Language (språk): one gettext catalogue for the whole product, Swedish first, English second.

Catalogues live in ``workflow/locale/<locale>/LC_MESSAGES/messages.po`` and are compiled in memory
with Babel on first use, so a fresh ``pip install -e .`` needs no build step. Source strings
are English; machine codes (states, triggers, kinds, roles) are translated with a context
(``pgettext("state", "reported")``) and fall back to a readable English label.

Updating the catalogue (documented in README.md)::

    python -m workflow.i18n extract                      # writes workflow/locale/messages.pot
    pybabel update -i workflow/locale/messages.pot -d workflow/locale --width 120 --ignore-obsolete
"""

from __future__ import annotations

import os
import sys
import unicodedata
from datetime import date, datetime, timedelta
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from workflow.clock import STOCKHOLM
from workflow.deadlines.calendar import local_date

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = ("sv", "en")
DEFAULT_LOCALE = "sv"
#: Babel locales used for dates and numbers.
_BABEL = {"sv": "sv_SE", "en": "en_GB"}
#: Contexts of machine codes whose labels live in the catalogue.
CODE_CONTEXTS = ("case type", "state", "trigger", "kind", "deadline", "decision", "role", "param", "value")


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it here."""
    return message


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of ``locale`` (English source strings when it has none)."""
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale not in LOCALES or not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def negotiate(choice: str | None, accept_language: str | None) -> str:
    """The locale to use: the user's choice if known, else the best of ``Accept-Language``, else Swedish."""
    if choice in LOCALES:
        return choice
    preferred = []
    for part in (accept_language or "").split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if tag and weight > 0:
            preferred.append((weight, tag.replace("-", "_")))
    ordered = [tag for _, tag in sorted(preferred, key=lambda p: -p[0])]
    found = Locale.negotiate(ordered, list(LOCALES), sep="_") if ordered else None
    return found.language if found else DEFAULT_LOCALE


def gettext(locale: str, message: str) -> str:
    """``message`` in ``locale``."""
    return str(translations(locale).gettext(message))


#: The environment variable that chooses the command line's language (Swedish unless it says ``en``).
CLI_LANGUAGE_ENV = "UPPF_CLI_LANGUAGE"


def cli_locale() -> str:
    """The command line's language: ``UPPF_CLI_LANGUAGE`` when it names a catalogue locale, else Swedish."""
    locale = os.environ.get(CLI_LANGUAGE_ENV, DEFAULT_LOCALE)
    return locale if locale in LOCALES else DEFAULT_LOCALE


#: The modules of click whose words a person reads (usage, options, errors); each binds gettext as ``_``.
CLICK_MODULES = ("core", "exceptions", "types", "decorators", "formatting", "parser", "termui", "utils")


def localise_click(locale: str | None = None) -> None:
    """Click's own words ("Usage:", "Options", "Error: …") from the product's catalogue, in the CLI's language.

    Click marks them for gettext; the catalogue holds them (extracted from click by :func:`extract`).
    """
    import importlib

    def chosen() -> str:
        return locale or cli_locale()  # asked at each message: the language may be chosen after import

    def click_gettext(message: str) -> str:
        return str(translations(chosen()).gettext(message))

    def click_ngettext(singular: str, plural: str, n: int) -> str:
        return str(translations(chosen()).ngettext(singular, plural, n))

    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        module._ = click_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = click_ngettext  # type: ignore[attr-defined]


def say(text: str, **values: object) -> str:
    """``text`` (marked with :func:`N_`) from the catalogue in the command line's language, filled in.

    Every CLI message and help text meant for a person goes through here; a literal ``%`` is written ``%%``.
    """
    return gettext(cli_locale(), text) % values


@lru_cache(maxsize=4096)  # pages show the same few states, types and roles on every row
def label(locale: str, context: str, code: str | None, fallback: str | None = None) -> str:
    """The readable label of a machine code (``context`` is one of :data:`CODE_CONTEXTS`)."""
    if not code:
        return ""
    text = str(translations(locale).pgettext(context, code))
    if text != code:
        return text
    return fallback or code.replace("_", " ").capitalize()


#: Swedish alphabetical order: å, ä and ö are letters of their own after z (æ and ø sort as ä and ö).
_SWEDISH_LETTERS = str.maketrans({"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}"})  # the characters after z


def collation_key(locale: str, text: str) -> str:
    """A key that sorts ``text`` alphabetically in the locale's order, ignoring case (Swedish: Å, Ä, Ö after Z,
    other accents as their base letter, é as e)."""
    folded = text.casefold()
    if locale == "sv":
        folded = folded.translate(_SWEDISH_LETTERS)
    return "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))


def due_date(due_at: datetime) -> date:
    """The calendar date a deadline falls due: it ends at the next local midnight, so one instant earlier."""
    return local_date(due_at - timedelta(microseconds=1))


@lru_cache(maxsize=4096)  # Babel formats a date in tens of microseconds; a list shows the same few days again and again
def format_day(locale: str, day: date, form: str = "medium") -> str:
    """A date in the locale's form (sv-SE: ``7 dec. 2026``; ``short``: ``2026-12-07``)."""
    return _format_date(day, format=form, locale=_BABEL.get(locale, "sv_SE"))


def format_instant(locale: str, instant: datetime) -> str:
    """An instant in Stockholm time, e.g. ``2026-12-07 14:05``."""
    return _format_datetime(
        instant.astimezone(STOCKHOLM), format="yyyy-MM-dd HH:mm", locale=_BABEL.get(locale, "sv_SE")
    )


@lru_cache(maxsize=4096)
def format_number(locale: str, number: float) -> str:
    """A number with the locale's grouping (sv-SE: ``12 345``)."""
    return format_decimal(number, locale=_BABEL.get(locale, "sv_SE"))


def code_messages() -> list[tuple[str, str, str]]:
    """Every machine code whose label the catalogue holds: ``(context, code, English label)``."""
    from states.registry import CASE_TYPES
    from states.roles import OWNER, PROVIDER, RESPONSIBLE_ROLE, Role

    out: dict[tuple[str, str], str] = {}
    for name, spec in CASE_TYPES.items():
        out[("case type", name)] = spec.label.split(" (")[0]
        for state in spec.states:
            out.setdefault(("state", state.value), state.value.replace("_", " ").capitalize())
        for kind in spec.kinds:
            out.setdefault(("kind", kind), kind.replace("_", " ").capitalize())
        for tr in spec.transitions:
            out.setdefault(("trigger", tr.label or tr.trigger), tr.label or tr.trigger)
            if tr.decision:
                for kind in spec.kinds or ("",):
                    code = tr.decision.format(kind=kind)
                    out.setdefault(("decision", code), code.replace("_", " ").capitalize())
            for param in tr.params:
                out.setdefault(("param", param.name), param.name.replace("_", " ").capitalize())
                for value in param.choices:
                    out.setdefault(("value", value), value.replace("_", " ").capitalize())
        for policy in spec.deadlines.values():
            out.setdefault(("deadline", policy.kind), policy.kind.replace("_", " ").capitalize())
    for role in Role:
        out[("role", role.value)] = role.value.replace("_", " ").capitalize()
    # The names a ladder tells besides roles (states.roles), as a reminder's "escalated to" names them.
    out[("role", OWNER)] = "Case owner"
    out[("role", PROVIDER)] = "Provider contact"
    out[("role", RESPONSIBLE_ROLE)] = "Responsible role"
    return sorted((ctx, code, text) for (ctx, code), text in out.items())


def extract(target: Path = LOCALE_DIR / "messages.pot") -> int:
    """Write the catalogue template: strings marked in code and templates, plus every machine code."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import write_po

    root = Path(__file__).resolve().parent.parent
    catalog = Catalog(project="uppfoljning", msgid_bugs_address="")
    method_map = [("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2"), ("**.py", "python")]
    jinja = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
    options = {"**/templates/**.html": jinja, "**/templates/**.txt": jinja}
    keywords = {
        "_": None,
        "gettext": None,
        "N_": None,
        "ngettext": (1, 2),
        "pgettext": ((1, "c"), 2),
        "Msg": None,  # workflow.reports.model: texts of reports
        "Plural": (1, 2),
    }
    for folder in ("api", "scheduler", "workflow"):
        for filename, lineno, message, comments, context in extract_from_dir(
            root / folder, method_map, options, keywords=keywords, strip_comment_tags=True
        ):
            catalog.add(message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments, context=context)
    import click

    click_dir = Path(click.__file__).resolve().parent
    for filename, lineno, message, comments, context in extract_from_dir(
        click_dir, [("**.py", "python")], keywords={"_": None, "ngettext": (1, 2)}
    ):
        if filename.removesuffix(".py") in CLICK_MODULES:
            catalog.add(message, None, [(f"click/{filename}", lineno)], auto_comments=comments, context=context)
    for context, code, english in code_messages():
        catalog.add(code, None, auto_comments=[english], context=context)
    with target.open("wb") as fh:
        write_po(fh, catalog, width=120, sort_output=True)
    return len(catalog)


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    if sys.argv[1:] != ["extract"]:
        sys.exit("usage: python -m workflow.i18n extract")
    print(f"{extract()} messages written to {LOCALE_DIR / 'messages.pot'}")
