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
"""

from __future__ import annotations

from sqlalchemy import Engine

from workflow.engine.writers.base import CaseRow, Writes, Written
from workflow.engine.writers.postgres import PostgresWriter
from workflow.engine.writers.sqlite import SqliteWriter
from workflow.schema.db import per_engine

__all__ = ["CaseRow", "PostgresWriter", "SqliteWriter", "Writes", "Written", "writer_for"]


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
