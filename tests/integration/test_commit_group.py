"""Grouped commits on SQLite (gruppcommit): concurrent fires share a durable COMMIT and fail together only then."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from tests.world import World, build_world
from workflow.cases.opening import open_case
from workflow.engine.audit import verify
from workflow.engine.group_commit import CommitGroup, commit_group
from workflow.schema.tables import CaseEvent

pytestmark = [pytest.mark.integration, pytest.mark.only_on("sqlite")]


@pytest.fixture
def scratch(engine: Engine) -> Engine:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE scratch (id INTEGER PRIMARY KEY, organisation_id INTEGER REFERENCES organisation (id))"
        )
    return engine


def _insert(row_id: int, org: int | None = None, then: Callable[[], None] | None = None) -> Callable[[Connection], int]:
    def command(conn: Connection) -> int:
        conn.execute(text("INSERT INTO scratch (id, organisation_id) VALUES (:i, :o)"), {"i": row_id, "o": org})
        if then:
            then()
        return row_id

    return command


def _committed_ids(engine: Engine) -> list[int]:
    """What another connection sees: only committed rows."""
    other = sqlite3.connect(engine.url.database or "")
    try:
        return [r[0] for r in other.execute("SELECT id FROM scratch ORDER BY id")]
    finally:
        other.close()


def _wait_until(cond: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def _second_queued_behind_first(group: CommitGroup, second: Callable[[Connection], Any]) -> dict[str, Any]:
    """Run ``second`` from another thread while the first command (run by the caller) holds the turn."""
    outcome: dict[str, Any] = {}

    def run_second() -> None:
        try:
            outcome["result"] = group.run(second)
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run_second)
    outcome["thread"] = thread

    def start_second_and_wait_for_it_to_queue() -> None:
        thread.start()
        _wait_until(lambda: group._queued == 1)

    outcome["hold"] = start_second_and_wait_for_it_to_queue
    return outcome


def test_a_lone_command_is_committed_before_run_returns(scratch: Engine) -> None:
    group = CommitGroup(scratch)
    assert group.run(_insert(1)) == 1
    assert _committed_ids(scratch) == [1]
    assert group.commits == 1


def test_a_command_queued_behind_another_shares_its_commit(scratch: Engine) -> None:
    group = CommitGroup(scratch)
    second = _second_queued_behind_first(group, _insert(2))
    assert group.run(_insert(1, then=second["hold"])) == 1
    second["thread"].join(10)
    assert second["result"] == 2
    assert _committed_ids(scratch) == [1, 2]
    assert group.commits == 1  # one durable COMMIT for both


def test_a_failing_command_in_a_group_rolls_back_only_its_own_writes(scratch: Engine) -> None:
    group = CommitGroup(scratch)

    def fail() -> None:
        raise ValueError("refused")

    second = _second_queued_behind_first(group, _insert(2, then=fail))
    assert group.run(_insert(1, then=second["hold"])) == 1
    second["thread"].join(10)
    assert isinstance(second["error"], ValueError)
    assert _committed_ids(scratch) == [1]
    assert group.run(_insert(3)) == 3  # the group goes on
    assert _committed_ids(scratch) == [1, 3]


def test_a_failing_lone_command_leaves_nothing_and_the_next_one_works(scratch: Engine) -> None:
    group = CommitGroup(scratch)
    with pytest.raises(IntegrityError):
        group.run(_insert(1, org=999_999))  # no such organisation: the foreign key refuses at once
    assert _committed_ids(scratch) == []
    assert group.run(_insert(2)) == 2
    assert _committed_ids(scratch) == [2]


def test_when_the_commit_fails_every_command_of_the_group_gets_the_error_and_nothing_is_written(
    scratch: Engine,
) -> None:
    group = CommitGroup(scratch)

    def deferred_violation(conn: Connection) -> int:
        # With the foreign key check deferred, the bad row passes its INSERT and fails the COMMIT.
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        conn.execute(text("INSERT INTO scratch (id, organisation_id) VALUES (2, 999999)"))
        return 2

    second = _second_queued_behind_first(group, deferred_violation)
    with pytest.raises(IntegrityError):
        group.run(_insert(1, then=second["hold"]))
    second["thread"].join(10)
    assert isinstance(second["error"], IntegrityError)
    assert _committed_ids(scratch) == []
    assert group.run(_insert(3)) == 3
    assert _committed_ids(scratch) == [3]


def test_disposing_the_engine_gives_the_groups_connection_back(scratch: Engine) -> None:
    group = commit_group(scratch)
    group.run(_insert(1))
    assert group._conn is not None
    scratch.dispose()
    assert group._conn is None
    assert group.run(_insert(2)) == 2  # a new connection is taken
    assert commit_group(scratch) is group


def test_concurrent_fires_on_sqlite_all_land_once_and_keep_the_audit_chain_whole(engine: Engine) -> None:
    world: World = build_world(engine)
    actor = world.actor("NORTH", "contract_strategist")
    cases = [
        open_case(
            world.wf, "complaint", actor, "received", kind="relative", agreement_id=world.agreements["north_calloff"]
        ).case_id
        for _ in range(48)
    ]
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def client(mine: list[int]) -> None:
        barrier.wait()
        try:
            for cid in mine:
                world.wf.fire(cid, "investigate", actor, "looking into it")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(cases[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with engine.connect() as conn:
        ev = CaseEvent.__table__  # type: ignore[attr-defined]
        moved = conn.execute(
            select(func.count()).select_from(ev).where(ev.c.trigger == "investigate", ev.c.case_id.in_(cases))
        ).scalar_one()
        assert moved == len(cases)
        assert verify(conn) == []
