"""The audit hash of an event with two times: unchanged for events recorded before occurred_on existed."""

from __future__ import annotations

from datetime import UTC, date, datetime

from workflow.engine.audit import GENESIS, event_hash

OLD = {
    "organisation_id": 1,
    "seq": 1,
    "case_id": 7,
    "trigger": "open",
    "from_status": None,
    "to_status": "active",
    "actor_id": 3,
    "actor_role": "contract_strategist",
    "reason": "register",
    "decision_kind": None,
    "mandate": None,
    "registry_number": None,
    "params": {},
    "occurred_at": datetime(2025, 12, 31, 23, 30, tzinfo=UTC),  # 2026-01-01 00:30 in Stockholm
}


def test_an_event_dated_the_day_it_was_recorded_hashes_as_it_did_before_occurred_on_existed() -> None:
    backfilled = {**OLD, "occurred_on": date(2026, 1, 1), "late_entry": False, "late_reason": None}
    assert event_hash(GENESIS, backfilled) == event_hash(GENESIS, OLD)


def test_a_back_dated_or_late_event_hashes_differently_for_each_date_and_reason() -> None:
    hashes = {
        event_hash(GENESIS, {**OLD, "occurred_on": date(2026, 1, 1)}),
        event_hash(GENESIS, {**OLD, "occurred_on": date(2025, 12, 31)}),
        event_hash(GENESIS, {**OLD, "occurred_on": date(2025, 12, 30)}),
        event_hash(GENESIS, {**OLD, "occurred_on": date(2025, 12, 30), "late_entry": True, "late_reason": "a"}),
        event_hash(GENESIS, {**OLD, "occurred_on": date(2025, 12, 30), "late_entry": True, "late_reason": "b"}),
    }
    assert len(hashes) == 5
    as_text = {**OLD, "occurred_on": "2025-12-30"}  # as a driver may hand a DATE back
    assert event_hash(GENESIS, as_text) == event_hash(GENESIS, {**OLD, "occurred_on": date(2025, 12, 30)})
