"""CPU per API request in one worker: the cluster bench's three requests, driven in-process.

    .venv/bin/python bench/request_cpu.py [--orgs 30] [--n 400] [--rounds 5] [--profile KIND]
                                          [--seed-complaints N] [--reuse] [--base-json FILE] [--json FILE]

Seeds the database ``uppf_request_cpu`` on the local PostgreSQL as ``bench/cluster_bench.py`` does
(``tests/cluster.py``: boards with complaints to move and deviations with due deadlines), builds the
app as a worker does (``api.app:create_app`` on the environment's settings) and calls it as ASGI
from one asyncio loop, one request at a time: ``GET /cases/{id}`` (a deviation with its timeline and
deadlines), ``GET /cases?page_size=25&sort=overdue_first`` and ``POST /cases/{id}/transitions``
(``investigate`` on a distinct complaint each). Prints the least (and the median) over ``--rounds`` of the
process's CPU time (every thread: Litestar's thread pool included) per request, in µs, per kind; with
``--base-json`` (the ``--json`` of another checkout's run) also now / before. HTTP parsing (uvicorn)
is not included. ``--reuse`` runs on the database an earlier run seeded (``--seed-complaints`` per board,
enough for several runs), so that two checkouts can be measured in turns within minutes: on a shared machine
CPU time per request drifts with the other processes' load; two checkouts run at the same time on
``--part 0/2`` and ``--part 1/2`` of the complaints see the same load. ``--profile KIND`` runs cProfile (CPU time,
worker-thread work run inline) over one more round of that kind and prints the top.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from tests import cluster as c  # noqa: E402

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
KINDS = ("case_view", "case_list", "transition")


async def call(app: Any, method: str, path: str, token: str, body: bytes = b"") -> int:
    """One request through the ASGI app; its status."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif status >= 300 and message["type"] == "http.response.body":
            print(message.get("body", b"")[:300].decode(), file=sys.stderr)

    await app(scope, receive, send)
    return status


def inline_threads() -> None:
    """Run what would go to a worker thread on the loop's thread, so that one profiler sees all of a request."""
    import anyio.to_thread
    import litestar.concurrency

    async def inline(fn: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    litestar.concurrency._run_sync_asyncio = inline  # type: ignore[assignment]
    anyio.to_thread.run_sync = inline  # type: ignore[assignment]


async def run(args: argparse.Namespace, seed: c.Seed) -> dict[str, list[float]]:
    from api.app import create_app

    app = create_app()
    results: dict[str, list[float]] = {k: [] for k in KINDS}
    async with app.lifespan():
        movable = iter(seed.movable)
        body = b'{"trigger":"investigate","reason":"bench"}'

        def requests(kind: str, n: int) -> list[tuple[str, str, str, bytes]]:
            out = []
            for k in range(n):
                if kind == "transition":
                    org, cid = next(movable)
                    out.append(("POST", f"/cases/{cid}/transitions", seed.tokens[org], body))
                else:
                    org, cid = seed.readable[(k * 7) % len(seed.readable)]
                    path = f"/cases/{cid}" if kind == "case_view" else "/cases?page_size=25&sort=overdue_first"
                    out.append(("GET", path, seed.tokens[org], b""))
            return out

        async def timed(kind: str, n: int) -> float:
            batch = requests(kind, n)
            t0 = time.process_time()
            for method, path, token, b in batch:
                status = await call(app, method, path, token, b)
                if status >= 300:
                    raise RuntimeError(f"{method} {path}: {status}")
            return (time.process_time() - t0) / n * 1e6

        kinds = args.kinds.split(",")
        for kind in kinds:  # warm up: caches, pool, compiled statements
            await timed(kind, 50)
        for _ in range(args.rounds):
            for kind in kinds:
                results[kind].append(await timed(kind, args.n))
        if args.profile:
            inline_threads()
            prof = cProfile.Profile(time.thread_time)
            batch = requests(args.profile, args.n)
            prof.enable()
            for method, path, token, b in batch:
                await call(app, method, path, token, b)
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(45)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(70)
    return results


def reuse(url: str) -> c.Seed:
    """The seed of an earlier run, read back: the complaints not moved yet, the deviations, a token per board."""
    from datetime import timedelta

    import psycopg

    from workflow.settings import Settings
    from workflow.tokens import mint

    settings = Settings(jwt_secret=c.SECRET)
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False)) as conn:
        orgs = conn.execute(
            "SELECT o.id, o.code, u.username FROM organisation o JOIN app_user u ON u.organisation_id = o.id "
            "WHERE o.code LIKE 'O%' ORDER BY o.code"
        ).fetchall()
        index = {oid: i for i, (oid, _code, _user) in enumerate(orgs)}
        cases = conn.execute(
            "SELECT organisation_id, id, case_type, status FROM \"case\" WHERE case_type IN ('complaint', 'deviation') "
            "ORDER BY id"
        ).fetchall()
    tokens = [mint(settings, user, code, ["contract_strategist"], ttl=timedelta(hours=4)) for _, code, user in orgs]
    by_org: list[list[tuple[int, int]]] = [[] for _ in orgs]
    readable = []
    for oid, cid, case_type, status in cases:
        if case_type == "deviation":
            readable.append((index[oid], cid))
        elif status == "received":
            by_org[index[oid]].append((index[oid], cid))
    movable = [pair for round_ in zip(*by_org, strict=False) for pair in round_]
    return c.Seed(tokens, movable, readable, 0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--orgs", type=int, default=30)
    p.add_argument("--n", type=int, default=400, help="requests per kind per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--kinds", default=",".join(KINDS), help="which requests (e.g. to sample one under py-spy)")
    p.add_argument("--profile", choices=KINDS)
    p.add_argument("--reuse", action="store_true", help="the database of an earlier run (its unmoved complaints)")
    p.add_argument("--part", default="0/1", help="with --reuse, move only every N-th complaint from the K-th (K/N)")
    p.add_argument("--seed-complaints", type=int, default=0, help="complaints per board to seed (for --reuse later)")
    p.add_argument("--json", help="write the figures here")
    p.add_argument("--base-json", help="the figures of the run to compare with")
    args = p.parse_args()
    from workflow.logging import configure
    from workflow.settings import get_settings

    configure("WARNING")
    transitions = args.n * (args.rounds + (2 if args.profile == "transition" else 1)) + 50
    if args.reuse:
        url = make_url(ADMIN).set(database="uppf_request_cpu").render_as_string(False)
        seed = reuse(url)
        part, parts = (int(x) for x in args.part.split("/"))
        seed = replace(seed, movable=seed.movable[part::parts])
        if len(seed.movable) < transitions:
            raise SystemExit(f"{len(seed.movable)} complaints left to move, {transitions} needed: seed afresh")
    else:
        url = c.fresh_database(ADMIN, "uppf_request_cpu")
        seed = c.seed(url, args.orgs, args.seed_complaints or transitions // args.orgs + 1, 10, c.now_utc())
    env = c.environment(url)
    for k in [k for k in os.environ if k.startswith("UPPF_")]:
        del os.environ[k]
    os.environ.update({k: v for k, v in env.items() if k.startswith("UPPF_")})
    get_settings.cache_clear()  # the seed read the settings before the environment was the workers'
    results = asyncio.run(run(args, seed))
    # The least disturbed round: on a shared machine other processes only ever add to a round's CPU time
    # (cache and hyper-thread contention), so the minimum is the steadiest figure; the median is shown beside it.
    best = {k: min(v) for k, v in results.items() if v}
    base = json.loads(Path(args.base_json).read_text()) if args.base_json else None
    print(f"{'request':<12}{'CPU µs':>8}{'median':>8}  rounds" + ("  before  now/before" if base else ""))
    for kind in best:
        rounds = " ".join(f"{v:.0f}" for v in results[kind])
        extra = f"{base[kind]:>8.0f}{best[kind] / base[kind]:>12.2f}" if base and kind in base else ""
        print(f"{kind:<12}{best[kind]:>8.0f}{statistics.median(results[kind]):>8.0f}  {rounds:<26}{extra}")
    if args.json:
        Path(args.json).write_text(json.dumps(best))


if __name__ == "__main__":
    main()
