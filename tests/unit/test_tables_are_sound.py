"""Every case type's transition table is sound, and the validator catches unsound ones."""

from enum import StrEnum

import pytest

from states.guards import GUARDS
from states.registry import CASE_TYPES
from states.spec import CaseTypeSpec, DeadlinePolicy, t
from states.validator import UnsoundTable, problems, validate
from workflow.guards import GUARD_IMPLS


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
