"""kill -9 of a scheduler process at random moments, 20 times over, with 500 reminders due.

What must hold, and what this test checks: every reminder is written exactly once (one
``deadline_effect`` and one outbox row per deadline rung); no message reaches the SMTP sink
twice (counted by Message-ID at the sink, which only observes: it accepts duplicates);
every row ends ``sent`` or ``failed``; every ``sent`` row was received exactly once; a
``failed`` row is only ever the incident ``uncertain`` (a kill between the final dot and
recording the answer, at most one per kill) and was received at most once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from tests.conftest import PG_URL
from tests.smtp_sink import SmtpServer
from tests.world import Clock, build_world
from workflow.cases.opening import open_case
from workflow.engine.firing import Actor
from workflow.schema.tables import DEADLINE, EFFECT, OUTBOX

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
REMINDERS = 500
KILLS = 20


def _url(engine: Engine, backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{engine.url.database}"
    schema = engine.dialect.default_schema_name
    with engine.connect() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
    return f"{PG_URL}?options=-csearch_path={schema}"


def _scheduler(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "UPPF_DATABASE_URL": url,
        "UPPF_SMTP_HOST": "127.0.0.1",
        "UPPF_SMTP_PORT": str(port),
        "UPPF_SMTP_TIMEOUT_SECONDS": "5",
        "UPPF_MAIL_HOURS": "always",  # the soak runs on the real clock, at whatever hour CI runs
        "UPPF_SCHEDULER_SWEEP_SECONDS": "0.1",
        "UPPF_SCHEDULER_OUTBOX_SECONDS": "0.05",
        "UPPF_OUTBOX_CLAIM_TIMEOUT_SECONDS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "workflow.cli", "--log-level", "INFO", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),  # structlog writes to stdout, the standard library's logging to stderr
        stderr=subprocess.STDOUT,
    )


def _wait_until_started(log: Path, run: int) -> None:
    """Wait for the ``run``-th "scheduler.started" line, so kills land in the work, not in start-up."""
    give_up = time.monotonic() + 30
    while time.monotonic() < give_up:
        if log.exists() and log.read_bytes().count(b'"scheduler.started"') >= run:
            return
        time.sleep(0.02)
    raise AssertionError(f"scheduler run {run} did not start:\n{log.read_text()[-3000:]}")


def _sent(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(OUTBOX).where(OUTBOX.c.status == "sent")).scalar_one())


def _unsettled(engine: Engine) -> int:
    with engine.connect() as conn:
        due = conn.execute(
            select(func.count())
            .select_from(DEADLINE)
            .where(DEADLINE.c.status == "pending", DEADLINE.c.next_action_at <= datetime.now(UTC))
        ).scalar_one()
        flying = conn.execute(
            select(func.count()).select_from(OUTBOX).where(OUTBOX.c.status.in_(("pending", "sending", "committing")))
        ).scalar_one()
    return int(due + flying)


def test_killing_the_scheduler_20_times_never_sends_a_reminder_twice_and_settles_every_row(
    engine: Engine, backend: str, tmp_path: Path
) -> None:
    rng = random.Random(20261123)
    now = datetime.now(UTC)
    w = build_world(engine, Clock(now))
    due = (now + timedelta(days=20)).date()
    with engine.begin() as conn:
        for _ in range(REMINDERS):
            open_case(
                w.wf,
                "implementation_plan",
                Actor.system(w.orgs["NORTH"]),  # as the scheduler requests them: a person asks once per placement
                "placement started",
                placement_id=w.placements["north"],
                params={"due_date": date.isoformat(due)},
                conn=conn,
            )
        # Make the first rung (three days before) of every plan due now.
        conn.execute(update(DEADLINE).values(next_rung=0, next_action_at=now - timedelta(minutes=1)))
    log = tmp_path / "scheduler.log"
    progress: list[int] = []
    url = _url(engine, backend)
    procs: list[subprocess.Popen[bytes]] = []
    with SmtpServer() as smtp:
        try:
            smtp.sink.rcpt_delay = 0.01  # spreads the 500 deliveries over many runs, so kills land mid-delivery
            for run in range(1, KILLS + 1):
                procs.append(proc := _scheduler(url, smtp.port, log))
                _wait_until_started(log, run)
                time.sleep(rng.uniform(0.0, 1.2))  # a random moment of its first second and a bit
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                progress.append(_sent(engine))
            procs.append(proc := _scheduler(url, smtp.port, log))
            _wait_until_started(log, KILLS + 1)  # its SIGTERM handler is in place before it is asked to stop
            deadline = time.monotonic() + 90
            while _unsettled(engine) and time.monotonic() < deadline:
                time.sleep(0.3)
            proc.terminate()
            assert proc.wait(timeout=30) == 0, log.read_text()[-3000:]
        finally:  # never leave a scheduler behind, whatever failed
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        received = Counter(m.message_id for m in smtp.sink.messages)

    with engine.connect() as conn:
        rows = conn.execute(select(OUTBOX.c.dedupe_key, OUTBOX.c.status, OUTBOX.c.incident, OUTBOX.c.message_id)).all()
        effects = conn.execute(select(EFFECT.c.deadline_id, EFFECT.c.rung, EFFECT.c.kind)).all()
    reminders = [r for r in rows if r.dedupe_key.startswith("deadline:")]
    assert len(reminders) == REMINDERS == len({r.dedupe_key for r in reminders})
    assert Counter((e.rung, e.kind) for e in effects) == {(0, "reminder"): REMINDERS}
    assert {r.status for r in rows} <= {"sent", "failed"}, "every row ends sent or as an incident"
    assert all(n == 1 for n in received.values()), "a message reached the sink twice"
    sent = [r for r in rows if r.status == "sent"]
    failed = [r for r in rows if r.status == "failed"]
    assert all(received[r.message_id] == 1 for r in sent)
    assert all(r.incident == "uncertain" for r in failed)
    assert len(failed) <= KILLS
    mid_delivery = sum(1 for a, b in zip([0, *progress], progress, strict=False) if b > a and b < REMINDERS)
    assert mid_delivery >= 5, f"too few kills landed mid-delivery: {progress}\n{log.read_text()[-4000:]}"
    assert sum(received.values()) == len(sent) + sum(received[r.message_id] for r in failed)
    print(f"\n{backend}: sent after each kill {progress}")
    print(
        f"{backend}: {len(sent)} sent exactly once, {len(failed)} uncertain incidents "
        f"({sum(received[r.message_id] for r in failed)} of them had reached the sink)"
    )
