"""Grouped durable commits (gruppcommit): several write commands share one COMMIT.

Each command runs in its own SAVEPOINT inside one transaction: a refused or failed command
rolls back to its savepoint and touches no other; if BEGIN or COMMIT fails, none of the group
happened and every command gets that error. Used by the API's SQLite writer and the engine
benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine


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
