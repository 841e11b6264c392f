"""Grouped durable commits on SQLite (gruppcommit): one writer thread per database, commands share COMMITs.

SQLite takes one writer at a time, and most of a write's time is its durable COMMIT. So every write command of
a SQLite database runs on that database's one writer thread (:class:`WriterThread`): it takes the commands queued
meanwhile (up to ``max_size``), runs each in its own SAVEPOINT inside one transaction and commits them together.
A refused or failed command rolls back to its savepoint and touches no other; if BEGIN or COMMIT fails, none of the
group happened and every command gets that error. Nobody gets an answer before the COMMIT holding their command is
durable. A command queued alone runs without a savepoint and commits at once, as a plain transaction would.

Threads wait for their command (:meth:`WriterThread.run`); coroutines await it without holding a thread
(:meth:`WriterThread.run_async`), which is how the API's transitions reach the database: the request is queued from
the event loop and answered from it, with no worker thread between (``bench/README.md``, "the writer thread
again"). Each command runs in the caller's context variables (its log context). A write made by a command already
running on the writer thread joins that command's transaction instead of queueing behind itself.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import sqlite3
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeVar

import structlog
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from workflow.schema.db import per_engine

T = TypeVar("T")
log = structlog.get_logger("workflow.group_commit")

#: Settles one command: ``settle(ok, result or error)``, called on the writer thread once its COMMIT is durable.
Settle = Callable[[bool, Any], None]


class _Command:
    """A queued write: the work, the caller's context, and how its outcome reaches the caller."""

    __slots__ = ("context", "settle", "work")

    def __init__(self, work: Callable[[Connection], Any], settle: Settle) -> None:
        self.work = work
        self.context = contextvars.copy_context()
        self.settle = settle


class _Latch:
    """A thread's wait for its command: released once, by the writer thread, with the outcome."""

    __slots__ = ("_lock", "ok", "value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self.ok = False
        self.value: Any = None

    def settle(self, ok: bool, value: Any) -> None:
        self.ok, self.value = ok, value
        self._lock.release()

    def wait(self) -> Any:
        self._lock.acquire()
        if not self.ok:
            raise self.value
        return self.value


def _settle_future(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():  # the caller went away; the command still happened (or not) as settled
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


_RELEASE = object()  # queued by release(): close the connection, take a new one for the next command


class WriterThread:
    """The one thread that writes to a SQLite database; concurrent commands share its durable COMMITs.

    The thread starts with the first command and keeps its connection checked out between groups (until the
    engine is disposed): taking it from the pool and giving it back cost a fifth of a transition's Python.
    ``commits`` counts the transactions committed (fewer than the commands when groups formed).
    """

    def __init__(self, engine: Engine, max_size: int = 64) -> None:
        self.engine = engine
        self.max_size = max_size
        self.commits = 0
        self._queue: queue.SimpleQueue[_Command | object] = queue.SimpleQueue()
        self._start = threading.Lock()
        self._thread: threading.Thread | None = None
        self._conn: Connection | None = None
        self._current: Connection | None = None  # the transaction a command on the writer thread runs in

    # --- callers ------------------------------------------------------------------------------------------------

    def run(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in a write transaction on the writer thread; its result once that transaction is durable."""
        if threading.current_thread() is self._thread:
            return self._join(work)
        latch = _Latch()
        self._submit(_Command(work, latch.settle))
        return latch.wait()  # type: ignore[no-any-return]

    async def run_async(self, work: Callable[[Connection], T]) -> T:
        """:meth:`run` for a coroutine: the command is queued from the event loop and awaited there."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(ok: bool, value: Any) -> None:
            with suppress(RuntimeError):  # a closed event loop (shutdown) has nobody waiting for the answer
                loop.call_soon_threadsafe(_settle_future, future, ok, value)

        self._submit(_Command(work, settle))
        return await future

    def release(self) -> None:
        """Give the connection back (the engine is being disposed); the next command takes a new one."""
        if self._thread is None:
            return
        if threading.current_thread() is self._thread:
            self._close()
            return
        done = threading.Event()
        self._queue.put((_RELEASE, done))
        done.wait(30)

    # --- the writer thread ----------------------------------------------------------------------------------------

    def _submit(self, command: _Command) -> None:
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    thread = threading.Thread(target=self._loop, name="sqlite-writer", daemon=True)
                    thread.start()
                    self._thread = thread
        self._queue.put(command)

    def _join(self, work: Callable[[Connection], T]) -> T:
        """A write made by a command already on the writer thread: part of that command's transaction."""
        if self._current is None:
            raise RuntimeError("a write on the SQLite writer thread outside any command")
        return work(self._current)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            group: list[_Command] = []
            while True:
                if isinstance(item, tuple) and item[0] is _RELEASE:  # (_RELEASE, event): after the group so far
                    if group:
                        self._run_group(group)
                        group = []
                    self._close()
                    item[1].set()
                elif isinstance(item, _Command):
                    group.append(item)
                if len(group) >= self.max_size:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if group:
                self._run_group(group)

    def _run_group(self, group: list[_Command]) -> None:
        """Run the group's commands in one transaction and settle each once it is durable (or failed)."""
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn = self._connection()
            self._driver("BEGIN IMMEDIATE")
        except BaseException as exc:  # nothing was begun
            for command in group:
                command.settle(False, exc)
            return
        alone = len(group) == 1  # a lone command needs no savepoint: on failure the whole transaction goes
        try:
            for command in group:
                outcomes.append(self._run_one(conn, command, alone))
            if alone and not outcomes[0][0]:
                self._rollback()
            else:
                self._driver("COMMIT")
                self.commits += 1
                self._settle_connection()
        except BaseException as exc:  # a savepoint or the COMMIT failed: none of the group happened
            self._rollback()
            outcomes = [(False, exc if ok else value) for ok, value in outcomes]
            outcomes += [(False, exc)] * (len(group) - len(outcomes))
        for command, (ok, value) in zip(group, outcomes, strict=True):
            try:
                command.settle(ok, value)
            except Exception:  # a caller's settle must not stop the writer
                log.exception("group_commit.settle_failed")

    def _run_one(self, conn: Connection, command: _Command, alone: bool) -> tuple[bool, Any]:
        """One command (its own savepoint unless alone); its outcome. A failing savepoint statement raises."""
        if not alone:
            self._driver("SAVEPOINT group_write")
        self._current = conn
        try:
            result = command.context.run(command.work, conn)
        except Exception as exc:  # this command's refusal or failure; the others go on
            if not alone:
                self._driver("ROLLBACK TO group_write")
                self._driver("RELEASE group_write")
            return False, exc
        finally:
            self._current = None
        if not alone:
            self._driver("RELEASE group_write")
        return True, result

    def _connection(self) -> Connection:
        conn = self._conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._conn = self.engine.connect()
        return conn

    def _driver(self, sql: str) -> None:
        """A transaction statement on the driver's connection, its errors raised as SQLAlchemy's."""
        assert self._conn is not None
        driver = self._conn.connection.driver_connection
        try:
            driver.execute(sql)  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, None, exc, sqlite3.Error, dialect=self.engine.dialect) from exc

    def _rollback(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.connection.driver_connection.rollback()  # type: ignore[union-attr]
        except Exception:  # a broken connection: take a new one next time
            with suppress(Exception):
                self._conn.invalidate()
            self._conn = None
            return
        self._settle_connection()

    def _settle_connection(self) -> None:
        """End the transaction SQLAlchemy began if a command executed through it (the driver has nothing open)."""
        assert self._conn is not None
        if self._conn.in_transaction():
            self._conn.rollback()

    def _close(self) -> None:
        if self._conn is not None:
            with suppress(Exception):
                self._conn.close()
            self._conn = None


def writer_thread(engine: Engine) -> WriterThread:
    """The engine's writer thread (one per engine, so every caller in the process shares it)."""
    return per_engine(engine, "writer_thread", WriterThread, WriterThread.release)
