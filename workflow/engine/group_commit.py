"""Grouped durable commits (gruppcommit): several write commands share one COMMIT.

Each command runs in its own SAVEPOINT inside one transaction: a refused or failed command
rolls back to its savepoint and touches no other; if BEGIN or COMMIT fails, none of the group
happened and every command gets that error. :class:`CommitGroup` is how the unit of work
(``workflow.engine.uow``) writes on SQLite: concurrent callers share commits, each running its command
on its own thread. ``run_group`` runs a batch handed to one writer thread; only the API's
SQLite writer (``api/writer.py``) still uses it, and it goes when that file does.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from workflow.schema.db import per_engine

T = TypeVar("T")


def run_group(
    engine: Engine,
    commands: Sequence[Callable[[Connection], Any]],
    gate: AbstractContextManager[Any] | None = None,
) -> list[tuple[bool, Any]]:
    """Run ``commands`` in one transaction, each in its own savepoint; ``(ok, result or error)`` for each."""
    outcomes: list[tuple[bool, Any]] = []
    try:
        with gate or nullcontext(), engine.begin() as conn:
            # Savepoints on the driver's cursor: SQLAlchemy's begin_nested() cost a quarter of the writer.
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            for command in commands:
                cur.execute("SAVEPOINT group_write")
                try:
                    result = command(conn)
                except Exception as exc:  # this command's refusal or failure; the others go on
                    cur.execute("ROLLBACK TO group_write")
                    cur.execute("RELEASE group_write")
                    outcomes.append((False, exc))
                else:
                    cur.execute("RELEASE group_write")
                    outcomes.append((True, result))
    except Exception as exc:  # BEGIN or COMMIT failed: nothing of the group was written
        outcomes = [(False, exc)] * len(commands)
    return outcomes


class _Group:
    """One open transaction of a :class:`CommitGroup`: its size and outcome.

    ``done`` exists only once a member leaves the COMMIT to another (under the group's turn): a lone
    caller commits its own transaction and needs no event (making one cost 4 % of a transition).
    """

    __slots__ = ("done", "error", "size")

    def __init__(self) -> None:
        self.size = 0
        self.done: threading.Event | None = None
        self.error: BaseException | None = None

    def awaited(self) -> threading.Event:
        """The event a member waits on for the COMMIT it leaves to another (made under the turn)."""
        if self.done is None:
            self.done = threading.Event()
        return self.done

    def finish(self) -> None:
        """Wake the members waiting for this group's outcome, if any."""
        if self.done is not None:
            self.done.set()


class CommitGroup:
    """Concurrent callers' write commands share one durable COMMIT, each run on its own thread (SQLite).

    Callers take turns on the group's connection. The first opens a transaction (``BEGIN IMMEDIATE``);
    the others join it, each command in its own SAVEPOINT, so a refused or failed command rolls back
    to its savepoint and touches no other. After its command a caller commits the transaction if
    nobody is queued behind it (or the group is full); otherwise it leaves the COMMIT to the last of
    those queued and waits for it. Nobody returns before the COMMIT holding their command is durable,
    and if that COMMIT fails every command of the group gets the error. A lone caller commits at once,
    as a plain transaction would. The connection stays checked out between groups (until the engine is
    disposed): taking it from the pool and giving it back cost a fifth of a transition's Python.
    """

    def __init__(self, engine: Engine, max_size: int = 64) -> None:
        self.engine = engine
        self.max_size = max_size
        self._turn = threading.Lock()
        self._count = threading.Lock()
        self._queued = 0
        self._conn: Connection | None = None
        self._open: _Group | None = None
        self.commits = 0  # transactions committed: fewer than commands when groups formed

    def run(self, command: Callable[[Connection], T]) -> T:
        """``command(conn)`` inside the open transaction; its result once that transaction is durable."""
        with self._count:
            self._queued += 1
        with self._turn:
            with self._count:
                self._queued -= 1
            group, result, error = self._run_one(command)
            waits = None
            if self._open is not None and (self._queued == 0 or self._open.size >= self.max_size):
                self._commit(self._open)
            elif group is not None and self._open is group:
                waits = group.awaited()
        if error is not None:
            raise error
        assert group is not None
        if waits is not None:
            waits.wait()
        if group.error is not None:
            raise group.error
        return result  # type: ignore[return-value]

    def release(self) -> None:
        """Give the connection back (the engine is being disposed); the next command takes a new one."""
        with self._turn:
            if self._conn is not None:
                with suppress(Exception):
                    self._conn.close()
                self._conn = None

    def _run_one(self, command: Callable[[Connection], T]) -> tuple[_Group | None, T | None, BaseException | None]:
        """Run one command (under the turn); its group, or its error with nothing of it written."""
        group = self._open
        try:
            if group is None:
                conn = self._conn
                if conn is None or conn.closed or conn.invalidated:
                    conn = self._conn = self.engine.connect()
                self._driver("BEGIN IMMEDIATE")
                group = self._open = _Group()
            else:
                conn = self._conn
                assert conn is not None
        except BaseException as exc:  # nothing was begun
            return None, None, exc
        alone = group.size == 0  # the first command needs no savepoint: on failure the whole transaction goes
        try:
            if not alone:
                self._driver("SAVEPOINT group_write")
            try:
                result = command(conn)
            except BaseException as exc:
                if alone:
                    self._open = None
                    self._rollback()
                else:
                    self._driver("ROLLBACK TO group_write")
                    self._driver("RELEASE group_write")
                return None, None, exc
            if not alone:
                self._driver("RELEASE group_write")
        except BaseException as exc:  # the savepoint itself failed: the transaction can't be trusted
            if self._open is group:
                self._open = None
                self._rollback()
                group.error = exc
                group.finish()
            return None, None, exc
        group.size += 1
        return group, result, None

    def _commit(self, group: _Group) -> None:
        self._open = None
        try:
            self._driver("COMMIT")
        except BaseException as exc:  # none of the group happened
            self._rollback()
            group.error = exc
        else:
            self.commits += 1
            self._settle()
        finally:
            group.finish()

    def _driver(self, sql: str) -> None:
        """A transaction statement on the driver's connection, its errors raised as SQLAlchemy's."""
        assert self._conn is not None
        driver = self._conn.connection.driver_connection
        try:
            driver.execute(sql)  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, None, exc, sqlite3.Error, dialect=self.engine.dialect) from exc

    def _rollback(self) -> None:
        assert self._conn is not None
        try:
            self._conn.connection.driver_connection.rollback()  # type: ignore[union-attr]
        except Exception:  # a broken connection: take a new one next time
            with suppress(Exception):
                self._conn.invalidate()
            self._conn = None
            return
        self._settle()

    def _settle(self) -> None:
        """End the transaction SQLAlchemy began if a command executed through it (the driver has nothing open)."""
        assert self._conn is not None
        if self._conn.in_transaction():
            self._conn.rollback()


def commit_group(engine: Engine) -> CommitGroup:
    """The engine's commit group (one per engine, so every caller in the process shares it)."""
    return per_engine(engine, "commit_group", CommitGroup, CommitGroup.release)
