"""Every case type's transition table is sound, and the validator catches unsound ones."""

import importlib
from enum import StrEnum
from pathlib import Path

import pytest

from states.guards import GUARDS
from states.registry import CASE_TYPES, load
from states.spec import CaseTypeSpec, DeadlinePolicy, Param, ParamType, Subject, need, t
from states.validator import UnsoundTable, problems, validate
from workflow.engine.guards import GUARD_IMPLS


@pytest.mark.parametrize("name", sorted(CASE_TYPES))
def test_every_case_type_table_is_sound(name: str) -> None:
    assert problems(CASE_TYPES[name]) == []


def test_every_known_guard_has_an_implementation() -> None:
    assert set(GUARDS) == set(GUARD_IMPLS)


class _S(StrEnum):
    A = "a"
    B = "b"
    C = "c"
    D = "d"


def _spec(**kw: object) -> CaseTypeSpec:
    base: dict[str, object] = dict(
        name="x",
        label="x",
        states=_S,
        initial="a",
        finals=frozenset({"c"}),
        transitions=(t("go", "a", "b"), t("end", "b", "c"), t("side", "b", "d"), t("back", "d", "b")),
    )
    base.update(kw)
    return CaseTypeSpec(**base)  # type: ignore[arg-type]


def test_a_sound_toy_table_passes() -> None:
    assert validate(_spec()) is not None


def test_an_unreachable_state_is_refused() -> None:
    found = problems(_spec(transitions=(t("go", "a", "b"), t("end", "b", "c"))))
    assert any("'d' is unreachable" in p for p in found)


def test_a_trap_state_is_refused() -> None:
    found = problems(_spec(transitions=(t("go", "a", "b"), t("end", "b", "c"), t("side", "b", "d"))))
    assert any("'d' is a trap" in p for p in found)


def test_an_unknown_guard_is_refused() -> None:
    found = problems(
        _spec(
            transitions=(
                t("go", "a", "b", guards=("moon_is_full",)),
                t("end", "b", "c"),
                t("side", "b", "d"),
                t("back", "d", "b"),
            )
        )
    )
    assert any("unknown guard 'moon_is_full'" in p for p in found)


def test_an_initial_state_outside_the_enum_is_refused() -> None:
    with pytest.raises(UnsoundTable, match="initial state 'z'"):
        validate(_spec(initial="z"))


def test_a_final_state_with_outgoing_transitions_is_refused() -> None:
    found = problems(
        _spec(
            transitions=(
                t("go", "a", "b"),
                t("end", "b", "c"),
                t("side", "b", "d"),
                t("back", "d", "b"),
                t("again", "c", "a"),
            )
        )
    )
    assert any("final state 'c' has outgoing trigger 'again'" in p for p in found)


def test_a_table_without_finals_is_refused() -> None:
    assert any("no final state" in p for p in problems(_spec(finals=frozenset())))


def test_an_ambiguous_trigger_is_refused() -> None:
    found = problems(_spec(transitions=(t("go", "a", "b"), t("go", "a", "d"), t("end", "b", "c"), t("back", "d", "b"))))
    assert any("ambiguous" in p for p in found)


def test_a_deadline_expiring_into_a_missing_trigger_is_refused() -> None:
    policy = DeadlinePolicy(kind="k", days=1, working_days=False, rule_version="v1", source="s", on_expiry="nope")
    found = problems(_spec(deadlines={"b": policy}))
    assert any("expires into 'nope'" in p for p in found)


def test_a_final_state_opening_a_deadline_is_refused() -> None:
    policy = DeadlinePolicy(kind="k", days=1, working_days=False, rule_version="v1", source="s")
    assert any("final state 'c' opens a deadline" in p for p in problems(_spec(deadlines={"c": policy})))


def test_a_deadline_policy_for_an_unknown_state_is_refused() -> None:
    policy = DeadlinePolicy(kind="k", days=1, working_days=False, rule_version="v1", source="s")
    assert any("unknown state 'z'" in p for p in problems(_spec(deadlines={"z": policy})))


def test_two_initial_states_are_refused() -> None:
    with pytest.raises(UnsoundTable, match="exactly one initial state"):
        validate(_spec(initial=("a", "b")))


_ROUND_TRIP = (t("end", "b", "c"), t("side", "b", "d"), t("back", "d", "b"))


def test_a_guard_reading_a_parameter_its_trigger_does_not_take_is_refused() -> None:
    found = problems(_spec(transitions=(t("go", "a", "b", guards=("outcome_is_remarks",)), *_ROUND_TRIP)))
    assert any("reads 'outcome', a parameter it does not take" in p for p in found)


def test_a_choice_without_allowed_values_is_refused() -> None:
    empty = Param("colour", ParamType.CHOICE)
    found = problems(_spec(transitions=(t("go", "a", "b", params=(empty,)), *_ROUND_TRIP)))
    assert any("'colour' is a choice without allowed values" in p for p in found)


def test_allowed_values_on_a_date_are_refused() -> None:
    odd = Param("when", ParamType.DATE, choices=("monday",))
    found = problems(_spec(transitions=(t("go", "a", "b", params=(odd,)), *_ROUND_TRIP)))
    assert any("'when' is date but lists allowed values" in p for p in found)


def test_a_parameter_declared_twice_on_one_trigger_is_refused() -> None:
    note = Param("note", ParamType.TEXT)
    found = problems(_spec(transitions=(t("go", "a", "b", params=(note, need(note))), *_ROUND_TRIP)))
    assert any("declares parameter 'note' twice" in p for p in found)


def test_one_parameter_name_with_two_meanings_is_refused() -> None:
    found = problems(
        _spec(
            transitions=(
                t("go", "a", "b", params=(Param("note", ParamType.TEXT),)),
                t("end", "b", "c", params=(Param("note", ParamType.INT),)),
                t("side", "b", "d"),
                t("back", "d", "b"),
            )
        )
    )
    assert any("'note' of 'end' differs from its other declaration" in p for p in found)


def test_a_due_date_the_entering_trigger_does_not_take_is_refused() -> None:
    policy = DeadlinePolicy(kind="k", days=1, working_days=False, rule_version="v1", source="s", due_param="due")
    found = problems(_spec(deadlines={"b": policy}))
    assert any("'go' enters 'b', whose deadline takes its due date from 'due'" in p for p in found)
    due = Param("due", ParamType.DATE)
    sound = _spec(
        deadlines={"b": policy},
        transitions=(
            t("go", "a", "b", params=(due,)),
            t("end", "b", "c"),
            t("side", "b", "d"),
            t("back", "d", "b", params=(due,)),
        ),
    )
    assert problems(sound) == []


def test_a_case_about_a_placement_must_be_individual_level() -> None:
    assert any("individual-level" in p for p in problems(_spec(subject=Subject.PLACEMENT)))
    assert problems(_spec(subject=Subject.PLACEMENT, individual=True)) == []


def test_only_a_case_about_an_agreement_mirrors_the_agreement() -> None:
    assert any("mirror the agreement" in p for p in problems(_spec(mirrors_agreement=True)))


_BROKEN_MODULE = """
from enum import StrEnum

from states.registry import load
from states.spec import CaseTypeSpec, t


class Broken(StrEnum):
    A = "a"
    B = "b"
    C = "c"


CASE_TYPES = load(
    [CaseTypeSpec(name="broken", label="Broken", states=Broken, initial="a", finals=frozenset({"c"}),
                  transitions=(t("go", "a", "b"),))]
)
"""


def test_a_module_loading_a_broken_table_fails_at_import_naming_every_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_case_types.py").write_text(_BROKEN_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UnsoundTable) as refused:
        importlib.import_module("broken_case_types")
    assert "broken: state 'c' is unreachable from 'a'" in str(refused.value)
    assert "broken: state 'b' is a trap (no path to a final state)" in str(refused.value)


def test_two_case_types_with_one_name_are_refused() -> None:
    with pytest.raises(UnsoundTable, match="two case types are named 'x'"):
        load([_spec(), _spec()])
