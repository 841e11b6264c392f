"""The transition writer (övergångsskrivare): a transition's read and writes as SQL on the driver's cursor.

One writer per dialect behind one seam: :func:`writer_for` picks it once per database engine
(thread-safe), and it always runs inside a transaction someone else owns: the unit of work's
(``workflow.engine.uow``) or, with ``Workflow.fire(conn=...)``, the caller's. It never begins,
commits or locks anything itself beyond what its statements do.

Built and executed through SQLAlchemy each statement cost 60–100 µs of Python here, several
times the database's own work, so the SQL is written out once per dialect and shape and run
on the DBAPI cursor of the caller's SQLAlchemy connection. Values still pass through the
columns' own SQLAlchemy bind processors, so rows are stored exactly as the ORM would store
them, and driver errors are re-raised as SQLAlchemy's exception classes.

SQLite holds its write lock from ``BEGIN IMMEDIATE`` on, so statements simply run one by one.
On PostgreSQL a transition is two statements: one reads the case, one writes everything
behind the compare-and-set on (id, version, status) as data-modifying CTEs. Either way the
audit event arrives chained (``workflow.engine.audit.chained``) onto the case's own chain head,
which the compare-and-set UPDATE moves: no other row is locked.

Opening a case (``workflow.cases.opening``) goes through the same writer: ``links()`` reads what the
new case links to in one statement, ``open()`` writes the case, its first deadline, its first event
and the agreement it mirrors (on PostgreSQL in one statement, the case's id drawn by ``links()``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from workflow.engine.writers.base import CaseRow, Writes, Written
from workflow.engine.writers.postgres import PostgresWriter
from workflow.engine.writers.sqlite import SqliteWriter
from workflow.schema.db import per_engine

__all__ = [
    "CaseRow",
    "PostgresWriter",
    "SqliteWriter",
    "Writes",
    "Written",
    "forget_cases",
    "known_cases",
    "remembering_cases",
    "writer_for",
]


def _make(engine: Engine) -> SqliteWriter | PostgresWriter:
    dialect = engine.dialect
    if dialect.name == "sqlite":
        return SqliteWriter(dialect)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return PostgresWriter(dialect)
    raise RuntimeError(f"no transition writer for {dialect.name}+{dialect.driver}")


def writer_for(engine: Engine) -> SqliteWriter | PostgresWriter:
    """The engine's transition writer, built once per database engine under a lock."""
    return per_engine(engine, "transition_writer", _make)


# --- cases this transaction wrote (an import's many commands in one transaction) -------------------------------------

_KNOWN = "workflow.engine.known_cases"


@contextmanager
def remembering_cases(conn: Connection) -> Iterator[None]:
    """While it lasts, a case this connection's transaction opened or moved is not read again before its next step.

    Exact, not a guess: the row as written is what the rules would read, and no other transaction can change it
    (the write holds its row lock, on SQLite the write lock) until this one ends. For a caller running many
    commands in one transaction (an import) whose commands change case rows only through the engine's writers
    (opening and transitions); it calls :func:`forget_cases` whenever it rolls back to a savepoint.
    """
    conn.info[_KNOWN] = {}
    try:
        yield
    finally:
        conn.info.pop(_KNOWN, None)


def known_cases(conn: Connection) -> dict[int, CaseRow] | None:
    """Under :func:`remembering_cases`, the cases this transaction wrote, by id, as it wrote them; else None.

    The engine keeps each row it writes there and takes it from there instead of reading it again.
    """
    return conn.info.get(_KNOWN)  # type: ignore[no-any-return]


def forget_cases(conn: Connection) -> None:
    """Forget every remembered case (after a rollback to a savepoint, what was written may be gone)."""
    known = conn.info.get(_KNOWN)
    if known is not None:
        known.clear()
