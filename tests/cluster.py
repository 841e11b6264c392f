"""Several API workers and schedulers on one PostgreSQL, driven at a constant arrival rate.

The harness behind ``bench/cluster_bench.py`` and the CI-sized cluster test: it creates a
database of many organisations (each a board with a strategist, a provider, an agreement,
complaints to move and deviations whose deadlines are all due), starts ``uvicorn`` with N
workers and M ``uppfoljning scheduler`` processes against it, sends transitions and reads
at fixed intended times from one asyncio loop (open loop: a request's latency counts from
when it was due to be sent, so a slow server cannot hide its queue — no coordinated
omission), samples ``pg_stat_activity`` for lock waits meanwhile, and checks afterwards
that every due deadline was acted on exactly once.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from workflow.cases.opening import open_case
from workflow.engine import delegation
from workflow.engine.firing import Actor, Workflow
from workflow.registers.agreement_cases import open_agreement_case
from workflow.schema.db import make_engine, new_id
from workflow.schema.migrate import upgrade
from workflow.schema.tables import Agreement, AppUser, ContractArea, Organisation, Provider
from workflow.settings import Settings
from workflow.tokens import mint

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "cluster-bench-signing-key-0123456789abcdef0123456789"
T = lambda m: m.__table__  # noqa: E731


@dataclass
class Seed:
    """What the load needs: a token per organisation, cases to move, cases to read, the due deadlines."""

    tokens: list[str]
    movable: list[tuple[int, int]]  # (organisation index, complaint case id), spread over organisations
    readable: list[tuple[int, int]]
    due_deadlines: int


def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server of ``admin_url``; its SQLAlchemy URL."""
    url = make_url(admin_url)
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(False), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(False)


def seed(url: str, orgs: int, cases_per_org: int, due_per_org: int, now: datetime) -> Seed:
    """Create ``orgs`` boards, each with complaints to move and deviations whose deadlines are all due at ``now``."""
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(jwt_secret=SECRET)
    tokens: list[str] = []
    org_ids: list[tuple[int, int, int, int]] = []  # (org, strategist, agreement, provider)
    with engine.begin() as conn:
        area_owner = new_id(
            conn.execute(insert(T(Organisation)).values(code="C0", name="Central", kind="central_board"))
        )
        area = new_id(
            conn.execute(
                insert(T(ContractArea)).values(code="hvb", name="HVB", regime="LOU", organisation_id=area_owner)
            )
        )
        for i in range(orgs):
            code = f"O{i:03d}"
            oid = new_id(
                conn.execute(insert(T(Organisation)).values(code=code, name=f"Nämnd {i}", kind="district_board"))
            )
            uid = new_id(
                conn.execute(
                    insert(T(AppUser)).values(
                        username=f"{code.lower()}.strateg",
                        display_name=f"Strateg {i}",
                        email=f"strateg@{code.lower()}.test.invalid",
                        organisation_id=oid,
                        roles=["contract_strategist"],
                    )
                )
            )
            pid = new_id(
                conn.execute(
                    insert(T(Provider)).values(
                        org_number=f"55{i:04d}-0000",
                        name=f"Omsorg {i} AB",
                        in_house=False,
                        contact_email=f"p{i}@provider.test.invalid",
                    )
                )
            )
            aid = new_id(
                conn.execute(
                    insert(T(Agreement)).values(
                        registry_number=f"{code}-2026-00001",
                        agreement_type="call_off",
                        organisation_id=oid,
                        provider_id=pid,
                        contract_area_id=area,
                        starts_on=date(2026, 1, 1),
                        ends_on=date(2030, 12, 31),
                        purchase_value_sek=1_000_000,
                    )
                )
            )
            org_ids.append((oid, uid, aid, pid))
            tokens.append(
                mint(settings, f"{code.lower()}.strateg", code, ["contract_strategist"], ttl=timedelta(hours=4))
            )
        delegation.load_file(conn)
    past = now - timedelta(days=14)  # every rung of a deviation's triage deadline is due by now
    by_org: list[list[tuple[int, int]]] = []
    readable: list[tuple[int, int]] = []
    for i, (oid, uid, aid, _pid) in enumerate(org_ids):
        by_org.append([])
        actor = Actor(uid, oid, ("contract_strategist",))
        with engine.begin() as conn:
            wf = Workflow(engine, lambda: now)
            # As registering an agreement does (else the schedulers' first control run opens 290 of them at once).
            open_agreement_case(wf, conn, actor, aid, "registered")
            for _ in range(cases_per_org):
                cid = open_case(wf, "complaint", actor, "bench", kind="client", agreement_id=aid, conn=conn).case_id
                by_org[i].append((i, cid))
            old = Workflow(engine, lambda: past)
            for _ in range(due_per_org):
                cid = open_case(
                    old, "deviation", actor, "bench", kind="contract_or_quality", agreement_id=aid, conn=conn
                ).case_id
                readable.append((i, cid))
    engine.dispose()
    # Statistics, as autovacuum would gather them after a load: without them the planner guesses badly on a new
    # database (the next-deadline subquery scanned every pending deadline, 3.7 ms a list instead of 0.6 ms).
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False), autocommit=True) as c:
        c.execute("ANALYZE")
    # Interleaved, so that consecutive transitions belong to different boards.
    movable = [pair for round_ in zip(*by_org, strict=True) for pair in round_]
    return Seed(tokens, movable, readable, orgs * due_per_org)


#: How far ahead :func:`hold_due_day` moves the due day: far enough that no sweep sees it, a plain date to the API.
_HELD = "interval '3650 days'"


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


def hold_due_day(url: str) -> int:
    """Move every due deadline's next action ten years ahead, so the schedulers can start with nothing due; how many.

    Only ``next_action_at`` moves (the row the sweep claims by); the due dates and rungs stay, so once released the
    sweep does exactly what it would have done (:func:`release_due_day`).
    """
    with psycopg.connect(_conninfo(url), autocommit=True) as c:
        cur = c.execute(
            f"UPDATE deadline SET next_action_at = next_action_at + {_HELD} "
            "WHERE status = 'pending' AND next_action_at <= now()"
        )
        return cur.rowcount


def release_due_day(url: str, at: datetime) -> int:
    """Make the held deadlines fall due at ``at`` (as a due day does at its hour); how many."""
    with psycopg.connect(_conninfo(url), autocommit=True) as c:
        cur = c.execute(
            "UPDATE deadline SET next_action_at = %s "
            f"WHERE status = 'pending' AND next_action_at > now() + {_HELD} / 2",
            (at,),
        )
        return cur.rowcount


def wait_logged(path: Path, text: bytes, count: int = 1, timeout: float = 120) -> None:
    """Wait until ``text`` occurs ``count`` times in the file at ``path``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(text) >= count:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{path.name} did not log {text!r} {count} times within {timeout:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(url: str, **extra: str) -> dict[str, str]:
    """The processes' environment: the database, the signing key, quiet logs, no scheduler in the API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPPF_")}
    env.update(
        UPPF_DATABASE_URL=url,
        UPPF_JWT_SECRET=SECRET,
        UPPF_AUDIT_KEY="cluster-audit-checkpoint-key-not-for-production-0123",
        UPPF_AUDIT_ANCHOR_PATH=os.environ.get("UPPF_AUDIT_ANCHOR_PATH", "audit-anchors.jsonl"),
        UPPF_ENVIRONMENT="test",
        UPPF_LOG_LEVEL="WARNING",
        UPPF_RUN_SCHEDULER="0",
        UPPF_MAIL_HOURS="always",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@dataclass
class Cluster:
    """The running processes."""

    port: int
    api: subprocess.Popen[bytes]
    schedulers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        for p in [self.api, *self.schedulers]:
            if p.poll() is None:
                p.terminate()
        for p in [self.api, *self.schedulers]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


@contextmanager
def cluster(
    url: str,
    workers: int,
    schedulers: int,
    log_dir: Path,
    sweep_seconds: float = 1.0,
    scheduler_log_level: str = "WARNING",
    scheduler_settings: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """``workers`` API processes behind one port and ``schedulers`` scheduler processes, stopped on exit.

    Their output goes to files in ``log_dir`` (``api.log``, ``scheduler-N.log``); at ``scheduler_log_level``
    INFO the schedulers' logs say when each job ran (APScheduler's lines), which :func:`job_spans` reads.
    ``scheduler_settings`` are further ``UPPF_`` variables for the schedulers.
    """
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    api_log = log_dir / "api.log"
    offset = api_log.stat().st_size if api_log.exists() else 0
    api = subprocess.Popen(
        [
            str(BIN / "uvicorn"),
            "api.app:create_server_app",  # as ``uppfoljning serve`` runs it: the collector tuned after startup
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "info",  # uvicorn's own lines only (the workers log at UPPF_LOG_LEVEL): each worker says it has started
        ],
        env=environment(url),
        cwd=ROOT,
        stdout=api_log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    c = Cluster(port, api)
    try:
        wait_healthy(port, api)
        wait_started(api_log, offset, workers, api)
        sched_env = environment(
            url,
            UPPF_SCHEDULER_SWEEP_SECONDS=str(sweep_seconds),
            UPPF_SCHEDULER_OUTBOX_SECONDS="3600",
            UPPF_SCHEDULER_CONTROLS_SECONDS="3600",
            UPPF_SCHEDULER_HOUSEKEEPING_SECONDS="3600",
            UPPF_LOG_LEVEL=scheduler_log_level,
            **(scheduler_settings or {}),
        )
        for n in range(schedulers):
            out = (log_dir / f"scheduler-{n}.log").open("ab")
            command = [str(BIN / "uppfoljning"), "scheduler"]
            c.schedulers.append(
                subprocess.Popen(command, env=sched_env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
            )
        yield c
    finally:
        c.stop()


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the API exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the API did not become ready")


def wait_started(log: Path, offset: int, workers: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until every worker has said "Application startup complete" in ``log`` (after byte ``offset``).

    The workers share one listening socket and a worker still starting accepts nothing, so keep-alive connections
    opened as soon as the first worker answers all land on that one and stay there for the whole run.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the API exited with {proc.returncode}")
        with log.open("rb") as f:
            f.seek(offset)
            if f.read().count(b"Application startup complete") >= workers:
                return
        time.sleep(0.2)
    raise RuntimeError(f"not all {workers} API workers started")


# --- the load --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """One request of the plan: when it is due (seconds from start), what it is."""

    at: float
    kind: str  # "transition" | "read"
    method: str
    path: str
    token: str
    body: bytes = b""


@dataclass(slots=True)
class Outcome:
    kind: str
    status: int
    latency_ms: float
    at: float = 0.0  # the request's intended send time, seconds from the start of the load


def plan(seed: Seed, seconds: float, transitions_per_s: float, reads_per_s: float) -> list[Request]:
    """Requests at constant rates, transitions over distinct cases spread across organisations."""
    out: list[Request] = []
    n_tr = int(seconds * transitions_per_s)
    if n_tr > len(seed.movable):
        raise ValueError(f"{n_tr} transitions need as many cases; the seed has {len(seed.movable)}")
    body = b'{"trigger":"investigate","reason":"bench"}'
    for k in range(n_tr):
        org, cid = seed.movable[k]
        out.append(
            Request(k / transitions_per_s, "transition", "POST", f"/cases/{cid}/transitions", seed.tokens[org], body)
        )
    for k in range(int(seconds * reads_per_s)):
        org, cid = seed.readable[k % len(seed.readable)]
        path = f"/cases/{cid}" if k % 2 == 0 else "/cases?page_size=25&sort=overdue_first"
        out.append(Request(k / reads_per_s, "read", "GET", path, seed.tokens[org]))
    out.sort(key=lambda r: r.at)
    return out


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: Request) -> int:
    head = (
        f"{req.method} {req.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {req.token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(req.body)}\r\n\r\n"
    )
    writer.write(head.encode() + req.body)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


#: Wall-clock time (``time.time()``) of the last :func:`drive`'s start, to line its requests up with logs and samples.
last_start: float = 0.0


async def _drive(port: int, requests: list[Request], connections: int) -> list[Outcome]:
    global last_start
    queue: asyncio.Queue[Request | None] = asyncio.Queue()
    outcomes: list[Outcome] = []
    start = time.perf_counter() + 0.2
    last_start = time.time() + 0.2

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (req := await queue.get()) is not None:
            try:
                status = await _exchange(reader, writer, req)
            except (ConnectionError, asyncio.IncompleteReadError, ValueError):
                status = 599
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            outcomes.append(Outcome(req.kind, status, (time.perf_counter() - start - req.at) * 1000, req.at))
        writer.close()

    clients = [asyncio.create_task(client()) for _ in range(connections)]
    for req in requests:
        delay = start + req.at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait(req)
    for _ in clients:
        queue.put_nowait(None)
    await asyncio.gather(*clients)
    return outcomes


def drive(port: int, requests: list[Request], connections: int = 64) -> list[Outcome]:
    """Send ``requests`` at their intended times over ``connections`` keep-alive connections."""
    return asyncio.run(_drive(port, requests, connections))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- what the database did -------------------------------------------------------------------------------------


class LockSampler:
    """Samples the database's client backends every ``interval`` s: how many were active, how many waited on locks."""

    def __init__(self, url: str, interval: float = 0.01) -> None:
        parsed = make_url(url)
        self.conninfo = parsed.set(drivername="postgresql").render_as_string(False)
        self.database = parsed.database
        self.interval = interval
        self.active = 0
        self.lock_waits = 0
        self.by_event: dict[str, int] = {}
        self.by_statement: dict[str, int] = {}  # the first 120 characters of each sampled active statement
        self.ticks: list[float] = []  # wall-clock time of each sample
        self.timed: list[tuple[float, str, str]] = []  # (wall-clock time, wait event or CPU, statement) per backend
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        sql = (
            "SELECT wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity WHERE datname = %s "
            "AND state = 'active' "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        with psycopg.connect(self.conninfo, autocommit=True) as c:
            while not self._stop.wait(self.interval):
                now = time.time()
                self.ticks.append(now)
                for kind, event, query in c.execute(sql, (self.database,)).fetchall():
                    self.timed.append((now, f"{kind}:{event}" if kind else "CPU", query))
                    self.active += 1
                    self.by_statement[query] = self.by_statement.get(query, 0) + 1
                    key = f"{kind}:{event}" if kind else "CPU"
                    self.by_event[key] = self.by_event.get(key, 0) + 1
                    if kind == "Lock":
                        self.lock_waits += 1

    def since(self, start: float) -> LockSampler:
        """The samples taken from wall-clock time ``start`` on, as a sampler of their own (already stopped)."""
        part = LockSampler.__new__(LockSampler)
        part.conninfo, part.database, part.interval = self.conninfo, self.database, self.interval
        part.ticks = [t for t in self.ticks if t >= start]
        part.timed = [row for row in self.timed if row[0] >= start]
        part.active = len(part.timed)
        part.lock_waits = sum(1 for _t, event, _q in part.timed if event.startswith("Lock:"))
        part.by_event, part.by_statement = {}, {}
        for _t, event, query in part.timed:
            part.by_event[event] = part.by_event.get(event, 0) + 1
            part.by_statement[query] = part.by_statement.get(query, 0) + 1
        return part

    @property
    def lock_share(self) -> float:
        return self.lock_waits / self.active if self.active else 0.0


class CpuMeter:
    """CPU time (user + system, from ``/proc``) each kind of process spent between ``__enter__`` and ``__exit__``.

    The kinds: the API workers (children of the uvicorn supervisor), the schedulers, this database's PostgreSQL
    backends (their pids from ``pg_stat_activity``; one that ended in between is missed) and this process (the load
    generator and the sampler). ``seconds`` maps each kind to CPU seconds, ``wall`` is the elapsed time, ``sessions``
    how many connections the database accepted meanwhile.
    """

    def __init__(self, running: Cluster, url: str) -> None:
        parsed = make_url(url)
        self.conninfo = parsed.set(drivername="postgresql").render_as_string(False)
        self.database = parsed.database
        self.running = running
        self.seconds: dict[str, float] = {}
        self.wall = 0.0
        self.sessions = 0  # connections the database accepted meanwhile (pg_stat_database.sessions)

    def _sessions(self) -> int:
        with psycopg.connect(self.conninfo, autocommit=True) as c:
            row = c.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (self.database,)).fetchone()
        return int(row[0]) if row else 0

    def _pids(self) -> dict[str, set[int]]:
        workers = {p for p in _all_pids() if _stat(p)[0] == self.running.api.pid}
        with psycopg.connect(self.conninfo, autocommit=True) as c:
            rows = c.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)).fetchall()
        return {
            "API workers": workers,
            "schedulers": {p.pid for p in self.running.schedulers},
            "PostgreSQL backends": {int(r[0]) for r in rows},
        }

    def _cpu(self, pids: dict[str, set[int]]) -> dict[tuple[str, int], float]:
        out = {(kind, pid): _stat(pid)[1] for kind, group in pids.items() for pid in group}
        self_times = os.times()
        out[("load generator", os.getpid())] = self_times.user + self_times.system
        return out

    def __enter__(self) -> CpuMeter:
        self._wall0 = time.perf_counter()
        self._before = self._cpu(self._pids())
        self.sessions = -self._sessions()
        return self

    def __exit__(self, *exc: object) -> None:
        after = self._cpu(self._pids())
        self.wall = time.perf_counter() - self._wall0
        self.sessions += self._sessions() - 1  # not counting this one
        for (kind, pid), t in after.items():
            self.seconds[kind] = self.seconds.get(kind, 0.0) + t - self._before.get((kind, pid), 0.0)


def _all_pids() -> list[int]:
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def _stat(pid: int) -> tuple[int, float]:
    """A process's parent pid and CPU seconds (user + system) so far; (0, 0.0) when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0, 0.0
    fields = raw[raw.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sweep_state(url: str, since: datetime) -> dict[str, int]:
    """After the load: due deadlines left unacted, effects done twice, outbox messages made twice."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo) as c:
        left = c.execute(
            "SELECT count(*) FROM deadline WHERE status = 'pending' AND next_action_at <= %s", (since,)
        ).fetchone()
        twice = c.execute(
            "SELECT count(*) FROM (SELECT deadline_id, rung FROM deadline_effect GROUP BY 1, 2 HAVING count(*) > 1) x"
        ).fetchone()
        mails = c.execute(
            "SELECT count(*) FROM (SELECT dedupe_key FROM outbox WHERE dedupe_key IS NOT NULL "
            "GROUP BY 1 HAVING count(*) > 1) x"
        ).fetchone()
        effects = c.execute("SELECT count(*) FROM deadline_effect").fetchone()
        acted = c.execute("SELECT count(DISTINCT deadline_id) FROM deadline_effect").fetchone()
    assert left and twice and mails and effects and acted
    return {
        "due_left": int(left[0]),
        "effects_twice": int(twice[0]),
        "mails_twice": int(mails[0]),
        "effects": int(effects[0]),
        "deadlines_acted_on": int(acted[0]),
    }


def wait_swept(url: str, since: datetime, timeout: float) -> dict[str, int]:
    """Poll until no deadline due at ``since`` is left pending (or ``timeout`` s); the final state."""
    end = time.monotonic() + timeout
    state = sweep_state(url, since)
    while state["due_left"] and time.monotonic() < end:
        time.sleep(0.5)
        state = sweep_state(url, since)
    return state


@dataclass(frozen=True, slots=True)
class JobSpan:
    """One run of a scheduler job, from its log: which process, which job, wall-clock start and end."""

    process: str
    job: str
    start: float
    end: float


def job_spans(log_dir: Path) -> list[JobSpan]:
    """The scheduler jobs' runs, read from APScheduler's lines in ``scheduler-N.log`` (logged at INFO)."""
    spans: list[JobSpan] = []
    for path in sorted(log_dir.glob("scheduler-*.log")):
        started: dict[str, float] = {}
        for line in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            event, stamp = str(entry.get("event", "")), entry.get("timestamp")
            match = re.search(r'(?:Running job|Job) "SchedulerService\.(\w+)', event)
            if not match or not stamp:
                continue
            t = datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
            if event.startswith("Running job"):
                started[match[1]] = t
            elif match[1] in started:
                spans.append(JobSpan(path.stem, match[1], started.pop(match[1]), t))
        spans += [JobSpan(path.stem, job, t, float("inf")) for job, t in started.items()]  # still running at the end
    return spans


def now_utc() -> datetime:
    return datetime.now(UTC)


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    """Counts and latencies per kind of request."""
    out: dict[str, Any] = {}
    for kind in ("transition", "read"):
        mine = [o for o in outcomes if o.kind == kind]
        lat = [o.latency_ms for o in mine]
        out[kind] = {
            "n": len(mine),
            "ok": sum(1 for o in mine if 200 <= o.status < 300),
            "4xx": sum(1 for o in mine if 400 <= o.status < 500),
            "5xx": sum(1 for o in mine if o.status >= 500),
            "p50": percentile(lat, 50),
            "p99": percentile(lat, 99),
            "max": max(lat) if lat else float("nan"),
        }
    return out
