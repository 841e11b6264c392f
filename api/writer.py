"""Where the API runs its transitions: grouped commits on SQLite, the thread pool elsewhere.

SQLite takes one writer at a time and most of a transition's time went into its durable
COMMIT (83 % of the writing thread's samples under load). So on SQLite one writer thread
takes the transitions queued meanwhile (up to ``max_batch``), runs each in its own
SAVEPOINT inside one transaction, and commits them together: a refused or failed
transition rolls back to its savepoint and touches no other; if the COMMIT fails, none of
the batch happened and every request of it gets the error. No response leaves before its
commit is durable. On PostgreSQL, which writes concurrently, each transition commits on
its own on the shared worker threads.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy import Connection, Engine

from workflow.group_commit import run_group

T = TypeVar("T")
_Item = tuple[Callable[[Connection | None], Any], contextvars.Context, asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


class Writer:
    """Runs write commands off the event loop, grouping their commits on SQLite."""

    def __init__(self, engine: Engine, gate: AbstractContextManager[Any], max_batch: int = 64) -> None:
        self.engine = engine
        self.gate = gate
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item | None] | None = None
        self._thread: threading.Thread | None = None
        if engine.dialect.name == "sqlite":
            self._queue = queue.SimpleQueue()
            self._thread = threading.Thread(target=self._loop, name="sqlite-writer", daemon=True)
            self._thread.start()

    async def transact(self, fn: Callable[[Connection | None], T]) -> T:
        """``fn(conn)`` inside a write transaction, with the caller's log context; its result once committed.

        On PostgreSQL ``fn`` gets ``None`` and owns its transaction (the engine then commits in its own, fastest way).
        """
        if self._queue is None:
            return await anyio.to_thread.run_sync(fn, None)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((fn, contextvars.copy_context(), loop, future))
        return await future

    def _loop(self) -> None:
        assert self._queue is not None
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            self._run(batch)

    def _run(self, batch: list[_Item]) -> None:
        outcomes = run_group(self.engine, [_in_context(ctx, fn) for fn, ctx, _loop, _future in batch], self.gate)
        for (_fn, _ctx, loop, future), (ok, value) in zip(batch, outcomes, strict=True):
            # A closed event loop (shutdown) has nobody waiting for the answer.
            with suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, ok, value)

    def close(self) -> None:
        """Finish the queued work and stop the writer thread."""
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()


def _in_context(ctx: contextvars.Context, fn: Callable[[Connection], Any]) -> Callable[[Connection], Any]:
    """``fn`` run with the request's log context."""
    return lambda conn: ctx.run(fn, conn)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
