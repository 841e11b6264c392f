"""The deadline sweep over a large register: one sweep of 10,000 due reminders among 1,000,000
pending deadlines, an empty tick, memory, and APScheduler's job store for comparison.

    .venv/bin/python bench/sweep_bench.py [--db sqlite|postgresql|all] [--pending N] [--due N]

Bulk-loads the deadlines (raw ``executemany`` on SQLite, ``COPY`` on PostgreSQL), first
``--pending``/10 of them and then the rest, and at each size times:

- one ``sweep()`` claiming every due row and writing its reminder (outbox message,
  ``deadline_effect``, the row's next rung) — median of three, the due rows re-armed between;
- an empty tick (``sweep()`` with nothing due, and an outbox delivery pass with nothing to
  send) — median of 50;
- the Python heap peak during a sweep (``tracemalloc``) and the process RSS, to show memory
  follows the batch, not the register.

For comparison in the same run: APScheduler 3's ``SQLAlchemyJobStore`` on the same database
adding one job per deadline (a sample of 2,000), extrapolated to ``--pending`` jobs.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, delete, text, update

from tests.pg_schema import scratch_schema
from tests.world import Clock, build_world
from workflow.deadlines.calendar import end_of_day
from workflow.deadlines.sweep import sweep
from workflow.notify.outbox import deliver
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade
from workflow.schema.tables import DEADLINE, EFFECT, OUTBOX
from workflow.settings import Settings

PG_URL = os.environ.get("UPPF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE_DAY = date(2026, 3, 20)
CASES = 10_000
COLS = (
    "case_id",
    "organisation_id",
    "kind",
    "state",
    "due_at",
    "status",
    "next_rung",
    "next_action_at",
    "rule_version",
    "working_days",
    "opened_at",
)


def _noop() -> None:
    """The job APScheduler would run (never runs here)."""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _ts(engine: Engine, dt: datetime) -> Any:
    # SQLite stores naive UTC text in SQLAlchemy's format; PostgreSQL takes the aware value.
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if engine.dialect.name == "sqlite" else dt


def _rows(engine: Engine, org: int, start: int, count: int, due: int, rng: random.Random) -> list[tuple[Any, ...]]:
    due_at = _ts(engine, end_of_day(DUE_DAY))
    rows = []
    for i in range(start, start + count):
        if i < due:
            at = NOW - timedelta(minutes=1)
        else:
            at = NOW + timedelta(hours=1) + timedelta(seconds=rng.randrange(365 * 86400))
        rows.append(
            (
                1 + i % CASES,
                org,
                "provider_response",
                "sent",
                due_at,
                "pending",
                0,
                _ts(engine, at),
                "rectification.response/2026-1",
                True,
                _ts(engine, NOW),
            )
        )
    return rows


def load(engine: Engine, org: int, start: int, count: int, due: int) -> float:
    """Insert deadlines ``start``..``start+count``; the first ``due`` overall are due now."""
    rng = random.Random(start)
    t = time.perf_counter()
    chunk = 100_000
    for off in range(start, start + count, chunk):
        rows = _rows(engine, org, off, min(chunk, start + count - off), due, rng)
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            if engine.dialect.name == "sqlite":
                cur.execute("BEGIN IMMEDIATE")
                cur.executemany(f"INSERT INTO deadline ({', '.join(COLS)}) VALUES ({', '.join('?' * len(COLS))})", rows)
                cur.execute("COMMIT")
            else:
                buf = io.StringIO()
                for r in rows:
                    buf.write("\t".join(v.isoformat() if isinstance(v, datetime) else str(v) for v in r) + "\n")
                with cur.copy(f"COPY deadline ({', '.join(COLS)}) FROM STDIN") as cp:  # type: ignore[attr-defined]
                    cp.write(buf.getvalue())
                raw.commit()
        finally:
            raw.close()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE deadline"))
    return time.perf_counter() - t


def make_cases(engine: Engine, w: Any) -> None:
    """Ten thousand rectification requests waiting for the provider's answer (the deadlines' cases)."""
    from sqlalchemy import insert

    from workflow.engine.firing import CASE

    rows = [
        {
            "case_type": "rectification_request",
            "kind": "supplementation",
            "status": "sent",
            "version": 2,
            "organisation_id": w.orgs["NORTH"],
            "provider_id": w.providers["Acme Care AB"],
            "agreement_id": w.agreements["north_calloff"],
            "owner_id": w.users[("NORTH", "contract_strategist")],
            "title": "",
            "in_house": False,
            "attributes": {},
            "opened_at": NOW,
            "updated_at": NOW,
            "opened_on": NOW.date(),
            "last_occurred_on": NOW.date(),
        }
        for _ in range(CASES)
    ]
    with engine.begin() as conn:
        conn.execute(insert(CASE), rows)


def rearm(engine: Engine, due: int) -> None:
    """Make the first ``due`` deadlines due again and forget what the last sweep wrote.

    On PostgreSQL the tables are then vacuumed, as autovacuum does with the thresholds migration
    ``0002_scheduler`` sets (1 % dead rows): without it the claim's index scan walks the dead
    entries this bench's repeated rounds leave behind.
    """
    with engine.begin() as conn:
        conn.execute(delete(EFFECT))
        conn.execute(delete(OUTBOX))
        conn.execute(
            update(DEADLINE).where(DEADLINE.c.id <= due).values(next_rung=0, next_action_at=NOW - timedelta(minutes=1))
        )
    vacuum(engine)


def vacuum(engine: Engine) -> None:
    """What autovacuum does between ticks on PostgreSQL (nothing to do on SQLite)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("deadline", "outbox", "deadline_effect"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))


def measure(engine: Engine, due: int, pending: int) -> dict[str, Any]:
    clock = Clock(NOW)
    runs = []
    for _ in range(3):
        rearm(engine, due)
        t = time.perf_counter()
        r = sweep(engine, clock)
        runs.append(time.perf_counter() - t)
        assert r.reminders == due, r
    t = time.perf_counter()
    sweep(engine, clock)  # right after a sweep, before (auto)vacuum has cleared the rows it rewrote
    first_empty = time.perf_counter() - t
    vacuum(engine)
    empty = []
    for _ in range(50):
        t = time.perf_counter()
        r = sweep(engine, clock)
        empty.append(time.perf_counter() - t)
        assert r.claimed == 0
    settings = Settings(outbox_claim_timeout_seconds=300)
    with engine.begin() as conn:
        conn.execute(update(OUTBOX).values(status="sent"))
    vacuum(engine)
    empty_outbox = []
    for _ in range(50):
        t = time.perf_counter()
        deliver(engine, clock=clock, settings=settings, connect=lambda: None)  # type: ignore[arg-type,return-value]
        empty_outbox.append(time.perf_counter() - t)
    rearm(engine, due)
    rss_before = rss_mb()
    tracemalloc.start()
    sweep(engine, clock)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "pending": pending,
        "due": due,
        "sweep_s": statistics.median(runs),
        "sweep_min_s": min(runs),
        "empty_tick_ms": statistics.median(empty) * 1000,
        "first_empty_ms": first_empty * 1000,
        "empty_outbox_ms": statistics.median(empty_outbox) * 1000,
        "heap_peak_mb": peak / 2**20,
        "rss_mb": rss_before,
    }


def apscheduler_rate(engine: Engine, sample: int = 2000) -> float:
    """Jobs per second APScheduler 3's SQLAlchemy job store adds, one job per deadline."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    store = SQLAlchemyJobStore(engine=engine, tablename="bench_apscheduler_jobs")
    aps = BackgroundScheduler(jobstores={"default": store}, timezone=UTC)
    aps.start(paused=True)
    try:
        t = time.perf_counter()
        for i in range(sample):
            aps.add_job(_noop, "date", run_date=NOW + timedelta(days=30, seconds=i), id=f"deadline-{i}")
        return sample / (time.perf_counter() - t)
    finally:
        aps.remove_all_jobs()
        aps.shutdown(wait=False)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_apscheduler_jobs"))


def run(db: str, pending: int, due: int) -> list[dict[str, Any]]:
    if db == "sqlite":
        return _run(make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'sweep_bench.db'}"), pending, due)
    with scratch_schema(PG_URL, "bench_sweep") as schema:
        return _run(make_engine(PG_URL, schema=schema), pending, due)


def _run(engine: Engine, pending: int, due: int) -> list[dict[str, Any]]:
    try:
        upgrade(engine)
        w = build_world(engine, Clock(NOW))
        make_cases(engine, w)
        out = []
        first = pending // 10
        loaded = load(engine, w.orgs["NORTH"], 0, first, due)
        out.append({**measure(engine, due, first), "load_s": loaded})
        loaded = load(engine, w.orgs["NORTH"], first, pending - first, due)
        out.append({**measure(engine, due, pending), "load_s": loaded})
        rate = apscheduler_rate(engine)
        for row in out:
            row["aps_jobs_per_s"] = rate
            row["aps_minutes_for_all"] = pending / rate / 60
        return out
    finally:
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgresql", "all"], default="all")
    ap.add_argument("--pending", type=int, default=1_000_000)
    ap.add_argument("--due", type=int, default=10_000)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    print(f"# sweep bench on {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores")
    dbs = ["sqlite", "postgresql"] if args.db == "all" else [args.db]
    print(
        "| database | pending | due | load | sweep (median) | per due row | goal < 2 s | empty tick | goal < 5 ms "
        "| first empty tick after a sweep | empty outbox pass | heap peak | RSS | APScheduler jobs/s "
        "| APScheduler for all |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for db in dbs:
        for r in run(db, args.pending, args.due):
            print(
                f"| {db} | {r['pending']:,} | {r['due']:,} | {r['load_s']:.1f} s | {r['sweep_s']:.3f} s "
                f"| {r['sweep_s'] / r['due'] * 1e6:.0f} µs | {'met' if r['sweep_s'] < 2 else 'MISSED'} "
                f"({r['sweep_s'] / 2:.2f}×) | {r['empty_tick_ms']:.2f} ms "
                f"| {'met' if r['empty_tick_ms'] < 5 else 'MISSED'} ({r['empty_tick_ms'] / 5:.2f}×) "
                f"| {r['first_empty_ms']:.2f} ms | {r['empty_outbox_ms']:.2f} ms "
                f"| {r['heap_peak_mb']:.1f} MB | {r['rss_mb']:.0f} MB "
                f"| {r['aps_jobs_per_s']:.0f} | {r['aps_minutes_for_all']:.0f} min |",
                flush=True,
            )


if __name__ == "__main__":
    main()
