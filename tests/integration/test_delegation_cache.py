"""The delegation order's in-memory copy lives as long as its setting says, in every process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from tests.world import NOW, build_world
from workflow.deadlines.calendar import local_date
from workflow.engine.delegation import _OrderCache
from workflow.schema.tables import DelegationOrder, DelegationRule

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
LIFETIME = 1.0

# A second process: answers each line on stdin with whether the contract strategist holds a mandate.
_PROCESS = textwrap.dedent(
    """
    import sys
    from datetime import date
    from workflow.schema.db import make_engine
    from workflow.engine.delegation import find_mandate
    url, schema, org, on = sys.argv[1], sys.argv[2] or None, int(sys.argv[3]), date.fromisoformat(sys.argv[4])
    engine = make_engine(url, schema=schema, pool_size=1)
    for _line in sys.stdin:
        with engine.connect() as conn:
            m = find_mandate(conn, org, "request_rectification", ("contract_strategist",), on)
        print("granted" if m else "refused", flush=True)
    """
)


def _revoke(engine: Engine, org: int) -> None:
    """The board takes the strategists' mandate for rectification requests away (every version, every role)."""
    o, r = DelegationOrder.__table__, DelegationRule.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        orders = select(o.c.id).where(o.c.organisation_id == org).scalar_subquery()
        conn.execute(
            update(r)
            .where(r.c.order_id.in_(orders), r.c.decision_kind == "request_rectification")
            .values(delegates=[], substitutes=[])
        )


def test_a_mandate_revoked_in_one_process_is_refused_in_another_once_the_configured_lifetime_has_passed(
    engine: Engine, backend: str, request: pytest.FixtureRequest
) -> None:
    world = build_world(engine)
    org = world.orgs["NORTH"]
    schema = request.getfixturevalue("_pg_schema") if backend == "postgresql" else ""
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "UPPF_DELEGATION_CACHE_SECONDS": str(LIFETIME)}
    other = subprocess.Popen(
        [sys.executable, "-c", _PROCESS, url, schema, str(org), local_date(NOW).isoformat()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert other.stdin is not None and other.stdout is not None

    def ask() -> str:
        assert other.stdin is not None and other.stdout is not None
        other.stdin.write("?\n")
        other.stdin.flush()
        return other.stdout.readline().strip()

    try:
        assert ask() == "granted"  # loaded into the other process's copy
        _revoke(engine, org)
        revoked_at = time.monotonic()
        time.sleep(LIFETIME * 1.2)
        assert ask() == "refused"
        assert time.monotonic() - revoked_at < 30.0  # far inside the old hard-coded lifetime
    finally:
        other.stdin.close()
        other.wait(timeout=30)


def test_the_copy_is_read_again_only_once_older_than_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from workflow.settings import get_settings

    monkeypatch.setenv("UPPF_DELEGATION_CACHE_SECONDS", "7.5")
    get_settings.cache_clear()
    try:
        assert _OrderCache().lifetime() == 7.5
        assert _OrderCache(ttl=0).lifetime() == 0
    finally:
        get_settings.cache_clear()
