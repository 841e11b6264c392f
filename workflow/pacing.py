"""Pacing (takt) for background work: a long job rests between its steps so that it never takes the whole machine.

The scheduler's due-day sweep and its anchoring of every board's audit checkpoint are long runs of short database
transactions. Run flat out on the API's machine they take the cores (their PostgreSQL backends are not niced like
the scheduler process) and the WAL for seconds at a time, and the API's requests queue behind them. A duty cycle
lets such a job work for a step, then rest in proportion to how long the step took: at a share of 0.5 it rests as
long as it worked, so it uses at most half of the wall time and a due day takes about twice as long. The rest is
measured in wall time, so a step slowed down by a busy machine rests longer too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class DutyCycle:
    """Work at most ``share`` of the wall time: after a step of ``t`` seconds rest ``t × (1 − share) / share``.

    ``share`` 1 never rests. ``longest_rest`` caps one rest, so a step stalled by something else (a lock, a
    suspended machine) does not make the job sleep for as long again. ``sleep`` and ``timer`` are for tests.
    """

    def __init__(
        self,
        share: float,
        *,
        longest_rest: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("a duty cycle's share is above 0 and at most 1")
        self.share = share
        self.longest_rest = longest_rest
        self.sleep = sleep
        self.timer = timer
        self.worked = 0.0  # seconds spent in steps
        self.rested = 0.0  # seconds spent resting

    def rest_after(self, worked: float) -> None:
        """Rest after a step that took ``worked`` seconds."""
        self.worked += worked
        rest = min(self.longest_rest, worked * (1 - self.share) / self.share)
        if rest > 0:
            self.sleep(rest)
            self.rested += rest

    @contextmanager
    def step(self) -> Iterator[None]:
        """Time the block as one step and rest after it (not when it raised: the error goes up at once)."""
        started = self.timer()
        yield
        self.rest_after(self.timer() - started)
