"""Database engines for SQLite (default, embedded) and PostgreSQL.

SQLite runs in WAL mode with ``synchronous=FULL`` (durable commits) and write
transactions start with ``BEGIN IMMEDIATE`` so that two writers never deadlock on
a lock upgrade; read-only connections may ask for a deferred begin instead.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import msgspec
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
            json_deserializer=_json_loads,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size * 2,
        )
        _configure_sqlite(engine, synchronous)
        return engine
    connect_args: dict[str, Any] = {"cursor_factory": _postgres_cursor()}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    # The same ceiling as SQLite's pool (3 × pool_size), but every connection opened is kept: a PostgreSQL connection
    # is a server process started (a fork, cold caches, every statement planned anew), and a pool that closed its
    # overflow connections whenever concurrency dipped opened about 12 a second under the cluster bench's load.
    return create_engine(
        parsed,
        echo=echo,
        json_deserializer=_json_loads,
        pool_size=pool_size * 3,
        max_overflow=0,
        connect_args=connect_args,
    )


def _json_loads(text: str | bytes) -> Any:
    """A JSON column's value: msgspec's decoder (a tenth of ``json.loads``' time; a list of cases reads one per row),
    the standard library's for what only it reads (``NaN``, which ``json.dumps`` writes)."""
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        return json.loads(text)


def _postgres_cursor() -> type[Any]:
    """psycopg's cursor whose ``description`` describes the columns only when read.

    SQLAlchemy asks for the description after every statement but, when the statement's compiled form already
    holds its result columns (every statement after the first of its kind), only checks that it is not ``None``;
    psycopg builds a ``Column`` per column on each call, about a sixth of a case view's CPU.
    """
    import psycopg
    from psycopg.pq import ExecStatus

    tuples = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)

    class Described(Sequence[Any]):
        __slots__ = ("_columns", "_cursor", "_result")

        def __init__(self, cursor: Any, result: Any) -> None:
            self._cursor = cursor
            self._result = result
            self._columns: list[Any] | None = None

        def _built(self) -> list[Any]:
            if self._columns is None:
                if self._cursor.pgresult is not self._result:
                    raise RuntimeError("a cursor description read after its cursor moved on to another result")
                self._columns = [psycopg.Column(self._cursor, i) for i in range(self._result.nfields)]
            return self._columns

        def __len__(self) -> int:
            return int(self._result.nfields)

        def __getitem__(self, index: Any) -> Any:
            return self._built()[index]

        def __iter__(self) -> Iterator[Any]:
            return iter(self._built())

        def __eq__(self, other: object) -> bool:
            return list(self) == other

        def __repr__(self) -> str:
            return repr(self._built())

    class Cursor(psycopg.Cursor[Any]):
        @property
        def description(self) -> Any:
            res = self.pgresult
            if res and (res.nfields or res.status in tuples):
                return Described(self, res)
            return None

    return Cursor


#: How much of an SQLite database file is read through memory mapping: none. With a mapping, every commit by
#: another connection made a reader's next transaction drop what it had mapped: on the 1,000,000-case bench a
#: 300-row read after a case list and its access-log write took 9–14 ms instead of 0.3–0.5 ms, and the case list
#: itself 76 instead of 35 ms (bench/README.md, "Issue 12: page times", run 5). Pages come from the OS cache.
SQLITE_MMAP_BYTES = 0


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
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


@contextmanager
def read_committed(engine: Engine) -> Iterator[Connection]:
    """Reads whose statements need not share one snapshot: :func:`read`, but on PostgreSQL at READ COMMITTED
    without a transaction.

    At READ COMMITTED every statement sees its own snapshot inside a transaction as well, so BEGIN and COMMIT
    add only two round trips (and a tenth of a short read's CPU). Under a stricter default isolation level, and
    on SQLite (whose read transaction is one snapshot), this is :func:`read`.
    """
    # The dialect learns the server's default level on its first connection: until then, a transaction.
    level = getattr(engine.dialect, "default_isolation_level", None)
    if engine.dialect.name != "postgresql" or level != "READ COMMITTED":
        with read(engine) as conn:
            yield conn
        return
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        with conn.begin():
            yield conn


def new_id(result: Any) -> int:
    """The primary key of the row an INSERT just added."""
    pk = result.inserted_primary_key
    if pk is None:
        raise RuntimeError("the INSERT returned no primary key")
    return int(pk[0])
