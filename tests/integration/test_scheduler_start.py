"""A scheduler's start: the sweep and the delivery catch up at once, the heavier jobs come later and apart."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from scheduler.service import SchedulerService
from workflow.settings import Settings

pytestmark = pytest.mark.integration
NOW = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)


def test_the_sweep_and_the_delivery_run_at_start_and_the_other_jobs_in_the_second_half_of_the_spread(
    engine: Engine,
) -> None:
    service = SchedulerService(engine, Settings(scheduler_start_spread_seconds=120))
    for seed in range(50):
        first = service.first_runs(NOW, random.Random(seed))
        assert first["sweep"] == first["deliver"] == NOW
        for job in ("controls", "housekeeping", "retention"):
            assert NOW + timedelta(seconds=60) <= first[job] <= NOW + timedelta(seconds=120)


def test_two_schedulers_started_together_run_their_housekeeping_at_different_moments(engine: Engine) -> None:
    settings = Settings(scheduler_start_spread_seconds=120)
    one, other = SchedulerService(engine, settings), SchedulerService(engine, settings)
    assert one.first_runs(NOW)["housekeeping"] != other.first_runs(NOW)["housekeeping"]


def test_without_a_start_spread_every_job_runs_at_start(engine: Engine) -> None:
    service = SchedulerService(engine, Settings(scheduler_start_spread_seconds=0))
    assert set(service.first_runs(NOW).values()) == {NOW}


def test_a_started_scheduler_runs_the_sweep_and_the_delivery_at_once_and_the_rest_as_the_first_runs_say(
    engine: Engine,
) -> None:
    hour = 3600.0
    settings = Settings(
        scheduler_start_spread_seconds=hour, scheduler_sweep_seconds=hour, scheduler_outbox_seconds=hour
    )
    service = SchedulerService(engine, settings)
    before = datetime.now(UTC)
    service.start()
    try:
        assert service._aps is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # a job that has run once is next due an interval later
            jobs = {job.id: job.next_run_time for job in service._aps.get_jobs()}
            if all(jobs[j] >= before + timedelta(seconds=hour) for j in ("sweep", "deliver")):
                break
            time.sleep(0.05)
    finally:
        service.shutdown()
    assert set(jobs) == {"sweep", "deliver", "controls", "housekeeping", "retention"}
    for job in ("sweep", "deliver"):
        assert jobs[job] >= before + timedelta(seconds=hour), f"{job} did not run at start"
    for job in ("controls", "housekeeping", "retention"):
        assert before + timedelta(seconds=hour / 2) <= jobs[job] <= before + timedelta(seconds=hour + 1)
