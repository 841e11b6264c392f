"""The shared ``transitions`` machines lead exactly where the tables in ``states`` say, and nowhere else."""

from __future__ import annotations

import logging

import pytest
from transitions.core import MachineError

from states.registry import CASE_TYPES
from workflow.engine.machines import MACHINES


@pytest.mark.parametrize("name", sorted(CASE_TYPES))
def test_every_state_and_trigger_leads_where_the_table_says_or_is_refused(name: str) -> None:
    spec = CASE_TYPES[name]
    triggers = sorted({t.trigger for t in spec.transitions})
    for state in spec.states:
        for trigger in triggers:
            row = spec.transition(trigger, state.value)
            if row is None:
                with pytest.raises(MachineError):
                    MACHINES[name].fire(state.value, trigger)
            else:
                assert MACHINES[name].fire(state.value, trigger) == row.dest


def test_an_unknown_trigger_is_refused() -> None:
    with pytest.raises(MachineError, match="can't teleport"):
        MACHINES["deviation"].fire("reported", "teleport")


@pytest.mark.parametrize("name", sorted(CASE_TYPES))
def test_the_machine_carries_each_rows_guard_names_and_the_row_itself(name: str) -> None:
    spec, machine = CASE_TYPES[name], MACHINES[name]
    for row in spec.transitions:
        for state in row.source:
            assert machine.step(state, row.trigger) is row
            assert machine.guards(state, row.trigger) == row.guards


@pytest.mark.parametrize("name", sorted(CASE_TYPES))
def test_the_machine_lists_each_states_triggers_in_table_order(name: str) -> None:
    spec, machine = CASE_TYPES[name], MACHINES[name]
    for state in spec.states:
        assert list(machine.triggers(state.value)) == spec.triggers_from(state.value)


def test_the_machine_knows_only_the_triggers_of_its_table() -> None:
    assert MACHINES["agreement"].knows("expire")
    assert not MACHINES["agreement"].knows("teleport")
    assert MACHINES["agreement"].step("terminated", "expire") is None


def test_one_machine_is_shared_by_every_case_of_a_type_and_logs_only_warnings() -> None:
    assert set(MACHINES) == set(CASE_TYPES)
    assert len({id(m.machine) for m in MACHINES.values()}) == len(CASE_TYPES)
    assert logging.getLogger("transitions.core").getEffectiveLevel() >= logging.WARNING
