"""The transition's reads and writes as prepared SQL on the driver's cursor (snabbspår).

A transition runs a fixed set of statements. Built and executed through SQLAlchemy each
costs 60–100 µs of Python here, several times the database's own work, so the SQL is
written out once per dialect and shape and run on the DBAPI cursor of the caller's
SQLAlchemy connection, inside its transaction. Values still pass through the columns'
own SQLAlchemy bind processors, so rows are stored exactly as the ORM would store them,
and driver errors are re-raised as SQLAlchemy's exception classes.

On PostgreSQL, inside a caller's transaction, a transition takes one statement that reads
the case and locks the audit-chain head and one that writes everything behind the
compare-and-set (data-modifying CTEs, each gated on the case UPDATE having matched). When
the engine owns the connection it runs both in autocommit mode: the read takes no lock,
and the write locks and re-checks the case (id, version, status) and the chain head
(sequence number) before writing; one statement is one transaction, so it is all or
nothing. Two round trips against BEGIN, UPDATE, INSERT, COMMIT for the bare transaction.
(psycopg's pipeline mode was slower here than these round trips.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.exc import DBAPIError, StatementError

from workflow.tables import AuditHead, Case, CaseEvent, Deadline, Decision, Outbox
from workflow.types import UTCDateTime

GENESIS = "0" * 64
_T: dict[str, Table] = {
    "case": Case.__table__,  # type: ignore[attr-defined]
    "case_event": CaseEvent.__table__,  # type: ignore[attr-defined]
    "deadline": Deadline.__table__,  # type: ignore[attr-defined]
    "decision": Decision.__table__,  # type: ignore[attr-defined]
    "outbox": Outbox.__table__,  # type: ignore[attr-defined]
    "audit_head": AuditHead.__table__,  # type: ignore[attr-defined]
}


class CaseRow(NamedTuple):
    """The case columns the rules look at."""

    id: int
    case_type: str
    kind: str | None
    status: str
    version: int
    organisation_id: int
    in_house: bool
    attributes: dict[str, Any]
    agreement_id: int | None
    owner_id: int | None
    provider_id: int | None


class Head(NamedTuple):
    """An organisation's audit-chain head: last sequence number and hash."""

    seq: int
    hash: str


@dataclass(slots=True)
class Writes:
    """Everything one transition writes, decided before any of it is written."""

    case_id: int
    organisation_id: int
    from_status: str
    from_version: int
    case_set: dict[str, Any]
    close_deadlines: bool
    now: datetime
    trigger: str
    deadline: dict[str, Any] | None
    event: dict[str, Any]
    decision: dict[str, Any] | None  # event_id is added by the store
    outbox: dict[str, Any] | None  # dedupe_key "event:<id>" is added by the store
    agreement_id: int | None  # the agreement whose status follows the case's
    expect_head_seq: int | None = None  # PostgreSQL outside a transaction: the chain head the event was hashed on


class HeadMoved(Exception):
    """Another transition chained onto the organisation's audit head between the read and the write; nothing written."""


class Written(NamedTuple):
    """Primary keys of the rows a transition added."""

    event_id: int
    deadline_id: int | None
    decision_id: int | None


_SELECT_CASE = f'SELECT {", ".join(CaseRow._fields)} FROM "case" WHERE id = '
# One row: the case's columns (NULLs if there is no such case) and the locked chain head (NULLs if none yet).
_PG_LOAD = (
    "WITH h AS (SELECT seq, hash FROM audit_head WHERE organisation_id = %s FOR UPDATE) "
    f"SELECT {', '.join('c.' + f for f in CaseRow._fields)}, h.seq, h.hash "
    'FROM (SELECT 1) AS one LEFT JOIN "case" AS c ON c.id = %s LEFT JOIN h ON true'
)
_PG_LOAD_UNLOCKED = _PG_LOAD.replace(" FOR UPDATE", "")
_CLOSED = "status = 'closed', closed_at = {now}, closed_by = {by}, next_action_at = NULL"


class _Store:
    """Shared parts: the dialect's bind processors and error translation."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._procs: dict[str, dict[str, Any]] = {}
        for name, table in _T.items():
            procs = {}
            for col in table.columns:
                proc = col.type.dialect_impl(dialect).bind_processor(dialect)
                if proc is not None:
                    procs[col.name] = proc
            self._procs[name] = procs
        self._sql: dict[Any, str] = {}
        self._instants: dict[datetime, Any] = {}
        self._ts_cols = {n: {c.name for c in t.columns if isinstance(c.type, UTCDateTime)} for n, t in _T.items()}
        self._instant_proc: Any = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)

    def values(self, table: str, row: dict[str, Any]) -> list[Any]:
        """``row``'s values in key order, as the column types bind them."""
        procs, ts_cols = self._procs[table], self._ts_cols[table]
        return [
            (self.instant(v) if k in ts_cols else procs[k](v)) if k in procs and v is not None else v
            for k, v in row.items()
        ]

    def instant(self, value: datetime) -> Any:
        """A timestamp as ``UTCDateTime`` binds it; memoised, as a transition binds one instant five to eight times."""
        bound = self._instants.get(value)
        if bound is None:
            if len(self._instants) > 256:
                self._instants.clear()
            bound = self._instants[value] = self._instant_proc(value)
        return bound

    def error(self, exc: Exception, sql: str, params: Any) -> StatementError:
        """The SQLAlchemy exception a driver error maps to (IntegrityError, OperationalError, ...)."""
        dbapi = self.dialect.loaded_dbapi
        return DBAPIError.instance(sql, params, exc, dbapi.Error, dialect=self.dialect)


def _row(raw: Any) -> CaseRow:
    attrs = raw[7]
    return CaseRow(
        raw[0],
        raw[1],
        raw[2],
        raw[3],
        raw[4],
        raw[5],
        bool(raw[6]),
        (json.loads(attrs) if isinstance(attrs, str) else attrs) or {},
        raw[8],
        raw[9],
        raw[10],
    )


class SqliteStore(_Store):
    """Statements run one by one; ``BEGIN IMMEDIATE`` already holds the write lock, so nothing is locked here."""

    def load(self, conn: Connection, case_id: int, org: int, lock: bool = True) -> tuple[CaseRow | None, Head | None]:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        sql = _SELECT_CASE + "?"
        try:
            cur.execute(sql, (case_id,))
            raw = cur.fetchone()
            sql = "SELECT seq, hash FROM audit_head WHERE organisation_id = ?"
            cur.execute(sql, (org,))
            head = cur.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, case_id) from exc
        return (_row(raw) if raw else None), (Head(*head) if head else None)

    def ensure_head(self, conn: Connection, org: int) -> Head:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.execute("INSERT OR IGNORE INTO audit_head (organisation_id, seq, hash) VALUES (?, 0, ?)", (org, GENESIS))
        cur.execute("SELECT seq, hash FROM audit_head WHERE organisation_id = ?", (org,))
        return Head(*cur.fetchone())

    def _insert(self, cur: Any, table: str, row: dict[str, Any]) -> int:
        key = (table, *row)
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
        cur.execute(sql, self.values(table, row))
        return int(cur.lastrowid)

    def apply(self, conn: Connection, w: Writes, commit: bool = False) -> Written | None:
        """Write a transition (and COMMIT if ``commit``); None, with nothing written, if the case changed meanwhile."""
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        sql = ""
        try:
            key = ("case", *w.case_set)
            sql = self._sql.get(key, "")
            if not sql:
                sets = ", ".join(f"{k} = ?" for k in w.case_set)
                sql = self._sql[key] = f'UPDATE "case" SET {sets} WHERE id = ? AND version = ? AND status = ?'
            cur.execute(sql, [*self.values("case", w.case_set), w.case_id, w.from_version, w.from_status])
            if cur.rowcount != 1:
                return None
            if w.close_deadlines:
                sql = "UPDATE deadline SET " + _CLOSED.format(now="?", by="?")
                sql += " WHERE case_id = ? AND status IN ('pending', 'suspended')"
                cur.execute(sql, (self.instant(w.now), w.trigger, w.case_id))
            deadline_id = self._insert(cur, "deadline", w.deadline) if w.deadline else None
            ev = w.event
            sql = "UPDATE audit_head SET seq = ?, hash = ? WHERE organisation_id = ?"
            cur.execute(sql, (ev["seq"], ev["hash"], w.organisation_id))
            event_id = self._insert(cur, "case_event", ev)
            decision_id = None
            if w.decision is not None:
                decision_id = self._insert(cur, "decision", {**w.decision, "event_id": event_id})
            if w.outbox is not None:
                self._insert(cur, "outbox", {**w.outbox, "dedupe_key": f"event:{event_id}"})
            if w.agreement_id is not None:
                sql = "UPDATE agreement SET status = ? WHERE id = ?"
                cur.execute(sql, (w.case_set["status"], w.agreement_id))
            if commit:
                sql = "COMMIT"
                cur.execute(sql)
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, None) from exc
        return Written(event_id, deadline_id, decision_id)


class PostgresStore(_Store):
    """Round trips matter here: one statement reads, one writes."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__(dialect)
        self._casts = {
            name: {c.name: c.type.compile(dialect=dialect) for c in table.columns} for name, table in _T.items()
        }

    def load(self, conn: Connection, case_id: int, org: int, lock: bool = True) -> tuple[CaseRow | None, Head | None]:
        """The case and the organisation's chain head, locked (``lock``) so no other transition chains onto it."""
        sql = _PG_LOAD if lock else _PG_LOAD_UNLOCKED
        try:
            with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
                cur.execute(sql, (org, case_id))
                raw = cur.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, case_id) from exc
        return (_row(raw) if raw[0] is not None else None), (Head(raw[11], raw[12]) if raw[11] is not None else None)

    def ensure_head(self, conn: Connection, org: int) -> Head:
        with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.execute(
                "INSERT INTO audit_head (organisation_id, seq, hash) VALUES (%s, 0, %s) "
                "ON CONFLICT (organisation_id) DO NOTHING",
                (org, GENESIS),
            )
            cur.execute("SELECT seq, hash FROM audit_head WHERE organisation_id = %s FOR UPDATE", (org,))
            return Head(*cur.fetchone())

    def _select_list(self, table: str, prefix: str, row: dict[str, Any]) -> str:
        casts = self._casts[table]
        return ", ".join(f"%({prefix}{k})s::{casts[k]}" for k in row)

    def _statement(self, w: Writes) -> str:
        key = (
            tuple(w.case_set),
            w.close_deadlines,
            tuple(w.deadline or ()),
            tuple(w.event),
            tuple(w.decision or ()) if w.decision is not None else None,
            tuple(w.outbox or ()) if w.outbox is not None else None,
            w.agreement_id is not None,
            w.expect_head_seq is not None,
        )
        sql = self._sql.get(key)
        if sql is not None:
            return sql
        sets = ", ".join(f"{k} = %(c_{k})s" for k in w.case_set)
        if w.expect_head_seq is None:  # inside the caller's transaction, the chain head is locked already
            ctes = [
                f'c AS (UPDATE "case" SET {sets} WHERE id = %(case_id)s AND version = %(from_version)s '
                "AND status = %(from_status)s RETURNING id)"
            ]
            flags = "true, true"
        else:  # one autocommitted statement: lock and re-check the case and the chain head, then write
            ctes = [
                'okc AS (SELECT id FROM "case" WHERE id = %(case_id)s AND version = %(from_version)s '
                "AND status = %(from_status)s FOR UPDATE)",
                "okh AS (SELECT organisation_id FROM audit_head WHERE organisation_id = %(org)s "
                "AND seq = %(head_seq)s FOR UPDATE)",
                f'c AS (UPDATE "case" SET {sets} WHERE id = %(case_id)s '
                "AND EXISTS (SELECT 1 FROM okc) AND EXISTS (SELECT 1 FROM okh) RETURNING id)",
            ]
            flags = "EXISTS (SELECT 1 FROM okc), EXISTS (SELECT 1 FROM okh)"
        if w.close_deadlines:
            closed = _CLOSED.format(now="%(now)s", by="%(trigger)s")
            ctes.append(
                f"closed AS (UPDATE deadline SET {closed} "
                "WHERE case_id IN (SELECT id FROM c) AND status IN ('pending', 'suspended'))"
            )
        if w.deadline:
            cols = ", ".join(w.deadline)
            ctes.append(
                f"dl AS (INSERT INTO deadline ({cols}) SELECT {self._select_list('deadline', 'd_', w.deadline)} "
                "FROM c RETURNING id)"
            )
        ctes.append(
            "h AS (UPDATE audit_head SET seq = %(e_seq)s, hash = %(e_hash)s "
            "WHERE organisation_id = %(org)s AND EXISTS (SELECT 1 FROM c))"
        )
        ctes.append(
            f"ev AS (INSERT INTO case_event ({', '.join(w.event)}) "
            f"SELECT {self._select_list('case_event', 'e_', w.event)} FROM c RETURNING id)"
        )
        if w.decision is not None:
            ctes.append(
                f"dec AS (INSERT INTO decision ({', '.join(w.decision)}, event_id) "
                f"SELECT {self._select_list('decision', 'x_', w.decision)}, ev.id FROM ev RETURNING id)"
            )
        if w.outbox is not None:
            ctes.append(
                f"ob AS (INSERT INTO outbox ({', '.join(w.outbox)}, dedupe_key) "
                f"SELECT {self._select_list('outbox', 'o_', w.outbox)}, 'event:' || ev.id FROM ev)"
            )
        if w.agreement_id is not None:
            ctes.append(
                "ag AS (UPDATE agreement SET status = %(c_status)s "
                "WHERE id = %(agreement_id)s AND EXISTS (SELECT 1 FROM c))"
            )
        dl = "(SELECT id FROM dl)" if w.deadline else "NULL"
        dec = "(SELECT id FROM dec)" if w.decision is not None else "NULL"
        tail = f"SELECT (SELECT id FROM ev), {dl}, {dec}, {flags}"
        sql = self._sql[key] = "WITH " + ",\n".join(ctes) + "\n" + tail
        return sql

    def apply(self, conn: Connection, w: Writes, commit: bool = False) -> Written | None:
        """Write a transition in one statement (and COMMIT if ``commit``).

        None, with nothing written, when the compare-and-set misses.
        """
        sql = self._statement(w)
        params: dict[str, Any] = {
            "case_id": w.case_id,
            "from_version": w.from_version,
            "from_status": w.from_status,
            "now": self.instant(w.now),
            "trigger": w.trigger,
            "org": w.organisation_id,
            "agreement_id": w.agreement_id,
            "head_seq": w.expect_head_seq,
        }
        for prefix, table, row in (
            ("c_", "case", w.case_set),
            ("d_", "deadline", w.deadline),
            ("e_", "case_event", w.event),
            ("x_", "decision", w.decision),
            ("o_", "outbox", w.outbox),
        ):
            if row:
                params.update(zip((prefix + k for k in row), self.values(table, row), strict=True))
        dbapi_conn = conn.connection.driver_connection
        try:
            with dbapi_conn.cursor() as cur:  # type: ignore[union-attr]
                cur.execute(sql, params)
                event_id, deadline_id, decision_id, case_ok, head_ok = cur.fetchone()
            if commit:
                sql = "COMMIT"
                dbapi_conn.commit()  # type: ignore[union-attr]
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, params) from exc
        if event_id is None:
            if case_ok and not head_ok:
                raise HeadMoved(f"audit chain of organisation {w.organisation_id} moved past {w.expect_head_seq}")
            return None
        return Written(event_id, deadline_id, decision_id)


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
