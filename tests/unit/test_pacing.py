"""A duty cycle rests after each step in proportion to how long the step worked."""

from __future__ import annotations

import pytest

from workflow.pacing import DutyCycle


def _cycle(share: float, longest_rest: float = 2.0) -> tuple[DutyCycle, list[float]]:
    rests: list[float] = []
    return DutyCycle(share, longest_rest=longest_rest, sleep=rests.append), rests


def test_a_duty_cycle_of_one_half_rests_as_long_as_each_step_worked() -> None:
    cycle, rests = _cycle(0.5)
    for worked in (0.2, 0.05, 1.0):
        cycle.rest_after(worked)
    assert rests == pytest.approx([0.2, 0.05, 1.0])
    assert cycle.worked == pytest.approx(cycle.rested)


def test_a_duty_cycle_of_one_quarter_rests_three_times_as_long_as_it_worked() -> None:
    cycle, rests = _cycle(0.25)
    cycle.rest_after(0.1)
    assert rests == pytest.approx([0.3])


def test_a_duty_cycle_of_one_never_rests() -> None:
    cycle, rests = _cycle(1.0)
    cycle.rest_after(3.0)
    assert rests == []


def test_one_rest_is_never_longer_than_the_longest_rest() -> None:
    cycle, rests = _cycle(0.5, longest_rest=2.0)
    cycle.rest_after(30.0)  # a step held up by something else: the job does not sleep as long again
    assert rests == [2.0]


def test_a_step_is_timed_by_the_cycles_timer_and_followed_by_its_rest() -> None:
    ticks = iter([10.0, 10.4])
    rests: list[float] = []
    cycle = DutyCycle(0.5, sleep=rests.append, timer=lambda: next(ticks))
    with cycle.step():
        pass
    assert rests == pytest.approx([0.4])


def test_a_step_that_raised_does_not_rest() -> None:
    cycle, rests = _cycle(0.5)
    with pytest.raises(RuntimeError), cycle.step():
        raise RuntimeError("the batch failed")
    assert rests == []


@pytest.mark.parametrize("share", [0.0, -0.5, 1.5])
def test_a_share_outside_zero_to_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        DutyCycle(share)
