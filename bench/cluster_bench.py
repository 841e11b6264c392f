"""Several processes, one PostgreSQL: 4 API workers and 2 schedulers under an open-loop load.

    .venv/bin/python bench/cluster_bench.py [--orgs 290] [--seconds 60] [--transitions 100] [--reads 400]
                                            [--workers 4] [--schedulers 2] [--saturation 1,2,4]
                                            [--start-together | --warm 10 --settle 5 --release 3]
                                            [--spread 24] [--duty-cycle D] [--sweep-batch N]

Creates the database ``uppf_cluster_bench`` on the local PostgreSQL (dropped first), seeds
``--orgs`` boards, starts the processes (``tests/cluster.py``) and sends transitions and reads
at constant rates, latency counted from each request's intended send time, while the
schedulers sweep a whole due day of deadlines (``--due`` per board). Prints server errors,
p50/p99 per kind, the share of sampled active backends waiting on locks, and whether every
due deadline was acted on exactly once. By default the schedulers run before the load, the
workers serve ``--warm`` seconds of it before the measured window, and the due day (held at
seeding) falls due ``--release`` seconds into the window; ``--start-together`` starts the
schedulers with the load, the due day already due. ``--saturation`` then measures the most transitions/s
a closed loop of 64 connections gets from 1, 2 and 4 workers. Figures go in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import cluster as c  # noqa: E402
from workflow.logging import configure  # noqa: E402

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def open_loop(args: argparse.Namespace, logs: Path) -> None:
    url = c.fresh_database(ADMIN, "uppf_cluster_bench")
    warm = 0.0 if args.start_together else args.warm
    per_org = math.ceil((warm + args.seconds) * args.transitions / args.orgs) + 1
    t0 = time.perf_counter()
    seed = c.seed(url, args.orgs, per_org, args.due, c.now_utc())
    print(
        f"seeded {args.orgs} boards, {len(seed.movable)} complaints, {seed.due_deadlines} due deadlines "
        f"in {time.perf_counter() - t0:.0f} s"
    )
    requests = c.plan(seed, warm + args.seconds, args.transitions, args.reads)
    settings = {"UPPF_SCHEDULER_START_SPREAD_SECONDS": str(args.spread)}
    if args.duty_cycle is not None:
        settings["UPPF_SCHEDULER_DUTY_CYCLE"] = str(args.duty_cycle)
    if args.sweep_batch is not None:
        settings["UPPF_SCHEDULER_SWEEP_BATCH"] = str(args.sweep_batch)
    if not args.start_together:
        print(f"held {c.hold_due_day(url)} due deadlines until {args.release:.0f} s into the measured load")
    with c.cluster(
        url, args.workers, args.schedulers, logs, scheduler_log_level="INFO", scheduler_settings=settings
    ) as running:
        if args.start_together:
            due_at = c.now_utc()  # the schedulers start now, with the due day already due
        else:
            # The schedulers run before the load, as they do in production; the due day falls due during it.
            t1 = time.perf_counter()
            for n in range(args.schedulers):
                c.wait_logged(logs / f"scheduler-{n}.log", b'"scheduler.started"')
            time.sleep(args.settle)
            print(f"schedulers started and settled in {time.perf_counter() - t1:.1f} s")
            due_at = c.now_utc() + timedelta(seconds=0.2 + warm + args.release)  # c.drive starts 0.2 s from now
            c.release_due_day(url, due_at)
        # The CPU meter covers the measured window only: it starts when the warm-up ends.
        cpu = c.CpuMeter(running, url)
        meter = threading.Timer(0.2 + warm, cpu.__enter__)
        meter.start()
        with c.LockSampler(url) as whole:
            outcomes = c.drive(running.port, requests, connections=args.connections)
        meter.join()
        cpu.__exit__(None, None, None)
        swept = c.wait_swept(url, due_at, timeout=120)
    # Only the measured window counts: the warm-up's requests and samples are left out.
    outcomes = [replace(o, at=o.at - warm) for o in outcomes if o.at >= warm]
    start = c.last_start + warm
    sampler = whole.since(start)
    if warm:
        print(f"warm-up: {warm:.0f} s of the same load before the measured window, not counted")
    s = c.summary(outcomes)
    print(
        f"\nopen loop: {args.workers} workers, {args.schedulers} schedulers, {args.orgs} boards, "
        f"{args.transitions} transitions/s + {args.reads} reads/s for {args.seconds} s"
    )
    print(f"{'kind':<11}{'n':>7}{'2xx':>7}{'4xx':>6}{'5xx':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind, r in s.items():
        print(
            f"{kind:<11}{r['n']:>7}{r['ok']:>7}{r['4xx']:>6}{r['5xx']:>6}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['max']:>9.1f}"
        )
    top = sorted(sampler.by_event.items(), key=lambda kv: -kv[1])[:6]
    print(
        f"backend samples: {sampler.active} active, {sampler.lock_waits} waiting on locks "
        f"({100 * sampler.lock_share:.1f} %); top: {', '.join(f'{k} {v}' for k, v in top)}"
    )
    for statement, n in sorted(sampler.by_statement.items(), key=lambda kv: -kv[1])[:6]:
        print(f"  {n:>6} samples  {' '.join(statement.split())}")
    waiting: dict[str, int] = {}
    for _t, event, statement in sampler.timed:
        if event.startswith("Lock:"):
            waiting[_label(statement)] = waiting.get(_label(statement), 0) + 1
    print(f"lock waits by statement: {_top(waiting, 6)}")
    used = ", ".join(f"{kind} {t / cpu.wall:.2f}" for kind, t in cpu.seconds.items())
    print(
        f"CPU over the load's {cpu.wall:.0f} s, in cores (of {os.cpu_count()}): {used}; "
        f"all of them {sum(cpu.seconds.values()) / cpu.wall:.2f}; {cpu.sessions} database connections opened"
    )
    print(
        f"deadlines: {seed.due_deadlines} due, {swept['deadlines_acted_on']} acted on, {swept['due_left']} left, "
        f"{swept['effects']} effects, {swept['effects_twice']} done twice, {swept['mails_twice']} messages twice"
    )
    if not args.start_together:
        print(f"the due day fell due at {due_at.timestamp() - start:.1f} s of the measured load")
    timeline(outcomes, sampler, c.job_spans(logs), start, args.seconds)


#: Short names for the statements the timeline shows (the first words of each sampled statement).
STATEMENTS = (
    ("COMMIT", "commit"),
    ("WITH j AS", "transition"),
    ('SELECT "case".id', "case read"),
    ("SELECT organisation.id FROM organisation WHERE organisation.id = $1::INTEGER FOR UPDATE", "org lock"),
    ("SELECT deadline.id", "sweep claim"),
    ("INSERT INTO outbox", "sweep outbox"),
    ("INSERT INTO deadline_effect", "sweep effects"),
)


def _label(statement: str) -> str:
    flat = " ".join(statement.split())
    return next((name for prefix, name in STATEMENTS if flat.startswith(prefix)), flat[:28])


def _top(counts: dict[str, int], n: int = 2) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:n])


def timeline(
    outcomes: list[c.Outcome], sampler: c.LockSampler, spans: list[c.JobSpan], start: float, seconds: float
) -> None:
    """Per second of intended send time: latencies, what the database's backends did, which scheduler jobs ran."""
    print("\ntimeline (second of intended send time; backends: mean active per 10 ms sample, lock-wait samples)")
    head = f"{'s':>3}{'n':>5}{'p50':>7}{'p99':>7}{'max':>7} {'act':>4}{'lock':>5}"
    print(f"{head}  {'top waits':<34}{'top statements':<36}jobs")
    for second in range(math.ceil(seconds)):
        lat = [o.latency_ms for o in outcomes if second <= o.at < second + 1]
        lo, hi = start + second, start + second + 1
        ticks = sum(1 for t in sampler.ticks if lo <= t < hi)
        waits: dict[str, int] = {}
        statements: dict[str, int] = {}
        for t, event, statement in sampler.timed:
            if lo <= t < hi:
                waits[event] = waits.get(event, 0) + 1
                statements[_label(statement)] = statements.get(_label(statement), 0) + 1
        active = sum(waits.values())
        locks = sum(n for e, n in waits.items() if e.startswith("Lock:"))
        jobs = " ".join(f"{s.process[-1]}:{s.job}" for s in spans if s.start < hi and s.end >= lo and s.job != "sweep")
        sweeps = [s for s in spans if s.job == "sweep" and s.start < hi and s.end >= lo and s.end - s.start > 0.5]
        jobs += "".join(f" {s.process[-1]}:sweep({s.end - s.start:.1f}s)" for s in sweeps)
        print(
            f"{second:>3}{len(lat):>5}{c.percentile(lat, 50):>7.0f}{c.percentile(lat, 99):>7.0f}"
            f"{max(lat, default=float('nan')):>7.0f} {active / max(ticks, 1):>4.1f}{locks:>5}  "
            f"{_top(waits):<34}{_top(statements):<36}{jobs.strip()}"
        )


def saturation(args: argparse.Namespace, logs: Path) -> None:
    print("\nsaturation (closed loop, 64 connections, transitions only):")
    print(f"{'workers':>8}{'tr/s':>9}{'5xx':>6}{'lock waits':>12}")
    for workers in [int(w) for w in args.saturation.split(",")]:
        url = c.fresh_database(ADMIN, "uppf_cluster_bench")
        n = args.saturation_requests
        seed = c.seed(url, args.orgs, math.ceil(n / args.orgs) + 1, 0, c.now_utc())
        requests = [replace(r, at=0.0) for r in c.plan(seed, n / 100, 100, 0)]
        with c.cluster(url, workers, 0, logs) as running:
            c.drive(running.port, requests[:200], connections=64)  # warm up every worker
            rest = requests[200:]
            with c.LockSampler(url) as sampler:
                t0 = time.perf_counter()
                outcomes = c.drive(running.port, rest, connections=64)
                elapsed = time.perf_counter() - t0
        errors = sum(1 for o in outcomes if o.status >= 500)
        print(f"{workers:>8}{len(rest) / elapsed:>9.0f}{errors:>6}{100 * sampler.lock_share:>11.1f}%")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--orgs", type=int, default=290)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--transitions", type=float, default=100)
    p.add_argument("--reads", type=float, default=400)
    p.add_argument("--due", type=int, default=10, help="due deadlines per board")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--schedulers", type=int, default=2)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument(
        "--start-together",
        action="store_true",
        help="start the schedulers with the load, the due day already due (default: the schedulers run first, "
        "--settle s after they started, and the due day falls due --release s into the load)",
    )
    p.add_argument(
        "--warm",
        type=float,
        default=10.0,
        help="seconds of the same load before the measured window, not counted (not with --start-together): "
        "the workers have been serving before the due day falls due, as in production",
    )
    p.add_argument("--settle", type=float, default=5.0, help="seconds between the schedulers' start and the load")
    p.add_argument("--release", type=float, default=3.0, help="seconds into the load when the due day falls due")
    p.add_argument(
        "--spread",
        type=float,
        default=24.0,
        help="the schedulers' UPPF_SCHEDULER_START_SPREAD_SECONDS: their controls, housekeeping (the anchoring of "
        "every board) and retention purge first run between half of it and all of it after their start",
    )
    p.add_argument("--duty-cycle", type=float, default=None, help="the schedulers' UPPF_SCHEDULER_DUTY_CYCLE")
    p.add_argument("--sweep-batch", type=int, default=None, help="the schedulers' UPPF_SCHEDULER_SWEEP_BATCH")
    p.add_argument("--saturation", default="1,2,4", help="worker counts for the closed-loop run ('' to skip)")
    p.add_argument("--saturation-requests", type=int, default=6000)
    args = p.parse_args()
    configure("WARNING")
    logs = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    print(f"process logs in {logs}")
    open_loop(args, logs)
    if args.saturation:
        saturation(args, logs)


if __name__ == "__main__":
    main()
