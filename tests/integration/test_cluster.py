"""Several API workers and two schedulers on one PostgreSQL: no server error, no deadline acted on twice.

The CI-sized run of ``bench/cluster_bench.py`` (which measures the same scenario at full size).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests import cluster as c
from tests.conftest import PG_URL

pytestmark = [pytest.mark.integration, pytest.mark.only_on("postgresql")]


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    request.getfixturevalue("_pg_schema")  # skips, or fails under CI, when PostgreSQL is not reachable
    name = f"uppf_cluster_{os.getpid()}"
    url = c.fresh_database(PG_URL, name)
    yield url
    admin = make_url(PG_URL).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_two_workers_and_two_schedulers_answer_every_request_and_act_on_every_due_deadline_once(
    database: str, tmp_path: Path
) -> None:
    seed = c.seed(database, orgs=12, cases_per_org=9, due_per_org=4, now=c.now_utc())
    requests = c.plan(seed, seconds=4, transitions_per_s=25, reads_per_s=50)
    with c.cluster(database, workers=2, schedulers=2, log_dir=tmp_path) as running:
        due_at = c.now_utc()
        outcomes = c.drive(running.port, requests, connections=16)
        swept = c.wait_swept(database, due_at, timeout=60)
    s = c.summary(outcomes)
    assert s["transition"]["n"] == 100 and s["read"]["n"] == 200
    assert (s["transition"]["5xx"], s["read"]["5xx"]) == (0, 0), (tmp_path / "api.log").read_text()[-4000:]
    assert s["transition"]["ok"] == 100  # each moves its own case once
    assert s["read"]["ok"] == 200
    assert swept["due_left"] == 0
    assert swept["deadlines_acted_on"] == seed.due_deadlines
    assert (swept["effects_twice"], swept["mails_twice"]) == (0, 0)
