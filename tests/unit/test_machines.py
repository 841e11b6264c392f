"""The shared ``transitions`` machines lead exactly where the tables in ``states`` say, and nowhere else."""

from __future__ import annotations

import pytest
from transitions.core import MachineError

from states.registry import CASE_TYPES
from workflow.machines import MACHINES


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
