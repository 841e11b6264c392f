"""Where the API runs its transitions: one writer thread on SQLite, the thread pool elsewhere.

SQLite takes one writer at a time, so on SQLite every transition runs on one dedicated
thread, back to back while requests queue, under the process's write gate; the event
loop keeps reading and authenticating the next requests meanwhile. On PostgreSQL,
which writes concurrently, transitions run on the shared worker threads.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy import Engine

T = TypeVar("T")


class Writer:
    """Runs blocking write commands off the event loop."""

    def __init__(self, engine: Engine, gate: AbstractContextManager[Any]) -> None:
        self.gate = gate
        self._executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
            if engine.dialect.name == "sqlite"
            else None
        )

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` under the write gate, with the caller's log context."""
        call = functools.partial(self._gated, fn, *args, **kwargs)
        if self._executor is None:
            return await anyio.to_thread.run_sync(call)
        ctx = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._executor, ctx.run, call)

    def _gated(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.gate:
            return fn(*args, **kwargs)

    def close(self) -> None:
        """Let the writer thread finish its queue and stop."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
