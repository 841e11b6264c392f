"""Backup under a running write load, restore into a new database: the chain is intact and nothing committed is lost."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from tests import cluster
from tests.conftest import PG_URL
from tests.world import World
from workflow.backup import BackupError, backup, check, manifest_path, restore
from workflow.cases.opening import open_case
from workflow.cli import main
from workflow.engine.audit import verify
from workflow.schema.db import make_engine, read
from workflow.schema.tables import Case, CaseEvent

pytestmark = pytest.mark.integration


def complaints(world: World, n: int) -> list[int]:
    actor = world.actor("NORTH", "contract_strategist")
    with world.engine.begin() as conn:
        return [
            open_case(
                world.wf,
                "complaint",
                actor,
                "drill",
                kind="client",
                conn=conn,
                agreement_id=world.agreements["north_calloff"],
            ).case_id
            for _ in range(n)
        ]


class Load:
    """Moves the cases one by one on a thread; remembers when each transition had committed."""

    def __init__(self, world: World, case_ids: list[int]) -> None:
        self.world, self.case_ids = world, case_ids
        self.committed: list[tuple[int, float]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        actor = self.world.actor("NORTH", "contract_strategist")
        for cid in self.case_ids:
            if self.stop.is_set():
                return
            self.world.wf.fire(cid, "investigate", actor, "drill")
            self.committed.append((cid, time.monotonic()))

    def __enter__(self) -> Load:
        self.thread.start()
        while len(self.committed) < 20:  # the load is under way
            time.sleep(0.005)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def restored_state(engine: Engine) -> tuple[int, set[int]]:
    with read(engine) as conn:
        assert verify(conn) == []
        events = int(conn.execute(select(func.count()).select_from(CaseEvent)).scalar_one())
        moved = {r[0] for r in conn.execute(select(Case.id).where(Case.status == "investigating"))}  # type: ignore[arg-type]
    return events, moved


@pytest.fixture
def pg_target(backend: str) -> Iterator[str]:
    if backend != "postgresql":
        yield ""
        return
    name = f"uppf_restore_{os.getpid()}"
    yield cluster.fresh_database(PG_URL, name)
    admin = make_url(PG_URL).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_taken_under_load_restores_with_every_transition_committed_before_it(
    world: World, tmp_path: Path, backend: str, pg_target: str, request: pytest.FixtureRequest
) -> None:
    ids = complaints(world, 400)
    target = tmp_path / "uppf.backup"
    with Load(world, ids) as load:
        started = time.monotonic()
        m = backup(world.engine, target)
    before = {cid for cid, at in load.committed if at < started}
    assert (len(before) >= 20 and len(load.committed) > len(before)) or len(load.committed) == len(ids)
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.db'}"
        restore(target, url)
        restored = make_engine(url)
    else:
        restore(target, pg_target)
        restored = make_engine(pg_target, schema=request.getfixturevalue("_pg_schema"))
    try:
        events, moved = restored_state(restored)
    finally:
        restored.dispose()
    assert events == m.audit_events  # the manifest counts the snapshot the backup holds
    assert before <= moved  # nothing that had committed before the backup began is missing
    assert events == len(ids) + len(moved)  # one opening event per case, one per transition in the copy


def test_a_backup_never_overwrites_and_a_damaged_one_is_refused(world: World, tmp_path: Path) -> None:
    target = tmp_path / "uppf.backup"
    backup(world.engine, target)
    with pytest.raises(BackupError, match="exists already"):
        backup(world.engine, target)
    with target.open("ab") as f:
        f.write(b"tampered")
    with pytest.raises(BackupError, match="does not match its manifest"):
        check(target)
    manifest_path(target).unlink()
    with pytest.raises(BackupError, match="manifest"):
        restore(target, f"sqlite:///{tmp_path / 'x.db'}")


@pytest.mark.only_on("sqlite")
def test_the_command_line_backs_up_and_restores_into_a_new_file_only(
    world: World, tmp_path: Path, backend: str
) -> None:
    complaints(world, 3)
    source_url = world.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    out = runner.invoke(main, ["--database-url", source_url, "backup", str(tmp_path / "b.db")])
    assert out.exit_code == 0, out.output
    assert "3 logghändelser" in out.output
    done = runner.invoke(main, ["restore", str(tmp_path / "b.db"), "--to", f"sqlite:///{tmp_path / 'new.db'}"])
    assert done.exit_code == 0, done.output
    assert "loggkedjan är obruten" in done.output
    again = runner.invoke(main, ["restore", str(tmp_path / "b.db"), "--to", f"sqlite:///{tmp_path / 'new.db'}"])
    assert again.exit_code != 0 and "finns redan; återställ till en ny fil" in again.output
