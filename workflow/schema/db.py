"""Database engines for SQLite (default, embedded) and PostgreSQL.

SQLite runs in WAL mode with ``synchronous=FULL`` (durable commits) and write
transactions start with ``BEGIN IMMEDIATE`` so that two writers never deadlock on
a lock upgrade; read-only connections may ask for a deferred begin instead.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


def make_engine(
    url: str, *, synchronous: str = "FULL", pool_size: int = 8, echo: bool = False, schema: str | None = None
) -> Engine:
    """Create an engine for ``url`` with this product's connection settings.

    ``schema`` (PostgreSQL only) sets the search path, so tests can run side by side in one database.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size * 2,
        )
        _configure_sqlite(engine, synchronous)
        return engine
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(parsed, echo=echo, pool_size=pool_size, max_overflow=pool_size * 2, connect_args=connect_args)


#: How much of an SQLite database file is read through memory mapping (SQLite caps it at its compile-time limit).
SQLITE_MMAP_BYTES = 2**31


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # Reads through the OS page cache, shared by every connection, instead of each connection's 2 MB cache:
        # a page of a case first read is no longer copied in by a system call per database page.
        cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        driver = conn.connection.driver_connection
        if driver.in_transaction:  # type: ignore[union-attr]
            return  # begun on the driver already (the engine's commit group): SQLAlchemy only joins it
        # On the driver's connection: through exec_driver_sql this costs ~30 µs, a tenth of a durable commit.
        try:
            driver.execute(_BEGIN[mode])  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise DBAPIError.instance(_BEGIN[mode], None, exc, sqlite3.Error, dialect=conn.dialect) from exc


T = TypeVar("T")
_PER_ENGINE_LOCK = threading.Lock()


def per_engine(
    engine: Engine, name: str, make: Callable[[Engine], T], on_dispose: Callable[[T], None] | None = None
) -> T:
    """One ``make(engine)`` per database engine, kept on the engine (so it goes when the engine goes).

    ``on_dispose`` runs when the engine is disposed (to give back connections the object holds).
    """
    attr = f"_uppf_{name}"
    found: T | None = getattr(engine, attr, None)
    if found is None:
        with _PER_ENGINE_LOCK:
            found = getattr(engine, attr, None)
            if found is None:
                made = found = make(engine)
                if on_dispose is not None:
                    event.listen(engine, "engine_disposed", lambda _e: on_dispose(made))
                setattr(engine, attr, made)
    return found


_BEGIN = {"IMMEDIATE": "BEGIN IMMEDIATE", "DEFERRED": "BEGIN DEFERRED", "EXCLUSIVE": "BEGIN EXCLUSIVE"}


def is_sqlite(engine: Engine | Connection) -> bool:
    """Whether the engine or connection talks to SQLite."""
    return engine.dialect.name == "sqlite"


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """One write transaction: commit on success, roll back on any error."""
    with engine.begin() as conn:
        yield conn


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction that does not take SQLite's write lock."""
    with engine.connect() as conn:
        conn = conn.execution_options(sqlite_begin="DEFERRED")
        with conn.begin():
            yield conn


def new_id(result: Any) -> int:
    """The primary key of the row an INSERT just added."""
    pk = result.inserted_primary_key
    if pk is None:
        raise RuntimeError("the INSERT returned no primary key")
    return int(pk[0])
