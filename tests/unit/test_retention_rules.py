"""The retention schedule's arithmetic, and what the purge relies on in the case types."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from states.registry import CASE_TYPES
from states.spec import ParamType
from workflow.engine.audit import GENESIS, chained, event_hash, redaction
from workflow.retention.purge import INDIVIDUAL_CASE_TYPES
from workflow.retention.schedule import Rule


def _rule(years: int, months: int = 0) -> Rule:
    return Rule(1, "placement_client_ref", "placement_ended", years, months, "pseudonymise", "SoL 12 kap. 1 §")


@pytest.mark.parametrize(
    ("today", "years", "months", "kept_from"),
    [
        (date(2032, 3, 1), 5, 0, date(2027, 3, 1)),
        (date(2032, 2, 29), 5, 0, date(2027, 2, 28)),  # no 29 February in 2027
        (date(2032, 3, 31), 0, 1, date(2032, 2, 29)),
        (date(2032, 1, 15), 0, 13, date(2030, 12, 15)),
        (date(2032, 12, 31), 2, 6, date(2030, 6, 30)),
    ],
)
def test_a_rule_keeps_what_is_anchored_on_or_after_today_less_its_period(
    today: date, years: int, months: int, kept_from: date
) -> None:
    assert _rule(years, months).anchored_before(today) == kept_from


def test_the_individual_level_case_types_are_the_ones_whose_texts_are_purged() -> None:
    assert INDIVIDUAL_CASE_TYPES == ("implementation_plan", "monthly_report")


def test_no_individual_level_case_type_takes_a_free_text_parameter() -> None:
    """The purge blanks reasons and titles; a free-text parameter would be hashed as such and stay (see audit.py)."""
    texts = [
        (name, t.trigger, p.name)
        for name in INDIVIDUAL_CASE_TYPES
        for t in CASE_TYPES[name].transitions
        for p in t.params
        if p.type is ParamType.TEXT
    ]
    assert texts == []


def _event(reason: str, salt: str | None) -> dict[str, object]:
    event: dict[str, object] = {
        "organisation_id": 1,
        "case_id": 7,
        "trigger": "approve",
        "from_status": "received",
        "to_status": "approved",
        "actor_id": 3,
        "actor_role": "placement_coordinator",
        "reason": reason,
        "decision_kind": None,
        "mandate": None,
        "registry_number": None,
        "params": {},
        "occurred_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    }
    if salt is not None:
        event["text_salt"] = salt
    return event


def test_a_salted_event_hashes_a_digest_of_its_reason_and_verifies_once_the_reason_is_blanked() -> None:
    linked = chained(_event("Klienten Anna mår bättre", "ab" * 16), 2, GENESIS)
    purged = {**linked, "reason": "", "text_salt": None, "redacted": redaction(linked)}
    assert event_hash(GENESIS, purged) == linked["hash"]
    assert event_hash(GENESIS, {**purged, "to_status": "cancelled"}) != linked["hash"]
    assert "Anna" not in str(purged["redacted"])


def test_a_new_event_gets_its_own_salt() -> None:
    a, b = chained(_event("x", None), 1, GENESIS), chained(_event("x", None), 1, GENESIS)
    assert a["text_salt"] != b["text_salt"] and a["hash"] != b["hash"]
