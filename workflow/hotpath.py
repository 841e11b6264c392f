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

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.exc import DBAPIError, StatementError

from workflow.audit import event_hash, payload
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
    event: dict[str, Any]  # without seq, prev_hash and hash: the store chains it
    decision: dict[str, Any] | None  # event_id is added by the store
    outbox: dict[str, Any] | None  # dedupe_key "event:<id>" is added by the store
    agreement_id: int | None  # the agreement whose status follows the case's


class Written(NamedTuple):
    """Primary keys of the rows a transition added, and the event's place in its chain."""

    event_id: int
    deadline_id: int | None
    decision_id: int | None
    seq: int


_SELECT_CASE = f'SELECT {", ".join(CaseRow._fields)} FROM "case" WHERE id = '
# The case's columns, and whether its organisation's audit chain has a head row yet.
_PG_LOAD = (
    f"SELECT {', '.join('c.' + f for f in CaseRow._fields)}, "
    "EXISTS (SELECT 1 FROM audit_head AS h WHERE h.organisation_id = c.organisation_id) "
    'FROM "case" AS c WHERE c.id = %s'
)
_CLOSED = "status = 'closed', closed_at = {now}, closed_by = {by}, next_action_at = NULL"
# The event's payload with seq = -1 splits at this mark: an unescaped quote before "seq" occurs only in a key.
_SEQ_MARK = '"seq":-1'


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

    def load(self, conn: Connection, case_id: int) -> tuple[CaseRow | None, bool]:
        """The case, and True: a missing chain head is created by :meth:`apply` under the write lock."""
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        sql = _SELECT_CASE + "?"
        try:
            cur.execute(sql, (case_id,))
            raw = cur.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, case_id) from exc
        return (_row(raw) if raw else None), True

    def ensure_head(self, conn: Connection, org: int) -> None:
        """Nothing to do: :meth:`apply` creates a missing head."""

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
            sql = "SELECT seq, hash FROM audit_head WHERE organisation_id = ?"
            cur.execute(sql, (w.organisation_id,))
            head = cur.fetchone()
            if head is None:
                sql = "INSERT INTO audit_head (organisation_id, seq, hash) VALUES (?, 0, ?)"
                cur.execute(sql, (w.organisation_id, GENESIS))
                head = (0, GENESIS)
            ev = {**w.event, "seq": head[0] + 1, "prev_hash": head[1]}
            ev["hash"] = event_hash(head[1], ev)
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
        return Written(event_id, deadline_id, decision_id, ev["seq"])


class PostgresStore(_Store):
    """Round trips matter here: one statement reads, one writes."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__(dialect)
        self._casts = {
            name: {c.name: c.type.compile(dialect=dialect) for c in table.columns} for name, table in _T.items()
        }

    def load(self, conn: Connection, case_id: int) -> tuple[CaseRow | None, bool]:
        """The case (no lock: the write re-checks it) and whether its organisation's chain has a head yet."""
        try:
            with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
                cur.execute(_PG_LOAD, (case_id,))
                raw = cur.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, _PG_LOAD, case_id) from exc
        return (_row(raw), bool(raw[11])) if raw is not None else (None, True)

    def ensure_head(self, conn: Connection, org: int) -> None:
        """Create the organisation's chain head (the write statement appends to an existing head only)."""
        sql = "INSERT INTO audit_head (organisation_id, seq, hash) VALUES (%s, 0, %s) ON CONFLICT DO NOTHING"
        try:
            with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
                cur.execute(sql, (org, GENESIS))
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, org) from exc

    @staticmethod
    def _names(prefix: str, row: dict[str, Any] | None, w: Writes) -> tuple[str, ...]:
        """Each column's parameter: the shared now, case id or organisation where it is one, else its own.

        psycopg caches the parsing of a statement only up to 50 parameters; the widest transition has 56 values.
        """
        if not row:
            return ()
        names = []
        for k, v in row.items():
            if v is w.now:
                names.append("now")
            elif k == "case_id" and v == w.case_id:
                names.append("case_id")
            elif k == "organisation_id" and v == w.organisation_id:
                names.append("org")
            else:
                names.append(prefix + k)
        return tuple(names)

    def _select_list(self, table: str, row: dict[str, Any], names: tuple[str, ...]) -> str:
        casts = self._casts[table]
        return ", ".join(f"%({n})s::{casts[k]}" for k, n in zip(row, names, strict=True))

    def _statement(self, w: Writes, names: dict[str, tuple[str, ...]]) -> str:
        key = (
            tuple(w.case_set),
            w.close_deadlines,
            tuple(w.deadline or ()),
            tuple(w.event),
            tuple(w.decision or ()) if w.decision is not None else None,
            tuple(w.outbox or ()) if w.outbox is not None else None,
            w.agreement_id is not None,
            *names.values(),
        )
        sql = self._sql.get(key)
        if sql is not None:
            return sql
        sets = ", ".join(f"{k} = %({n})s" for k, n in zip(w.case_set, names["case"], strict=True))
        ctes = [
            f'c AS (UPDATE "case" SET {sets} WHERE id = %(case_id)s AND version = %(from_version)s '
            "AND status = %(from_status)s RETURNING id)"
        ]
        if w.close_deadlines:
            closed = _CLOSED.format(now="%(now)s", by="%(trigger)s")
            ctes.append(
                f"closed AS (UPDATE deadline SET {closed} "
                "WHERE case_id IN (SELECT id FROM c) AND status IN ('pending', 'suspended'))"
            )
        if w.deadline:
            values = self._select_list("deadline", w.deadline, names["deadline"])
            ctes.append(f"dl AS (INSERT INTO deadline ({', '.join(w.deadline)}) SELECT {values} FROM c RETURNING id)")
        # The chain head, locked only once the case has matched; in READ COMMITTED a head that another
        # transaction moved meanwhile is read in its committed state, so the event chains onto the latest one.
        ctes.append(
            "h0 AS (SELECT organisation_id, seq, hash FROM audit_head "
            "WHERE organisation_id = %(org)s AND EXISTS (SELECT 1 FROM c) FOR UPDATE)"
        )
        ctes.append(
            "h AS (UPDATE audit_head AS a SET seq = h0.seq + 1, hash = encode(sha256(convert_to("
            "h0.hash || %(e_before_seq)s || (h0.seq + 1)::text || %(e_after_seq)s, 'UTF8')), 'hex') "
            "FROM h0 WHERE a.organisation_id = h0.organisation_id RETURNING a.seq, a.hash, h0.hash AS prev_hash)"
        )
        values = self._select_list("case_event", w.event, names["case_event"])
        ctes.append(
            f"ev AS (INSERT INTO case_event ({', '.join(w.event)}, seq, prev_hash, hash) "
            f"SELECT {values}, h.seq, h.prev_hash, h.hash FROM h RETURNING id, seq)"
        )
        if w.decision is not None:
            ctes.append(
                f"dec AS (INSERT INTO decision ({', '.join(w.decision)}, event_id) "
                f"SELECT {self._select_list('decision', w.decision, names['decision'])}, ev.id FROM ev RETURNING id)"
            )
        if w.outbox is not None:
            ctes.append(
                f"ob AS (INSERT INTO outbox ({', '.join(w.outbox)}, dedupe_key) "
                f"SELECT {self._select_list('outbox', w.outbox, names['outbox'])}, 'event:' || ev.id FROM ev)"
            )
        if w.agreement_id is not None:
            ctes.append(
                "ag AS (UPDATE agreement SET status = %(c_status)s "
                "WHERE id = %(agreement_id)s AND EXISTS (SELECT 1 FROM c))"
            )
        dl = "(SELECT id FROM dl)" if w.deadline else "NULL"
        dec = "(SELECT id FROM dec)" if w.decision is not None else "NULL"
        # A case that matched with no chain head to append to must not be written: 1/0 aborts the statement.
        tail = (
            f"SELECT (SELECT id FROM ev), {dl}, {dec}, (SELECT seq FROM ev), "
            "CASE WHEN EXISTS (SELECT 1 FROM c) AND NOT EXISTS (SELECT 1 FROM ev) "
            "THEN 1 / (SELECT count(*) FROM ev)::int END"
        )
        sql = self._sql[key] = "WITH " + ",\n".join(ctes) + "\n" + tail
        return sql

    def apply(self, conn: Connection, w: Writes, commit: bool = False) -> Written | None:
        """Write a transition in one statement (and COMMIT if ``commit``).

        None, with nothing written, when the compare-and-set misses.
        """
        rows = {
            "case": ("c_", w.case_set),
            "deadline": ("d_", w.deadline),
            "case_event": ("e_", w.event),
            "decision": ("x_", w.decision),
            "outbox": ("o_", w.outbox),
        }
        names = {table: self._names(prefix, row, w) for table, (prefix, row) in rows.items()}
        sql = self._statement(w, names)
        text = payload({**w.event, "seq": -1})
        if text.count(_SEQ_MARK) != 1:
            raise RuntimeError("the event's payload does not split at its sequence number")
        before, after = text.split(_SEQ_MARK)
        params: dict[str, Any] = {
            "case_id": w.case_id,
            "from_version": w.from_version,
            "from_status": w.from_status,
            "now": self.instant(w.now),
            "trigger": w.trigger,
            "org": w.organisation_id,
            "agreement_id": w.agreement_id,
            "e_before_seq": before + '"seq":',
            "e_after_seq": after,
        }
        for table, (prefix, row) in rows.items():
            if row:
                params.update(
                    (n, v) for n, v in zip(names[table], self.values(table, row), strict=True) if n.startswith(prefix)
                )
        dbapi_conn = conn.connection.driver_connection
        try:
            with dbapi_conn.cursor() as cur:  # type: ignore[union-attr]
                cur.execute(sql, params)
                event_id, deadline_id, decision_id, seq, _ = cur.fetchone()
            if commit:
                sql = "COMMIT"
                dbapi_conn.commit()  # type: ignore[union-attr]
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, params) from exc
        if event_id is None:
            return None
        return Written(event_id, deadline_id, decision_id, seq)


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
