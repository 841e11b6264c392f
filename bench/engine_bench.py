"""Transitions per second: the engine against a raw transaction, SQLModel + python-statemachine, SpiffWorkflow.

    .venv/bin/python bench/engine_bench.py [--db sqlite|postgresql|all] [--seconds N] [--repeats R]

In one run and on each database, every variant drives rectification requests along the
same lifecycle (send, answer, revision loops, approve; see ``engine_variants.py``) with
durable commits: SQLite in WAL mode with ``synchronous=FULL`` and one client, PostgreSQL
with ``synchronous_commit`` on and four client threads, each on its own cases. Variants
take turns, ``--repeats`` times; the table shows medians and each variant's ratio to raw.
PostgreSQL runs in a schema the bench creates and drops; SQLite in a temporary file.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import engine_variants as v
import structlog
from sqlalchemy import Engine, insert, text, update

from states.roles import Role
from tests.pg_schema import scratch_schema
from workflow.cases.opening import open_case
from workflow.engine import delegation
from workflow.engine.firing import CASE, Actor, Workflow
from workflow.logging import configure as configure_logging
from workflow.schema.db import make_engine, new_id
from workflow.schema.migrate import upgrade
from workflow.schema.tables import Agreement, AppUser, Organisation, Provider

PG_URL = os.environ.get("UPPF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
VARIANTS = ("raw", "raw_rows", "engine", "orm", "spiff")
LABELS = {
    "raw": "(a) raw UPDATE + INSERT",
    "raw_rows": "(a') raw, the engine's rows",
    "engine": "engine (Workflow.fire)",
    "orm": "(b) SQLModel + python-statemachine",
    "spiff": "(c) SpiffWorkflow in the row",
}


@dataclass
class Database:
    """One database under test: its engine, a bare-driver connection factory and the world in it."""

    name: str
    engine: Engine
    connect_raw: Callable[[], Any]
    clients: int
    orgs: list[int] = field(default_factory=list)
    actors: dict[int, Actor] = field(default_factory=dict)
    users: dict[int, int] = field(default_factory=dict)
    provider_id: int = 0
    next_raw_id: int = 1


# --- databases --------------------------------------------------------------------------------------------------


@contextmanager
def sqlite_database(clients: int) -> Iterator[Database]:
    """A temporary SQLite file in WAL mode with synchronous=FULL (the product's default)."""
    with tempfile.TemporaryDirectory(prefix="engine_bench_") as tmp:
        path = Path(tmp) / "bench.db"
        engine = make_engine(f"sqlite:///{path}", synchronous="FULL", pool_size=clients + 2)

        def connect() -> Any:
            con = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            con.execute("PRAGMA foreign_keys=ON")  # as the product's connections (no effect on the raw tables)
            return con

        upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE raw_case (id INTEGER PRIMARY KEY, status TEXT NOT NULL, "
                "version INTEGER NOT NULL, updated_at TEXT NOT NULL)"
            )
            conn.exec_driver_sql(
                "CREATE TABLE raw_event (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, "
                "from_status TEXT, to_status TEXT NOT NULL, occurred_at TEXT NOT NULL)"
            )
        try:
            yield Database("sqlite", engine, connect, clients)
        finally:
            engine.dispose()


@contextmanager
def pg_database(clients: int) -> Iterator[Database]:
    """A fresh schema in the local PostgreSQL, dropped afterwards."""
    import psycopg

    with scratch_schema(PG_URL, "bench") as schema:
        engine = make_engine(PG_URL, schema=schema, pool_size=clients + 2)
        dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

        def connect() -> Any:
            return psycopg.connect(dsn, options=f"-csearch_path={schema}")

        try:
            upgrade(engine)
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "CREATE TABLE raw_case (id integer PRIMARY KEY, status text NOT NULL, "
                    "version integer NOT NULL, updated_at timestamptz NOT NULL)"
                )
                conn.exec_driver_sql(
                    "CREATE TABLE raw_event (id bigserial PRIMARY KEY, case_id integer NOT NULL, "
                    "from_status text, to_status text NOT NULL, occurred_at timestamptz NOT NULL)"
                )
            yield Database("postgresql", engine, connect, clients)
        finally:
            engine.dispose()


def build_world(db: Database, n_orgs: int) -> None:
    """Boards with a contract strategist each, a provider and the bundled delegation order."""
    t = lambda m: m.__table__  # noqa: E731
    with db.engine.begin() as conn:
        db.provider_id = new_id(
            conn.execute(insert(t(Provider)).values(org_number="556000-0001", name="Omsorg AB", in_house=False))
        )
        for i in range(n_orgs):
            code = "CENTRAL" if i == 0 else f"DISTRICT{i}"
            kind = "central_board" if i == 0 else "district_board"
            org = new_id(conn.execute(insert(t(Organisation)).values(code=code, name=f"{code} board", kind=kind)))
            user = new_id(
                conn.execute(
                    insert(t(AppUser)).values(
                        username=f"strategist{i}",
                        display_name=f"Strategist {i}",
                        email=f"s{i}@bench.invalid",
                        organisation_id=org,
                        roles=[Role.CONTRACT_STRATEGIST.value],
                    )
                )
            )
            conn.execute(
                insert(t(Agreement)).values(
                    registry_number=f"SCN-2024-{i:05d}",
                    agreement_type="individual",
                    organisation_id=org,
                    provider_id=db.provider_id,
                    starts_on=date(2024, 1, 1),
                    ends_on=date(2028, 12, 31),
                )
            )
            db.orgs.append(org)
            db.users[org] = user
            db.actors[org] = Actor(user, org, (Role.CONTRACT_STRATEGIST.value,))
        delegation.load_file(conn)


def open_cases(db: Database, variant: str, org: int, n: int, spiff: v.Spiff | None) -> list[int]:
    """``n`` drafted rectification requests in ``org`` (through ``open_case``; raw rows for raw)."""
    if variant == "raw":
        first = db.next_raw_id
        db.next_raw_id += n
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO raw_case (id, status, version, updated_at) VALUES (:id, 'drafted', 1, :now)"),
                [{"id": i, "now": v.utcnow()} for i in range(first, first + n)],
            )
        return list(range(first, first + n))
    wf = Workflow(db.engine)
    ids = []
    with db.engine.begin() as conn:
        for _ in range(n):
            opened = open_case(
                wf,
                "rectification_request",
                db.actors[org],
                "Benchmark case",
                kind="supplementation",
                provider_id=db.provider_id,
                conn=conn,
            )
            ids.append(opened.case_id)
        if variant == "spiff":
            assert spiff is not None
            blob = spiff.new()
            conn.execute(
                update(CASE).where(CASE.c.id.in_(ids)).values(attributes={"spiff": blob}),
            )
    return ids


# --- running ----------------------------------------------------------------------------------------------------


def make_step(db: Database, variant: str, spiff: v.Spiff | None) -> Callable[[], v.Step]:
    """A factory of one client's step function (raw clients each hold their own driver connection)."""
    if variant == "raw":
        maker = v.raw_step_sqlite if db.name == "sqlite" else v.raw_step_pg
        return lambda: maker(db.connect_raw())
    if variant == "raw_rows":
        return lambda: v.raw_rows_step(db.connect_raw(), db.name == "postgresql")
    if variant == "engine":
        wf = Workflow(db.engine)
        return lambda: v.engine_step(wf, db.actors)
    if variant == "orm":
        return lambda: v.orm_step(db.engine, db.users)
    assert spiff is not None
    return lambda: v.spiff_step(db.engine, spiff, db.users)


def run_once(
    db: Database, variant: str, seconds: float, steps: list[tuple[str, str]], per_client: int, spiff: v.Spiff | None
) -> tuple[float, bool, float]:
    """Transitions per second of ``variant`` over ``seconds``, whether a client ran out of cases, CPU µs each."""
    cases = [open_cases(db, variant, db.orgs[i % len(db.orgs)], per_client, spiff) for i in range(db.clients)]
    factory = make_step(db, variant, spiff)
    counts = [0] * db.clients
    ran_out = [False] * db.clients
    errors: list[BaseException] = []
    barrier = threading.Barrier(db.clients + 1)
    stop_at = [0.0]

    def client(i: int) -> None:
        try:
            step = factory()
            org = db.orgs[i % len(db.orgs)]
            barrier.wait()
            n = 0
            for case_id in cases[i]:
                src = "drafted"
                for trigger, dest in steps:
                    step(case_id, org, src, trigger, dest)
                    src = dest
                    n += 1
                if time.perf_counter() >= stop_at[0]:
                    break
            else:
                ran_out[i] = True
            counts[i] = n
        except BaseException as exc:  # reported after the run
            errors.append(exc)
            raise

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(db.clients)]
    for th in threads:
        th.start()
    start = time.perf_counter()
    stop_at[0] = start + seconds
    cpu_start = time.process_time()
    barrier.wait()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    if errors:
        raise RuntimeError(f"{variant} on {db.name} failed") from errors[0]
    n = max(sum(counts), 1)
    return n / elapsed, any(ran_out), cpu / n * 1e6


def run_once_in_processes(
    db: Database, variant: str, seconds: float, steps: list[tuple[str, str]], per_client: int, spiff: v.Spiff | None
) -> tuple[float, bool, float]:
    """As :func:`run_once`, each client a forked process with its own connections (no shared interpreter lock)."""
    cases = [open_cases(db, variant, db.orgs[i % len(db.orgs)], per_client, spiff) for i in range(db.clients)]
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    stop_at = ctx.Value("d", 0.0)

    def client(i: int) -> None:
        db.engine.dispose(close=False)  # the parent's pooled connections are not this process's to use
        step = make_step(db, variant, spiff)()
        org = db.orgs[i % len(db.orgs)]
        start.wait()
        cpu0, n, ran_out = time.process_time(), 0, True
        for case_id in cases[i]:
            src = "drafted"
            for trigger, dest in steps:
                step(case_id, org, src, trigger, dest)
                src = dest
                n += 1
            if time.time() >= stop_at.value:
                ran_out = False
                break
        results.put((n, time.process_time() - cpu0, ran_out))

    procs = [ctx.Process(target=client, args=(i,), daemon=True) for i in range(db.clients)]
    for pr in procs:
        pr.start()
    time.sleep(0.5)  # let every client connect before the clock starts
    t0 = time.perf_counter()
    stop_at.value = time.time() + seconds
    start.set()
    got = [results.get(timeout=seconds + 120) for _ in procs]
    elapsed = time.perf_counter() - t0
    for pr in procs:
        pr.join(timeout=30)
    if any(pr.exitcode for pr in procs):
        raise RuntimeError(f"{variant} on {db.name}: a client process failed")
    n = max(sum(g[0] for g in got), 1)
    return n / elapsed, any(g[2] for g in got), sum(g[1] for g in got) / n * 1e6


def bench_database(db: Database, args: argparse.Namespace) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Every variant ``args.repeats`` times, in turns: transitions per second, and this process's CPU µs each."""
    if args.drop_index:
        # What the indexes cost each transition: the same run on a schema without them.
        with db.engine.begin() as conn:
            for name in args.drop_index:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
    build_world(db, args.orgs)
    steps = v.lifecycle(args.revisions)
    spiff = v.Spiff()
    # A short warm-up tells how many cases each client needs for a full run.
    estimate: dict[str, float] = {}
    for variant in args.variants:
        rate, _, _ = run_once(db, variant, 0.5, steps, max(4, 40 // db.clients), spiff)
        estimate[variant] = rate
    rates: dict[str, list[float]] = {name: [] for name in args.variants}
    cpus: dict[str, list[float]] = {name: [] for name in args.variants}
    for r in range(args.repeats):
        for variant in args.variants:
            per_client = int(estimate[variant] * args.seconds * 2.5 / len(steps) / db.clients) + 8
            runner = run_once_in_processes if args.processes and db.clients > 1 else run_once
            rate, ran_out, cpu = runner(db, variant, args.seconds, steps, per_client, spiff)
            rates[variant].append(rate)
            cpus[variant].append(cpu)
            estimate[variant] = max(estimate[variant], rate)
            note = "  (ran out of cases: shorter than asked)" if ran_out else ""
            print(
                f"  {db.name:<10} run {r + 1}  {variant:<8} {rate:7.0f} transitions/s {cpu:6.0f} µs CPU each{note}",
                flush=True,
            )
    return rates, cpus


def report(
    results: dict[str, dict[str, list[float]]], cpus: dict[str, dict[str, list[float]]], args: argparse.Namespace
) -> None:
    """The table of medians and ratios to raw, then the client's CPU time per transition."""
    print()
    print(
        f"Median transitions/s over {args.repeats} runs of {args.seconds:g} s "
        f"(lifecycle of {len(v.lifecycle(args.revisions))} transitions per case, {args.orgs} organisations)"
    )
    header = f"{'variant':<36}" + "".join(f"{name:>14}{'× raw':>8}" for name in results)
    print(header)
    print("-" * len(header))
    for variant in args.variants:
        row = f"{LABELS[variant]:<36}"
        for rates in results.values():
            med = statistics.median(rates[variant])
            raw = statistics.median(rates["raw"]) if "raw" in rates else float("nan")
            row += f"{med:14,.0f}{med / raw:8.2f}"
        print(row)
    if "raw_rows" in args.variants:
        # The engine's own rows written by the bare driver bound what any engine writing them could reach.
        print()
        print("× (a'): each engine variant against the same rows written by the bare driver with no rules")
        for variant in (x for x in args.variants if x.startswith("engine")):
            row = f"{LABELS[variant]:<36}"
            for rates in results.values():
                ratio = statistics.median(rates[variant]) / statistics.median(rates["raw_rows"])
                row += f"{'':14}{ratio:8.2f}"
            print(row)
    print()
    who = "the client processes" if args.processes else "this process (all client threads)"
    print(f"CPU time per transition of {who}, median µs; less sensitive to other load")
    for variant in args.variants:
        print(
            f"{LABELS[variant]:<36}" + "".join(f"{statistics.median(c[variant]):14,.0f}{'':8}" for c in cpus.values())
        )
    print()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"load average (1 min) at the start and the end: {args.load_start:.1f}, {os.getloadavg()[0]:.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "all"), default="all")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measured run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per variant (the median is reported)")
    parser.add_argument(
        "--log-level", default="INFO", help="DEBUG also renders each transition's log line (as JSON, into /dev/null)"
    )
    parser.add_argument("--pg-clients", type=int, default=4)
    parser.add_argument("--sqlite-clients", type=int, default=1)
    parser.add_argument(
        "--processes", action="store_true", help="run the clients as processes rather than threads of this one"
    )
    parser.add_argument("--orgs", type=int, default=4, help="organisations (each has its own audit chain)")
    parser.add_argument("--revisions", type=int, default=2, help="revision loops in each case's lifecycle")
    parser.add_argument(
        "--drop-index",
        action="append",
        default=[],
        metavar="NAME",
        help="drop this index after migrating, to see what it costs (repeatable)",
    )
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help="comma-separated subset of " + ",".join(VARIANTS)
    )
    args = parser.parse_args(argv)
    args.variants = [x for x in args.variants.split(",") if x]
    if set(args.variants) - set(VARIANTS):
        parser.error(f"unknown variants {sorted(set(args.variants) - set(VARIANTS))}")
    # Production logs at INFO as JSON (transitions at DEBUG); render it, but into /dev/null.
    configure_logging(args.log_level)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(open(os.devnull, "w")))  # noqa: SIM115
    logging.getLogger("spiff").setLevel(logging.WARNING)  # it logs every task state change at INFO
    results: dict[str, dict[str, list[float]]] = {}
    cpus: dict[str, dict[str, list[float]]] = {}
    args.load_start = os.getloadavg()[0]
    if args.db in ("sqlite", "all"):
        with sqlite_database(args.sqlite_clients) as db:
            results["sqlite"], cpus["sqlite"] = bench_database(db, args)
    if args.db in ("postgresql", "all"):
        with pg_database(args.pg_clients) as db:
            results["postgresql"], cpus["postgresql"] = bench_database(db, args)
    report(results, cpus, args)


if __name__ == "__main__":
    main()
