"""The transition endpoint under load, next to a raw-SQL endpoint and a naive ORM one, in one run.

    .venv/bin/python bench/api_bench.py [--seconds 10] [--connections 32] [--threads 2]

Each server runs in its own process (uvicorn, one worker) on 127.0.0.1 over its own
SQLite file (WAL, ``synchronous=FULL``); ``wrk`` loads it from another process for a
bounded time. Every transition request moves a different complaint case
(received → investigating), so every request does real work. Prints requests/s,
p50 and p99 latency, non-2xx counts and the ratios; figures go in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine  # noqa: E402

from tests.world import build_world  # noqa: E402
from workflow.cases.opening import open_case  # noqa: E402
from workflow.logging import configure  # noqa: E402
from workflow.schema.db import make_engine  # noqa: E402
from workflow.schema.migrate import upgrade  # noqa: E402
from workflow.settings import Settings  # noqa: E402
from workflow.tokens import mint  # noqa: E402

SECRET = "bench-signing-key-0123456789abcdef0123456789abcdef"
LUA = """
local first, nthreads, path_fmt = 0, 1, ""
local tid_counter = 0
function setup(thread)
  thread:set("tid", tid_counter)
  tid_counter = tid_counter + 1
end
function init(args)
  first = tonumber(args[1]); nthreads = tonumber(args[2]); path_fmt = args[3]
  n = 0
  wrk.method = "POST"
  wrk.body = '{"trigger":"investigate","reason":"bench"}'
  wrk.headers["Content-Type"] = "application/json"
  if args[4] ~= nil then wrk.headers["Authorization"] = "Bearer " .. args[4] end
end
function request()
  local id = first + tid + n * nthreads
  n = n + 1
  return wrk.format(nil, string.format(path_fmt, id))
end
"""


def prepare(db: Path, cases: int) -> tuple[int, str]:
    """A world with ``cases`` complaints in NORTH; return the first case id and a strategist's token."""
    engine: Engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    world = build_world(engine)
    actor = world.actor("NORTH", "contract_strategist")
    agreement = world.agreements["north_calloff"]
    first = None
    with engine.begin() as conn:
        for _ in range(cases):
            cid = open_case(
                world.wf, "complaint", actor, "bench", kind="client", agreement_id=agreement, conn=conn
            ).case_id
            first = first or cid
    engine.dispose()
    settings = Settings(jwt_secret=SECRET)
    return int(first or 1), mint(settings, "north.contract_strategist", "NORTH", ["contract_strategist"])


def serve(kind: str, port: int, db: Path, logfile: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "UPPF_JWT_SECRET": SECRET, "UPPF_DATABASE_URL": f"sqlite:///{db}"}
    with logfile.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "api_bench_apps.py"), kind, str(port), str(db)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start; see {logfile}")


def _ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    assert m, value
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def load(
    port: int, path_fmt: str, first: int, seconds: float, conns: int, threads: int, token: str, script: Path
) -> dict[str, Any]:
    args = [
        "wrk",
        f"-t{threads}",
        f"-c{conns}",
        f"-d{int(seconds)}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
    ]
    args += [f"http://127.0.0.1:{port}", "--", str(first), str(threads), path_fmt]
    if token:
        args.append(token)
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if os.environ.get("BENCH_DEBUG"):
        print(out, file=sys.stderr)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    return {
        "rps": rps,
        "requests": total,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
        "p50_ms": _ms(lat["50"]),
        "p99_ms": _ms(lat["99"]),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cases", type=int, default=100_000, help="complaints to prepare per transition server")
    p.add_argument("--repeats", type=int, default=1, help="rounds (endpoints take turns); the median round is shown")
    p.add_argument("--json", action="store_true", help="print the figures as JSON too")
    p.add_argument("--only", choices=["raw", "real", "naive"], action="append", help="run only these endpoints")
    a = p.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (apt-get install -y wrk)")
    configure("WARNING")
    tmp = Path(tempfile.mkdtemp(prefix="api_bench_"))
    script = tmp / "load.lua"
    script.write_text(LUA)
    print(f"preparing {a.cases} cases …", flush=True)
    first, token = prepare(tmp / "real.db", a.cases)
    shutil.copy(tmp / "real.db", tmp / "naive.db")
    runs = {
        "raw": ("raw", tmp / "raw.db", "/raw/%d", ""),
        "real": ("real", tmp / "real.db", "/cases/%d/transitions", token),
        "naive": ("naive", tmp / "naive.db", "/naive/cases/%d/transitions", ""),
    }
    runs = {k: v for k, v in runs.items() if not a.only or k in a.only}
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in runs}
    next_id = dict.fromkeys(runs, first)
    load_before = os.getloadavg()
    for rep in range(a.repeats):
        for port, (name, (kind, db, path_fmt, tok)) in enumerate(runs.items(), start=18700 + 10 * rep):
            proc = serve(kind, port, db, tmp / f"{name}.log")
            try:
                warm = load(port, path_fmt, next_id[name], 2, a.connections, a.threads, tok, script)
                # wrk threads take every n-th id and need not keep pace exactly: leave room
                start = next_id[name] + warm["requests"] + warm["requests"] // 4 + 200
                r = load(port, path_fmt, start, a.seconds, a.connections, a.threads, tok, script)
                next_id[name] = start + r["requests"] + r["requests"] // 4 + 200
                samples[name].append(r)
                if kind != "raw" and (next_id[name] > first + a.cases or r["non2xx"]):
                    print(f"warning: {name} had {r['non2xx']} non-2xx answers (out of cases? raise --cases)")
            finally:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            print(f"round {rep + 1} {name}: {r}", flush=True)
    # The median round by throughput, per endpoint (its latencies come with it); rounds with errors left out.
    results = {}
    for name, rs in samples.items():
        clean = [r for r in rs if not r["non2xx"]] or rs
        results[name] = sorted(clean, key=lambda r: r["rps"])[len(clean) // 2]
    load_after = os.getloadavg()
    print(f"\nload average before/after: {load_before[0]:.1f} / {load_after[0]:.1f} (2 cores, shared)")
    print(
        f"{a.connections} connections, {a.threads} wrk threads, {a.seconds:.0f} s per endpoint and round, "
        f"{a.repeats} round(s), median round shown, one uvicorn worker each"
    )
    print(f"{'endpoint':<50}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'timeouts':>9}")
    labels = {
        "raw": "plain Litestar, one raw-SQL INSERT",
        "real": "POST /cases/{id}/transitions (auth, scope, audit)",
        "naive": "naive SQLModel + transitions, no auth",
    }
    for name, r in results.items():
        print(
            f"{labels[name]:<50}{r['rps']:>8.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['non2xx']:>9}{r['timeouts']:>9}"
        )
    if len(results) == 3:
        real, raw, naive = results["real"], results["raw"], results["naive"]
        print(f"\nreal / raw throughput: {real['rps'] / raw['rps']:.2f}  (goal ≥ 0.50)")
        print(f"real / naive throughput: {real['rps'] / max(naive['rps'], 1e-9):.2f}")
        print(f"real p99: {real['p99_ms']:.1f} ms  (goal < 50 ms)")
    if a.json:
        print(json.dumps(results))
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")


if __name__ == "__main__":
    main()
