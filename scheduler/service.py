"""The scheduler service: APScheduler as a clock over the workflow's rows (schemaläggare).

APScheduler only decides *when* to tick; every tick reads what is due from the database,
so nothing lives in its memory and downtime is caught up on start (the sweep's and the
delivery's first run is immediate; the other jobs' first run comes within
``UPPF_SCHEDULER_START_SPREAD_SECONDS``). Five interval jobs: the deadline sweep, outbox
delivery, housekeeping and the retention purge (safe on several instances at once) and the
recurring-control job, run only by the instance holding the leader lock. The sweep, the
audit anchoring and the controls' openings rest between their steps (``UPPF_SCHEDULER_DUTY_CYCLE``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from workflow.admin.access_review import RaiseAccessAlerts
from workflow.bootstrap import Application
from workflow.cases.tally import fold
from workflow.clock import utcnow
from workflow.deadlines.calendar import local_date
from workflow.deadlines.leader import LeaderLock
from workflow.deadlines.sweep import SweepResult, sweep
from workflow.engine.anchor import Anchoring, anchor_checkpoints, anchoring
from workflow.engine.errors import Conflict
from workflow.engine.firing import Actor
from workflow.engine.idempotency import purge_expired
from workflow.notify.outbox import DeliveryResult, Session, deliver
from workflow.pacing import DutyCycle
from workflow.registers.agreement_cases import ensure_agreement_cases, expire_ended_agreements
from workflow.registers.controls import run_controls
from workflow.registers.deliveries import ensure_implementation_plans, open_monthly_reports
from workflow.retention.commands import run_everywhere
from workflow.settings import Settings, get_settings

log = structlog.get_logger("scheduler")


class SchedulerService:
    """The jobs of one scheduler instance and the clock that runs them."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings | None = None,
        clock: Callable[[], datetime] = utcnow,
        connect: Callable[[], Session] | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings or get_settings()
        self.clock = clock
        self.connect = connect
        self.leader = LeaderLock(engine, lease_seconds=max(120.0, 3 * self.settings.scheduler_controls_seconds))
        self._aps: BackgroundScheduler | None = None
        self._anchoring: Anchoring | None = None

    @property
    def anchoring(self) -> Anchoring:
        """The checkpoint key and anchor store from the settings (refused outside development without a key)."""
        if self._anchoring is None:
            self._anchoring = anchoring(self.settings)
        return self._anchoring

    # --- the jobs ---------------------------------------------------------------------------------------------------

    @property
    def pace(self) -> DutyCycle:
        """The duty cycle of the sweep and the anchoring (``UPPF_SCHEDULER_DUTY_CYCLE``)."""
        return DutyCycle(self.settings.scheduler_duty_cycle)

    def sweep(self) -> SweepResult:
        """Act on every due deadline rung, resting between batches; then fold the open-case tally's changes
        (:func:`workflow.cases.tally.fold`), so that the overview's reads stay short."""
        result = sweep(self.engine, self.clock, batch=self.settings.scheduler_sweep_batch or None, pace=self.pace)
        fold(self.engine)
        return result

    def deliver(self) -> DeliveryResult:
        """Deliver due outbox messages."""
        return deliver(self.engine, clock=self.clock, settings=self.settings, connect=self.connect)

    def controls(self) -> int | None:
        """Open due recurring controls and deliveries, if this instance is the leader; None when it is not.

        The leader also opens the agreement case of any agreement without one and moves agreements
        whose period has ended to ``expired`` (:mod:`workflow.registers.agreement_cases`).
        """
        if not self.leader.acquire():
            return None
        opened = run_controls(self.engine, self.clock, pace=self.pace)
        opened += ensure_implementation_plans(self.engine, self.clock)
        opened += open_monthly_reports(self.engine, self.clock)
        opened += ensure_agreement_cases(self.engine, self.clock)
        expire_ended_agreements(self.engine, self.clock)
        return opened

    def housekeeping(self) -> int:
        """Purge idempotency keys past their retention (how many went), checkpoint the audit chains (each
        checkpoint signed and appended to the anchor store outside the database), and raise the access
        review's alerts of today (each user and day once)."""
        retention = timedelta(hours=self.settings.idempotency_retention_hours)
        purged = purge_expired(self.engine, self.clock(), retention)
        anchor_checkpoints(self.engine, self.anchoring, self.clock(), skip_busy=True, pace=self.pace)
        self.access_alerts()
        return purged

    def access_alerts(self) -> int:
        """Alert on today's unusual read volumes (:mod:`workflow.admin.access_review`); how many users."""
        command = RaiseAccessAlerts(local_date(self.clock()), self.settings.access_alert_daily_reads)
        try:
            return len(Application(self.settings, self.engine, self.clock).execute(command, Actor.system(0)))
        except Conflict:  # another scheduler raised the same alert at the same moment
            return 0

    def retention(self) -> int:
        """Purge personal data past its time under each organisation's retention schedule; how many records."""
        return run_everywhere(self.engine, self.settings, self.clock)

    def run_once(self) -> dict[str, Any]:
        """Every job once, in order (``uppfoljning scheduler --once``)."""
        opened = self.controls()
        swept = self.sweep()
        delivered = self.deliver()
        purged = self.housekeeping()
        retained = self.retention()
        return {
            "controls_opened": opened,
            "sweep": swept.__dict__,
            "outbox": delivered.__dict__,
            "idempotency_keys_purged": purged,
            "retention_records_purged": retained,
        }

    # --- the clock --------------------------------------------------------------------------------------------------

    def first_runs(self, now: datetime, rng: random.Random | None = None) -> dict[str, datetime]:
        """When each job first runs after a start at ``now``: the sweep and the delivery at once (catching up on
        downtime), the others each at a random moment between half the start spread and all of it."""
        rng = rng or random.Random()
        spread = self.settings.scheduler_start_spread_seconds
        later = ("controls", "housekeeping", "retention")
        return {
            job: now + timedelta(seconds=rng.uniform(spread / 2, spread)) if job in later else now
            for job in ("sweep", "deliver", *later)
        }

    def start(self) -> None:
        """Start the interval jobs in a background thread (first runs as :meth:`first_runs` says).

        Refuses outside development without the audit checkpoint key (``UPPF_AUDIT_KEY``).
        """
        _ = self.anchoring
        aps = BackgroundScheduler(timezone=UTC)
        first = self.first_runs(datetime.now(UTC))
        for func, seconds in (
            (self.sweep, self.settings.scheduler_sweep_seconds),
            (self.deliver, self.settings.scheduler_outbox_seconds),
            (self.controls, self.settings.scheduler_controls_seconds),
            (self.housekeeping, self.settings.scheduler_housekeeping_seconds),
            (self.retention, self.settings.scheduler_retention_seconds),
        ):
            aps.add_job(
                func,
                "interval",
                seconds=seconds,
                next_run_time=first[func.__name__],
                max_instances=1,
                coalesce=True,
                id=func.__name__,
                misfire_grace_time=None,
            )
        aps.start()
        self._aps = aps
        log.info("scheduler.started", holder=self.leader.holder)

    def shutdown(self) -> None:
        """Stop the jobs (waiting for running ones) and give up the leader lock."""
        if self._aps is not None:
            self._aps.shutdown(wait=True)
            self._aps = None
        self.leader.release()
        log.info("scheduler.stopped")
