"""The engine's cached deadline rows are exactly the rows ``deadlines.opening_row`` computes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from states.registry import CASE_TYPES
from workflow.deadlines import rules as deadlines
from workflow.deadlines.calendar import local_date
from workflow.engine.firing import _deadline_row
from workflow.engine.writers import CaseRow

WITH_DEADLINES = sorted(name for name, spec in CASE_TYPES.items() if spec.deadlines)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_cached_deadline_row_is_the_row_opening_row_computes(data: st.DataObject) -> None:
    spec = CASE_TYPES[data.draw(st.sampled_from(WITH_DEADLINES))]
    state = data.draw(st.sampled_from(sorted(spec.deadlines)))
    policy = spec.deadlines[state]
    now = data.draw(
        st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))
    )
    attributes: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    if policy.due_param and data.draw(st.booleans()):
        due = (local_date(now) + timedelta(days=data.draw(st.integers(0, 400)))).isoformat()
        (cleaned if data.draw(st.booleans()) else attributes)[policy.due_param] = due
    row = CaseRow(7, spec.name, None, "any", 1, 3, False, attributes, None, None, None)
    want = {"case_id": 7, "organisation_id": 3, **deadlines.opening_row(policy, state, now, {**attributes, **cleaned})}
    assert _deadline_row(spec, row, state, now, cleaned) == want


def test_a_state_without_a_deadline_policy_opens_no_deadline() -> None:
    spec = CASE_TYPES["rectification_request"]
    row = CaseRow(7, spec.name, None, "answered", 1, 3, False, {}, None, None, None)
    assert _deadline_row(spec, row, "approved", datetime(2026, 3, 2, 9, tzinfo=UTC), {}) is None
