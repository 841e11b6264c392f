"""The product's catalogue: complete in Swedish, up to date with the code, sv-SE dates and numbers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from babel.messages.pofile import read_po

from workflow import i18n
from workflow.clock import STOCKHOLM
from workflow.deadlines.calendar import end_of_day


def _catalogue(locale: str) -> object:
    with (i18n.LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def _keys(catalog: object) -> set[tuple[str | None, str]]:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}  # type: ignore[attr-defined]


def test_every_swedish_entry_is_translated_and_none_is_fuzzy() -> None:
    catalog = _catalogue("sv")
    untranslated = [
        m.id
        for m in catalog  # type: ignore[attr-defined]
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy)
    ]
    assert untranslated == []


def test_the_catalogues_hold_every_text_of_the_code_and_every_machine_code(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    i18n.extract(pot)
    with pot.open("rb") as fh:
        wanted = _keys(read_po(fh))
    for locale in i18n.LOCALES:
        missing = wanted - _keys(_catalogue(locale))
        assert missing == set(), f"{locale}: run the update command in README.md ({sorted(missing)[:5]} …)"


def test_machine_codes_have_swedish_labels_and_english_ones() -> None:
    assert i18n.label("sv", "state", "investigating") == "Utreds"
    assert i18n.label("sv", "case type", "call_off_suspension") == "Tillfällig avstängning från avrop"
    assert i18n.label("en", "case type", "call_off_suspension") == "Temporary exclusion from call-offs"
    assert i18n.label("sv", "role", "department_head") == "Avdelningschef"
    assert i18n.label("sv", "state", "a_state_nobody_knows") == "A state nobody knows"


def test_the_language_is_the_users_choice_then_the_browsers_then_swedish() -> None:
    assert i18n.negotiate("en", "sv-SE") == "en"
    assert i18n.negotiate(None, "en-GB,en;q=0.8,sv;q=0.5") == "en"
    assert i18n.negotiate(None, "de-DE,sv;q=0.4,en;q=0.3") == "sv"
    assert i18n.negotiate("fr", "fr-FR") == "sv"
    assert i18n.negotiate(None, None) == "sv"
    assert i18n.negotiate(None, "en;q=bogus") == "sv"


def test_dates_and_numbers_are_swedish() -> None:
    assert i18n.format_day("sv", date(2026, 12, 24)) == "24 dec. 2026"
    assert i18n.format_day("sv", date(2026, 12, 24), "short") == "2026-12-24"
    assert i18n.format_number("sv", 12345).replace("\u00a0", " ") == "12 345"
    summer = datetime(2026, 6, 19, 10, 5, tzinfo=STOCKHOLM)
    assert i18n.format_instant("sv", summer) == "2026-06-19 10:05"


def test_a_deadline_shows_its_own_due_date_not_the_midnight_after_it() -> None:
    for day in (date(2026, 3, 28), date(2026, 3, 29), date(2026, 10, 25), date(2026, 12, 31)):
        assert i18n.due_date(end_of_day(day)) == day


def test_every_machine_code_has_a_known_context() -> None:
    assert {context for context, _code, _english in i18n.code_messages()} <= set(i18n.CODE_CONTEXTS)
