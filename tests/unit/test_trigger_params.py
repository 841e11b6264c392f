"""Trigger parameters are cleaned by their typed declarations, and refusals name the field and its values."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from states.registry import CASE_TYPES
from states.spec import OTHER, Param, ParamType, need, t
from states.vocab import INITIATORS, NOT_PERFORMED_REASONS, TERMINATION_REASONS
from workflow import i18n
from workflow.engine.errors import InvalidInput
from workflow.engine.params import DATE_PARAMS, clean, columns, form_field
from workflow.reports.labels import label

TODAY = date(2026, 3, 2)
TERMINATE = CASE_TYPES["agreement"].transition("terminate", "active")
DEFER = CASE_TYPES["follow_up"].transition("defer", "planned")
SEND = CASE_TYPES["rectification_request"].transition("send", "drafted")
NOT_PERFORMED = CASE_TYPES["follow_up"].transition("mark_not_performed", "scheduled")
EXCLUDE = CASE_TYPES["call_off_suspension"].transition("decide", "proposed")
assert TERMINATE and DEFER and SEND and NOT_PERFORMED and EXCLUDE

FLAGS = Param("flags", ParamType.MULTI_CHOICE, choices=("a", "b", "c"))
URGENT = Param("urgent", ParamType.BOOL)
TOY = t("note", "x", "y", params=(need(FLAGS), URGENT, Param("count", ParamType.INT)))


def test_a_closed_vocabulary_refuses_other_values_and_lists_the_allowed_ones() -> None:
    with pytest.raises(InvalidInput) as refused:
        clean(TERMINATE, {"termination_reason": "boredom", "initiator": "municipality"}, TODAY)
    assert str(refused.value).startswith("termination_reason 'boredom' is not one of: ")
    assert all(reason in str(refused.value) for reason in TERMINATION_REASONS)


def test_required_parameters_are_named_when_missing() -> None:
    with pytest.raises(InvalidInput, match="'terminate' requires termination_reason, initiator"):
        clean(TERMINATE, {}, TODAY)


def test_an_undeclared_parameter_is_refused_naming_the_ones_it_takes() -> None:
    with pytest.raises(InvalidInput, match=r"takes no parameter\(s\) \['colour'\]; allowed: response_due"):
        clean(SEND, {"colour": "red"}, TODAY)


def test_a_choice_is_stored_in_the_column_its_declaration_names() -> None:
    cleaned = clean(TERMINATE, {"termination_reason": "wound_down", "initiator": "provider"}, TODAY)
    assert columns(TERMINATE, cleaned) == {"reason_code": "wound_down", "initiator": "provider"}


def test_a_date_is_stored_as_iso_text_and_may_not_lie_in_the_past() -> None:
    assert clean(SEND, {"response_due": date(2026, 3, 20)}, TODAY) == {"response_due": "2026-03-20"}
    with pytest.raises(InvalidInput, match="response_due 2026-03-01 is in the past"):
        clean(SEND, {"response_due": "2026-03-01"}, TODAY)
    with pytest.raises(InvalidInput, match=r"response_due must be an ISO date \(YYYY-MM-DD\)"):
        clean(SEND, {"response_due": "next friday"}, TODAY)


def test_a_year_must_lie_within_its_declared_years_ahead() -> None:
    assert clean(DEFER, {"deferred_to_year": "2027"}, TODAY) == {"deferred_to_year": 2027}
    with pytest.raises(InvalidInput, match="deferred_to_year must be a year from 2027 to 2031, got 2026"):
        clean(DEFER, {"deferred_to_year": 2026}, TODAY)
    with pytest.raises(InvalidInput, match="deferred_to_year must be a year"):
        clean(DEFER, {"deferred_to_year": True}, TODAY)


def test_a_multi_choice_keeps_vocabulary_order_and_refuses_strangers() -> None:
    assert clean(TOY, {"flags": ["c", "a"]}, TODAY) == {"flags": ["a", "c"]}
    with pytest.raises(InvalidInput, match="flags 'z' not among: a, b, c"):
        clean(TOY, {"flags": ["a", "z"]}, TODAY)
    with pytest.raises(InvalidInput, match="'note' requires flags"):
        clean(TOY, {"flags": []}, TODAY)


def test_a_bool_is_true_or_false() -> None:
    assert clean(TOY, {"flags": ["b"], "urgent": False}, TODAY) == {"flags": ["b"], "urgent": False}
    assert clean(TOY, {"flags": ["b"], "urgent": "true"}, TODAY)["urgent"] is True
    with pytest.raises(InvalidInput, match="urgent must be true or false, got 'yes'"):
        clean(TOY, {"flags": ["b"], "urgent": "yes"}, TODAY)


def test_an_int_must_be_a_whole_number() -> None:
    assert clean(TOY, {"flags": ["b"], "count": "3"}, TODAY)["count"] == 3
    with pytest.raises(InvalidInput, match=r"count must be a whole number, got '3\.5'"):
        clean(TOY, {"flags": ["b"], "count": "3.5"}, TODAY)


def test_opening_a_case_may_give_any_declared_date_parameter() -> None:
    assert {"response_due", "due_date", "scheduled_for", "response_due_on", "follow_up_on"} == DATE_PARAMS


@given(st.lists(st.sampled_from(FLAGS.choices), min_size=1, unique=True))
def test_any_non_empty_selection_from_a_vocabulary_is_kept_once_in_vocabulary_order(picked: list[str]) -> None:
    assert clean(TOY, {"flags": picked}, TODAY)["flags"] == [c for c in FLAGS.choices if c in picked]


@given(st.text(min_size=1, max_size=40))
def test_a_choice_accepts_exactly_its_allowed_values(value: str) -> None:
    params = {"termination_reason": value, "initiator": "provider"}
    if value == OTHER:
        params["termination_reason_other"] = "the owner retired"
    if value in TERMINATION_REASONS:
        assert clean(TERMINATE, params, TODAY)["termination_reason"] == value
    else:
        with pytest.raises(InvalidInput) as refused:
            clean(TERMINATE, params, TODAY)
        assert str(refused.value) == f"termination_reason {value!r} is not one of: {', '.join(TERMINATION_REASONS)}"


def test_a_form_fields_bounds_are_exactly_the_ones_cleaning_applies() -> None:
    due = form_field(SEND.params[0], TODAY)
    assert isinstance(due.minimum, str) and isinstance(due.maximum, str)
    for edge in (due.minimum, due.maximum):
        assert clean(SEND, {"response_due": edge}, TODAY) == {"response_due": edge}
    for outside in (
        date.fromisoformat(due.minimum) - timedelta(days=1),
        date.fromisoformat(due.maximum) + timedelta(days=1),
    ):
        with pytest.raises(InvalidInput):
            clean(SEND, {"response_due": outside}, TODAY)
    year = form_field(DEFER.params[0], TODAY)
    assert (year.minimum, year.maximum) == (2027, 2031)
    for edge in (2027, 2031):
        assert clean(DEFER, {"deferred_to_year": edge}, TODAY) == {"deferred_to_year": edge}
    for outside in (2026, 2032):
        with pytest.raises(InvalidInput):
            clean(DEFER, {"deferred_to_year": outside}, TODAY)


def test_a_multi_choice_refuses_a_value_given_twice() -> None:
    with pytest.raises(InvalidInput, match="flags names 'c' more than once"):
        clean(TOY, {"flags": ["c", "a", "c"]}, TODAY)


def test_a_follow_up_not_performed_keeps_every_reason_given() -> None:
    given = {"not_performed_reasons": ["agreement_expired", "provider_cancelled_visit"]}
    assert clean(NOT_PERFORMED, given, TODAY) == {
        "not_performed_reasons": ["provider_cancelled_visit", "agreement_expired"]
    }
    with pytest.raises(InvalidInput, match="'mark_not_performed' requires not_performed_reasons"):
        clean(NOT_PERFORMED, {"not_performed_reasons": []}, TODAY)
    with pytest.raises(InvalidInput, match="must be a list"):
        clean(NOT_PERFORMED, {"not_performed_reasons": "agreement_expired"}, TODAY)


def test_every_closed_list_of_reasons_offers_other_with_its_free_text() -> None:
    for tr, name in (
        (TERMINATE, "termination_reason"),
        (EXCLUDE, "reason_code"),
        (NOT_PERFORMED, "not_performed_reasons"),
    ):
        choice, text = tr.param(name), tr.param(f"{name}_other")
        assert choice is not None and OTHER in choice.choices
        assert text is not None and text.type is ParamType.TEXT and not text.required


def test_other_without_its_free_text_is_refused_naming_the_rule() -> None:
    with pytest.raises(InvalidInput, match="reason_code 'other' needs reason_code_other") as refused:
        clean(EXCLUDE, {"reason_code": "other", "evidence": "the letter"}, TODAY)
    assert refused.value.context["rule"] == "other_text"
    with pytest.raises(InvalidInput, match="needs not_performed_reasons_other") as refused:
        clean(NOT_PERFORMED, {"not_performed_reasons": ["agreement_expired", "other"]}, TODAY)
    assert refused.value.context["rule"] == "other_text"
    with pytest.raises(InvalidInput, match="must be non-empty text"):
        clean(EXCLUDE, {"reason_code": "other", "reason_code_other": "  ", "evidence": "the letter"}, TODAY)


def test_other_keeps_its_free_text_and_the_text_belongs_to_other_only() -> None:
    given = {"reason_code": "other", "reason_code_other": " Owner under investigation ", "evidence": "the letter"}
    assert clean(EXCLUDE, given, TODAY) == {
        "reason_code": "other",
        "reason_code_other": "Owner under investigation",
        "evidence": "the letter",
    }
    with pytest.raises(InvalidInput, match="reason_code_other is only given when reason_code is 'other'") as refused:
        clean(EXCLUDE, {**given, "reason_code": "dormant"}, TODAY)
    assert refused.value.context["rule"] == "other_text"


def test_the_initiator_may_be_not_stated_where_the_source_does_not_say() -> None:
    assert "not_stated" in INITIATORS and "other" in NOT_PERFORMED_REASONS
    cleaned = clean(TERMINATE, {"termination_reason": "weak_finances", "initiator": "not_stated"}, TODAY)
    assert columns(TERMINATE, cleaned) == {"reason_code": "weak_finances", "initiator": "not_stated"}
    assert label("not_stated") == "Not stated"  # reports translate their labels through the catalogue
    assert i18n.gettext("sv", "Not stated") == "Ej angivet"


def test_the_single_not_performed_reason_of_earlier_clients_is_taken_as_a_list_of_one() -> None:
    spec = CASE_TYPES["follow_up"]
    step = next(t for t in spec.transitions if t.trigger == "mark_not_performed")
    cleaned = clean(step, {"not_performed_reason": "agreement_expired"}, TODAY)
    assert cleaned["not_performed_reasons"] == ["agreement_expired"]
