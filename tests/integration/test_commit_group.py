"""Grouped commits on SQLite (gruppcommit): one writer thread; concurrent writes share a durable COMMIT and fail
together only then."""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from tests.fakes import InMemoryUnitOfWork
from tests.world import World, build_world
from workflow.cases.opening import open_case
from workflow.engine.audit import verify
from workflow.engine.group_commit import WriterThread, writer_thread
from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import CaseEvent

pytestmark = [pytest.mark.integration, pytest.mark.only_on("sqlite")]
REQUEST = contextvars.ContextVar[str]("request", default="none")


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


class _Queued:
    """Commands run from other threads while the writer is held inside a first command, so they form one group."""

    def __init__(self, writer: WriterThread) -> None:
        self.writer = writer
        self.release = threading.Event()
        self.outcomes: dict[int, Any] = {}
        self.threads: list[threading.Thread] = []

    def holding(self, row_id: int) -> Callable[[Connection], int]:
        """A first command that holds the writer until :meth:`queue` has queued the others."""
        return _insert(row_id, then=lambda: self.release.wait(10))

    def queue(self, *commands: tuple[int, Callable[[Connection], Any]]) -> None:
        for key, command in commands:
            t = threading.Thread(target=self._run, args=(key, command))
            t.start()
            self.threads.append(t)
        _wait_until(lambda: self.writer._queue.qsize() == len(commands))
        self.release.set()

    def _run(self, key: int, command: Callable[[Connection], Any]) -> None:
        try:
            self.outcomes[key] = self.writer.run(command)
        except Exception as exc:
            self.outcomes[key] = exc

    def join(self) -> dict[int, Any]:
        for t in self.threads:
            t.join(10)
        return self.outcomes


def _held(writer: WriterThread, first: Callable[[Connection], Any], q: _Queued) -> threading.Thread:
    t = threading.Thread(target=q._run, args=(0, first))
    t.start()
    _wait_until(lambda: writer._current is not None)
    return t


def test_a_lone_command_is_committed_before_run_returns(scratch: Engine) -> None:
    writer = WriterThread(scratch)
    assert writer.run(_insert(1)) == 1
    assert _committed_ids(scratch) == [1]
    assert writer.commits == 1


def test_commands_queued_while_the_writer_is_busy_share_one_commit(scratch: Engine) -> None:
    writer = WriterThread(scratch)
    q = _Queued(writer)
    first = _held(writer, q.holding(1), q)
    q.queue((2, _insert(2)), (3, _insert(3)))
    first.join(10)
    assert q.join() == {0: 1, 2: 2, 3: 3}
    assert _committed_ids(scratch) == [1, 2, 3]
    assert writer.commits == 2  # the first alone, the two queued behind it in one durable COMMIT


def test_a_failing_command_in_a_group_rolls_back_only_its_own_writes(scratch: Engine) -> None:
    writer = WriterThread(scratch)

    def fail() -> None:
        raise ValueError("refused")

    q = _Queued(writer)
    first = _held(writer, q.holding(1), q)
    q.queue((2, _insert(2, then=fail)), (3, _insert(3)))
    first.join(10)
    outcomes = q.join()
    assert isinstance(outcomes[2], ValueError)
    assert outcomes[3] == 3
    assert _committed_ids(scratch) == [1, 3]
    assert writer.run(_insert(4)) == 4  # the writer goes on
    assert _committed_ids(scratch) == [1, 3, 4]


def test_a_failing_lone_command_leaves_nothing_and_the_next_one_works(scratch: Engine) -> None:
    writer = WriterThread(scratch)
    with pytest.raises(IntegrityError):
        writer.run(_insert(1, org=999_999))  # no such organisation: the foreign key refuses at once
    assert _committed_ids(scratch) == []
    assert writer.run(_insert(2)) == 2
    assert _committed_ids(scratch) == [2]


def test_when_the_commit_fails_every_command_of_the_group_gets_the_error_and_nothing_is_written(
    scratch: Engine,
) -> None:
    writer = WriterThread(scratch)

    def deferred_violation(conn: Connection) -> int:
        # With the foreign key check deferred, the bad row passes its INSERT and fails the COMMIT.
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        conn.execute(text("INSERT INTO scratch (id, organisation_id) VALUES (2, 999999)"))
        return 2

    q = _Queued(writer)
    first = _held(writer, q.holding(1), q)
    q.queue((2, deferred_violation), (3, _insert(3)))
    first.join(10)
    outcomes = q.join()
    assert outcomes[0] == 1  # the first command committed alone before the group
    assert isinstance(outcomes[2], IntegrityError)
    assert isinstance(outcomes[3], IntegrityError)
    assert _committed_ids(scratch) == [1]
    assert writer.run(_insert(4)) == 4
    assert _committed_ids(scratch) == [1, 4]


def test_a_write_made_inside_a_command_joins_its_transaction_instead_of_waiting_for_itself(scratch: Engine) -> None:
    writer = WriterThread(scratch)

    def outer(conn: Connection) -> int:
        _insert(1)(conn)
        return writer.run(_insert(2))  # on the writer thread: queueing would wait for itself forever

    assert writer.run(outer) == 2
    assert writer.commits == 1

    def outer_failing(conn: Connection) -> None:
        writer.run(_insert(3))
        raise ValueError("refused after the inner write")

    with pytest.raises(ValueError):
        writer.run(outer_failing)
    assert _committed_ids(scratch) == [1, 2]  # the inner write went with the command that made it


def test_coroutines_await_their_writes_without_a_thread_and_each_gets_its_own_outcome(scratch: Engine) -> None:
    writer = WriterThread(scratch)

    def seen_on(conn: Connection) -> str:
        return f"{threading.current_thread().name}:{REQUEST.get()}"

    async def one(i: int) -> Any:
        REQUEST.set(f"r{i}")  # each task's own context, as each request's log context
        if i == 5:
            return await writer.run_async(_insert(i, org=999_999))
        await writer.run_async(_insert(i))
        return await writer.run_async(seen_on)

    async def all_of_them() -> list[Any]:
        return await asyncio.gather(*(one(i) for i in range(1, 21)), return_exceptions=True)

    outcomes = asyncio.run(all_of_them())
    assert isinstance(outcomes[4], IntegrityError)
    assert [o for i, o in enumerate(outcomes, start=1) if i != 5] == [
        f"sqlite-writer:r{i}" for i in range(1, 21) if i != 5
    ]
    assert _committed_ids(scratch) == [i for i in range(1, 21) if i != 5]
    assert writer.commits < 39  # 39 writes queued by 20 tasks at once formed groups


def test_disposing_the_engine_gives_the_writers_connection_back(scratch: Engine) -> None:
    writer = writer_thread(scratch)
    writer.run(_insert(1))
    assert writer._conn is not None
    scratch.dispose()
    assert writer._conn is None
    assert writer.run(_insert(2)) == 2  # a new connection is taken
    assert writer_thread(scratch) is writer


def test_a_command_awaited_runs_on_the_writer_thread_only_where_the_unit_of_work_writes_there(
    engine: Engine,
) -> None:
    def thread_name() -> str:
        return threading.current_thread().name

    real = asyncio.run(UnitOfWork(engine).run_async(thread_name))
    fake = asyncio.run(InMemoryUnitOfWork(lambda: None).run_async(thread_name))  # type: ignore[arg-type,return-value]
    assert real == "sqlite-writer"
    assert fake != "sqlite-writer"  # the fake writes its own way: its command goes to a worker thread


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
