"""Each case type declares what it is about and how it behaves; the other layers read it from there."""

from __future__ import annotations

from datetime import date

from states import ladders
from states.registry import CASE_TYPES, DELIVERY_TYPES, INDIVIDUAL_TYPES, needing
from states.spec import ParamType, Subject
from workflow.engine.params import clean
from workflow.registers.samples import sample_params
from workflow.schema.tables import Case


def test_only_the_provider_deliveries_are_individual_level() -> None:
    assert INDIVIDUAL_TYPES == DELIVERY_TYPES == ("implementation_plan", "monthly_report")


def test_each_case_type_names_the_link_it_needs() -> None:
    assert needing(Subject.PLACEMENT) == {"implementation_plan", "monthly_report"}
    assert needing(Subject.AGREEMENT) == {"agreement", "call_off_suspension"}
    assert needing(Subject.PROVIDER) == {"follow_up", "deviation", "rectification_request", "control_check"}
    assert not CASE_TYPES["complaint"].subject_required


def test_only_the_agreement_case_is_mirrored_on_the_agreement_row() -> None:
    assert [n for n, s in CASE_TYPES.items() if s.mirrors_agreement] == ["agreement"]


def test_deviation_and_follow_up_climb_one_shared_remedy_ladder() -> None:
    deviation = CASE_TYPES["deviation"].deadlines["rectification"].ladder
    follow_up = CASE_TYPES["follow_up"].deadlines["awaiting_provider"].ladder
    assert deviation is follow_up is ladders.PROVIDER_REMEDY
    assert len(ladders.PROVIDER_REMEDY) == 5 and ladders.LADDERS["provider_remedy"] is ladders.PROVIDER_REMEDY


def test_every_decision_needs_a_registry_number_and_nothing_else_does() -> None:
    for spec in CASE_TYPES.values():
        for tr in spec.transitions:
            assert tr.needs_registry_number == (tr.decision is not None)


def test_every_choice_parameter_lists_its_allowed_values_and_has_a_label() -> None:
    for spec in CASE_TYPES.values():
        for tr in spec.transitions:
            for p in tr.params:
                assert p.label, f"{spec.name}.{tr.trigger}.{p.name} has no label"
                assert bool(p.choices) == (p.type in (ParamType.CHOICE, ParamType.MULTI_CHOICE))


def test_sample_parameters_satisfy_every_declaration() -> None:
    today = date(2026, 3, 2)
    for spec in CASE_TYPES.values():
        for tr in spec.transitions:
            for in_house in (False, True):
                for seed in range(3):
                    params = sample_params(spec, tr, in_house, today, seed)
                    assert set(params) >= set(tr.requires)
                    clean(tr, params, today)


def test_every_column_a_parameter_fills_is_a_column_of_the_case() -> None:
    columns = set(Case.__table__.c.keys())  # type: ignore[attr-defined]
    for spec in CASE_TYPES.values():
        for tr in spec.transitions:
            for p in tr.params:
                assert p.column is None or p.column in columns, f"{spec.name}.{tr.trigger}.{p.name} -> {p.column}"
