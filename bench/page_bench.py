"""Staff pages against the JSON API serving the same data, in one run: server time per request, p50 and p95.

    .venv/bin/python bench/page_bench.py [--db sqlite|postgresql|all] [--cases N] [--rounds R] [--owned-every N]

Seeding reuses ``bench/report_bench.py``'s bulk loader (``--cases`` cases, default 1,000,000, over five
boards and five years with their audit events and decisions; raw ``executemany`` on SQLite, ``COPY`` on
PostgreSQL, never through the engine), then adds in SQL: one user per board (a contract strategist), the
delegation order, one pending deadline per open case (due dates spread from 20 days ago to 40 days ahead, so
about a third are overdue) and every ``--owned-every``-th open case (default 10) owned by its board's strategist.

Each page and its JSON endpoint call the same query function for the same rows (the case list's page shows
50 cases earliest deadline first, so the JSON asks for that too).

Fixed workload, as NORRMALM's strategist (the busiest board, 30 % of the cases), in process through
Litestar's ``TestClient`` (ASGI, no sockets): each round requests every pair below once, page then API, and
the time of each request is recorded (client overhead included, the same for both sides). ``--rounds``
rounds (default 60) after ``--warmup`` (5); twelve fixed case ids are cycled for the case page.

| page | its JSON counterpart |
|---|---|
| ``/oversikt`` (my overdue and due-soon deadlines, counts per type) | ``/overview`` |
| ``/arenden?typ=deviation&forsenade=1`` | ``/cases?case_type=deviation&overdue=true&sort=next_due&page_size=50`` |
| ``/arenden?typ=follow_up&status=planned`` | ``/cases?case_type=follow_up&status=planned&sort=next_due&page_size=50`` |
| ``/arenden`` (no filter: every case of the board, earliest deadline first) | ``/cases?sort=next_due&page_size=50`` |
| ``/arenden/{id}`` (the case and its actions) | ``/cases/{id}`` and ``/cases/{id}/triggers``, timed together |

Goals (the issue): p95 < 100 ms per page, and a page at most 1.5× its JSON endpoint.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import report_bench
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from api.app import create_app
from workflow.bootstrap import bootstrap
from workflow.cases.tally import fold
from workflow.engine import delegation
from workflow.logging import configure
from workflow.settings import Settings
from workflow.tokens import mint

SECRET = "page-bench-signing-key-0123456789abcdef0123456789abcdef"
ORG = 2  # NORRMALM in report_bench's reference rows
USER = "bench.norrmalm.strateg"


def prepare(engine: Engine, kind: str, owned_every: int) -> float:
    """Users, the delegation order, pending deadlines on open cases and owners; answers the seconds it took."""
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for org_id, (code, _) in enumerate(report_bench.ORGS, start=1):
            conn.execute(
                text(
                    "INSERT INTO app_user (id, username, display_name, email, organisation_id, roles, active) "
                    "VALUES (:id, :u, :n, :e, :o, :r, :a)"
                ),
                {
                    "id": org_id,
                    "u": f"bench.{code.lower()}.strateg",
                    "n": f"Avtalsstrateg {code.title()}",
                    "e": f"strateg@{code.lower()}.example",
                    "o": org_id,
                    "r": '["contract_strategist"]',
                    "a": True,
                },
            )
        delegation.load_file(conn)
        if kind == "sqlite":
            due = "strftime('%Y-%m-%d %H:%M:%S.000000', 'now', ((id % 60) - 20) || ' days')"
        else:
            due = "now() + ((id % 60) - 20) * interval '1 day'"
        conn.execute(
            text(
                "INSERT INTO deadline (case_id, organisation_id, kind, state, due_at, status, next_rung, "
                "next_action_at, rule_version, working_days, opened_at) "
                f"SELECT id, organisation_id, 'bench', status, {due}, 'pending', 0, {due}, 'bench/1', false, "
                'updated_at FROM "case" WHERE closed_at IS NULL'
            )
        )
        # Each open case's next due time is its one deadline's, as the engine keeps it (migration 0017's fill).
        conn.execute(
            text(
                'UPDATE "case" SET next_due_at = (SELECT min(d.due_at) FROM deadline d WHERE d.case_id = "case".id '
                "AND d.status = 'pending') WHERE closed_at IS NULL"
            )
        )
        conn.execute(
            text('UPDATE "case" SET owner_id = organisation_id WHERE closed_at IS NULL AND id % :n = 0'),
            {"n": owned_every},
        )
        if kind == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('app_user', 'id'), (SELECT max(id) FROM app_user))")
            )
    fold(engine)  # the open-case tally's changes, as the schedulers fold them on every sweep tick
    with engine.connect() as conn:
        if kind == "sqlite":
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - t0


def _sign_in(client: TestClient) -> None:  # type: ignore[type-arg]
    import re

    page = client.get("/logga-in/utveckling")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    res = client.post(
        "/logga-in/utveckling",
        data={"_csrf_token": token[1], "username": USER, "next": "/oversikt"},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text


def pairs(case_ids: list[int]) -> list[tuple[str, Callable[[int], str], Callable[[int], str]]]:
    def case_of(i: int) -> int:
        return case_ids[i % len(case_ids)]

    return [
        ("overview", lambda i: "/oversikt", lambda i: "/overview"),
        ("case list: all", lambda i: "/arenden", lambda i: "/cases?sort=next_due&page_size=50"),
        (
            "case list: deviations, overdue",
            lambda i: "/arenden?typ=deviation&forsenade=1",
            lambda i: "/cases?case_type=deviation&overdue=true&sort=next_due&page_size=50",
        ),
        (
            "case list: follow-ups, planned",
            lambda i: "/arenden?typ=follow_up&status=planned",
            lambda i: "/cases?case_type=follow_up&status=planned&sort=next_due&page_size=50",
        ),
        # The page shows the case and its actions (allowed or why not): the API serves them as two endpoints.
        (
            "case page",
            lambda i: f"/arenden/{case_of(i)}",
            lambda i: f"/cases/{case_of(i)} /cases/{case_of(i)}/triggers",
        ),
    ]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(engine: Engine, rounds: int, warmup: int) -> list[tuple[str, list[float], list[float]]]:
    settings = Settings(environment="development", jwt_secret=SECRET)
    app = create_app(bootstrap(settings, engine))
    token = mint(settings, USER, "NORRMALM", ["contract_strategist"])
    with engine.connect() as conn:
        ids = [
            int(r[0])
            for r in conn.execute(
                text('SELECT id FROM "case" WHERE organisation_id = :o AND closed_at IS NULL ORDER BY id LIMIT 1200'),
                {"o": ORG},
            )
        ][::100]
    api_headers = {"Authorization": f"Bearer {token}"}
    out: list[tuple[str, list[float], list[float]]] = []
    with TestClient(app, base_url="http://testserver.local") as client:
        _sign_in(client)
        work = pairs(ids)
        times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name, _, _ in work}
        for i in range(warmup + rounds):
            for name, page, api in work:
                t0 = time.perf_counter()
                res = client.get(page(i))
                t1 = time.perf_counter()
                assert res.status_code == 200, (page(i), res.status_code, res.text[:300])
                for url in api(i).split():  # the same data may take the API more than one request
                    res = client.get(url, headers=api_headers)
                    assert res.status_code == 200, (url, res.status_code, res.text[:300])
                t2 = time.perf_counter()
                if i >= warmup:
                    times[name][0].append((t1 - t0) * 1000)
                    times[name][1].append((t2 - t1) * 1000)
        out = [(name, *times[name]) for name, _, _ in work]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "all"], default="all")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--owned-every", type=int, default=10, help="the strategist owns every n-th open case")
    args = parser.parse_args()
    configure(level="WARNING")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the test client's line per request
    print(
        f"# page bench: {args.cases:,} cases, {args.rounds} rounds, owner of every {args.owned_every}th open case; "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores"
    )
    kinds = ["sqlite", "postgresql"] if args.db == "all" else [args.db]
    for kind in kinds:
        with report_bench.database(kind, args.cases) as (engine, load_s):
            extra_s = prepare(engine, kind, args.owned_every)
            with engine.connect() as conn:
                open_cases = conn.execute(text("SELECT count(*) FROM deadline")).scalar()
                mine = conn.execute(
                    text('SELECT count(*) FROM "case" WHERE organisation_id = :o AND owner_id IS NOT NULL'),
                    {"o": ORG},
                ).scalar()
            print(
                f"\n## {kind}: seeded {args.cases:,} cases in {load_s:.0f} s, then {open_cases:,} pending deadlines, "
                f"users and owners in {extra_s:.0f} s; NORRMALM's strategist owns {mine:,} open cases"
            )
            print("| page | page p50 ms | page p95 ms | API p50 ms | API p95 ms | ratio p50 | ratio p95 | goals |")
            print("|---|---:|---:|---:|---:|---:|---:|---|")
            for name, page, api in measure(engine, args.rounds, args.warmup):
                p50, p95 = statistics.median(page), _pct(page, 0.95)
                a50, a95 = statistics.median(api), _pct(api, 0.95)
                goals = f"p95 {'met' if p95 < 100 else 'MISSED'}, ratio {'met' if p95 <= 1.5 * a95 else 'MISSED'}"
                print(
                    f"| {name} | {p50:.1f} | {p95:.1f} | {a50:.1f} | {a95:.1f} | "
                    f"{p50 / a50:.2f}× | {p95 / a95:.2f}× | {goals} |"
                )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
