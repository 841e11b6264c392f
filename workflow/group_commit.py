"""Grouped durable commits (gruppcommit): several write commands share one COMMIT.

Each command runs in its own SAVEPOINT inside one transaction: a refused or failed command
rolls back to its savepoint and touches no other; if BEGIN or COMMIT fails, none of the group
happened and every command gets that error. ``run_group`` runs a batch handed to one writer
thread (the API's SQLite writer); :class:`CommitGroup` lets concurrent callers of
``Workflow.fire`` on SQLite share commits, each running its command on its own thread.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

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
    """One open transaction of a :class:`CommitGroup`: its connection, size and outcome."""

    __slots__ = ("conn", "done", "error", "size")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.size = 0
        self.done = threading.Event()
        self.error: BaseException | None = None


class CommitGroup:
    """Concurrent callers' write commands share one durable COMMIT, each run on its own thread (SQLite).

    Callers take turns on the group's connection. The first opens a transaction (``BEGIN IMMEDIATE``);
    the others join it, each command in its own SAVEPOINT, so a refused or failed command rolls back
    to its savepoint and touches no other. After its command a caller commits the transaction if
    nobody is queued behind it (or the group is full); otherwise it leaves the COMMIT to the last of
    those queued and waits for it. Nobody returns before the COMMIT holding their command is durable,
    and if that COMMIT fails every command of the group gets the error. A lone caller commits at once,
    as a plain transaction would.
    """

    def __init__(self, engine: Engine, max_size: int = 64) -> None:
        self.engine = engine
        self.max_size = max_size
        self._turn = threading.Lock()
        self._count = threading.Lock()
        self._queued = 0
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
            if self._open is not None and (self._queued == 0 or self._open.size >= self.max_size):
                self._commit(self._open)
        if error is not None:
            raise error
        assert group is not None
        group.done.wait()
        if group.error is not None:
            raise group.error
        return result  # type: ignore[return-value]

    def _run_one(self, command: Callable[[Connection], T]) -> tuple[_Group | None, T | None, BaseException | None]:
        """Run one command (under the turn); its group, or its error with nothing of it written."""
        group = self._open
        if group is None:
            conn = self.engine.connect()
            try:
                conn.begin()
            except BaseException as exc:
                conn.close()
                return None, None, exc
            group = self._open = _Group(conn)
        alone = group.size == 0  # the first command needs no savepoint: on failure the whole transaction goes
        cur = group.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if not alone:
                cur.execute("SAVEPOINT group_write")
            try:
                result = command(group.conn)
            except BaseException as exc:
                if alone:
                    self._open = None
                    with suppress(Exception):
                        group.conn.rollback()
                    group.conn.close()
                else:
                    cur.execute("ROLLBACK TO group_write")
                    cur.execute("RELEASE group_write")
                return None, None, exc
            if not alone:
                cur.execute("RELEASE group_write")
        except BaseException as exc:  # the savepoint itself failed: the transaction can't be trusted
            if self._open is group:
                self._fail(group, exc)
            return None, None, exc
        group.size += 1
        return group, result, None

    def _commit(self, group: _Group) -> None:
        self._open = None
        try:
            group.conn.commit()
        except BaseException as exc:  # none of the group happened
            with suppress(Exception):
                group.conn.rollback()
            group.error = exc
        else:
            self.commits += 1
        finally:
            group.conn.close()
            group.done.set()

    def _fail(self, group: _Group, exc: BaseException) -> None:
        self._open = None
        with suppress(Exception):
            group.conn.rollback()
        group.conn.close()
        group.error = exc
        group.done.set()


_GROUPS: weakref.WeakKeyDictionary[Engine, CommitGroup] = weakref.WeakKeyDictionary()
_GROUPS_LOCK = threading.Lock()


def commit_group(engine: Engine) -> CommitGroup:
    """The engine's commit group (one per engine, so every caller in the process shares it)."""
    group = _GROUPS.get(engine)
    if group is None:
        with _GROUPS_LOCK:
            group = _GROUPS.get(engine)
            if group is None:
                group = _GROUPS[engine] = CommitGroup(engine)
    return group
