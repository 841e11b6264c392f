"""The transition's reads and writes as prepared SQL on the driver's cursor (snabbspår).

A transition runs a fixed set of statements. Built and executed through SQLAlchemy each
costs 60–100 µs of Python here, several times the database's own work, so the SQL is
written out once per dialect and shape and run on the DBAPI cursor of the caller's
SQLAlchemy connection, inside its transaction. Values still pass through the columns'
own SQLAlchemy bind processors, so rows are stored exactly as the ORM would store them,
and driver errors are re-raised as SQLAlchemy's exception classes.

SQLite holds its write lock from ``BEGIN IMMEDIATE`` on, so statements simply run one by
one and the audit event is chained in Python. On PostgreSQL a transition is two
statements: one reads the case, one writes everything behind the compare-and-set on
(id, version, status), as data-modifying CTEs each gated on the case UPDATE having
matched, and chains the event onto the organisation's audit head inside that statement
(the head row is locked there, and the event's hash, sha256(previous hash + payload), is
computed by the database from the payload the engine serialised). The head is thus locked
only for one statement and the commit, whoever else writes in the organisation. When the
engine owns the connection both statements run in autocommit mode: one statement is one
transaction, all or nothing, and two round trips are half those of BEGIN, UPDATE, INSERT,
COMMIT. (psycopg's pipeline mode was slower here than these round trips.)
"""

from __future__ import annotations

from sqlalchemy import Connection

from workflow.hotpath.base import CaseRow, Writes, Written
from workflow.hotpath.postgres import PostgresStore
from workflow.hotpath.sqlite import SqliteStore

__all__ = ["CaseRow", "PostgresStore", "SqliteStore", "Writes", "Written", "store_for"]

_STORES: dict[type, SqliteStore | PostgresStore] = {}


def store_for(conn: Connection) -> SqliteStore | PostgresStore:
    """The store for the connection's dialect (built once per dialect class)."""
    dialect = conn.dialect
    store = _STORES.get(type(dialect))
    if store is None:
        if dialect.name == "sqlite":
            store = SqliteStore(dialect)
        elif dialect.name == "postgresql" and dialect.driver == "psycopg":
            store = PostgresStore(dialect)
        else:
            raise RuntimeError(f"no transition store for {dialect.name}+{dialect.driver}")
        _STORES[type(dialect)] = store
    return store
