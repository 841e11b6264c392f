"""The transition store for PostgreSQL: one statement reads, one writes and chains the event (see the package)."""

from __future__ import annotations

import json
import re
import weakref
from datetime import date, datetime
from typing import Any

from psycopg import pq
from psycopg.errors import error_from_result
from psycopg.types.json import Json
from sqlalchemy import Connection, Dialect

from workflow.audit import payload
from workflow.hotpath.base import CLOSED, GENESIS, TABLES, CaseRow, Store, Writes, Written, case_row

# The case's columns, and whether its organisation's audit chain has a head row yet.
_PG_LOAD = (
    f"SELECT {', '.join('c.' + f for f in CaseRow._fields)}, "
    "EXISTS (SELECT 1 FROM audit_head AS h WHERE h.organisation_id = c.organisation_id) "
    'FROM "case" AS c WHERE c.id = %s'
)
# The event's payload with seq = -1 splits at this mark: an unescaped quote before "seq" occurs only in a key.
_SEQ_MARK = '"seq":-1'


_SHARED = frozenset({"now", "case_id", "org"})  # values bound as parameters of their own; the rest go in the document


def _ref(name: str, cast: str) -> str:
    """A row value in the statement: a shared parameter, or its key in the one JSON document of the transition.

    One document instead of some fifty parameters: psycopg's per-parameter adaptation cost more than the server's
    reading of the document.
    """
    if name in _SHARED:
        return f"%({name})s::{cast}"
    if cast in ("JSON", "JSONB"):  # nested as JSON in the document; a JSON null there is SQL NULL
        return f"NULLIF(j.d->'{name}', 'null'::jsonb)::{cast}"
    return f"(j.d->>'{name}')::{cast}"


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Json):  # a JSON column's value as the column's bind processor wraps it
        return value.obj
    raise TypeError(f"can't put {type(value).__name__} in a transition's document")


_DOC = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_iso).encode


class PostgresStore(Store):
    """Round trips matter here: one statement reads, one writes."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__(dialect)
        self._casts = {
            name: {c.name: c.type.compile(dialect=dialect) for c in table.columns} for name, table in TABLES.items()
        }
        self._prepared: dict[str, tuple[bytes, bytes, tuple[str, ...]]] = {}
        self._prepared_on: weakref.WeakKeyDictionary[Any, set[bytes]] = weakref.WeakKeyDictionary()

    def load(self, conn: Connection, case_id: int) -> tuple[CaseRow | None, bool]:
        """The case (no lock: the write re-checks it) and whether its organisation's chain has a head yet."""
        try:
            with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
                cur.execute(_PG_LOAD, (case_id,))
                raw = cur.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, _PG_LOAD, case_id) from exc
        return (case_row(raw), bool(raw[11])) if raw is not None else (None, True)

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
        """Each column's name: the shared now, case id or organisation where it is one, else its own document key."""
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
        return ", ".join(_ref(n, casts[k]) for k, n in zip(row, names, strict=True))

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
        casts = self._casts["case"]
        sets = ", ".join(f"{k} = {_ref(n, casts[k])}" for k, n in zip(w.case_set, names["case"], strict=True))
        ctes = [
            "j AS (SELECT %(doc)s::jsonb AS d)",
            f'c AS (UPDATE "case" SET {sets} FROM j WHERE "case".id = %(case_id)s '
            'AND "case".version = %(from_version)s AND "case".status = %(from_status)s RETURNING "case".id)',
        ]
        if w.close_deadlines:
            closed = CLOSED.format(now="%(now)s", by="%(trigger)s")
            ctes.append(
                f"closed AS (UPDATE deadline SET {closed} "
                "WHERE case_id IN (SELECT id FROM c) AND status IN ('pending', 'suspended'))"
            )
        if w.deadline:
            values = self._select_list("deadline", w.deadline, names["deadline"])
            ctes.append(
                f"dl AS (INSERT INTO deadline ({', '.join(w.deadline)}) SELECT {values} FROM c, j RETURNING id)"
            )
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
            f"SELECT {values}, h.seq, h.prev_hash, h.hash FROM h, j RETURNING id, seq)"
        )
        if w.decision is not None:
            ctes.append(
                f"dec AS (INSERT INTO decision ({', '.join(w.decision)}, event_id) "
                f"SELECT {self._select_list('decision', w.decision, names['decision'])}, ev.id FROM ev, j RETURNING id)"
            )
        if w.outbox is not None:
            ctes.append(
                f"ob AS (INSERT INTO outbox ({', '.join(w.outbox)}, dedupe_key) "
                f"SELECT {self._select_list('outbox', w.outbox, names['outbox'])}, 'event:' || ev.id FROM ev, j)"
            )
        if w.agreement_id is not None:
            ctes.append(
                "ag AS (UPDATE agreement SET status = j.d->>'c_status' FROM j "
                "WHERE agreement.id = %(agreement_id)s AND EXISTS (SELECT 1 FROM c))"
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

    def apply(self, conn: Connection, w: Writes) -> Written | None:
        """Write a transition in one statement (in the connection's transaction, or as its own in autocommit mode).

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
        doc: dict[str, Any] = {}
        for table, (prefix, row) in rows.items():
            if row:
                doc.update(
                    (n, v) for n, v in zip(names[table], self.values(table, row), strict=True) if n.startswith(prefix)
                )
        params["doc"] = _DOC(doc)
        dbapi_conn = conn.connection.driver_connection
        try:
            if dbapi_conn.autocommit:  # type: ignore[union-attr]
                event_id, deadline_id, decision_id, seq = self._exec_prepared(dbapi_conn, sql, params)
            else:
                with dbapi_conn.cursor() as cur:  # type: ignore[union-attr]
                    cur.execute(sql, params)
                    event_id, deadline_id, decision_id, seq, _ = cur.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, params) from exc
        if event_id is None or seq is None:
            return None
        return Written(event_id, deadline_id, decision_id, seq)

    def _exec_prepared(self, driver: Any, sql: str, params: dict[str, Any]) -> tuple[int | None, ...]:
        """Run the write as a prepared statement on libpq directly; its four result columns.

        Only outside a transaction (autocommit), where psycopg keeps no state the call could bypass. psycopg's
        cursor spent about 100 µs of Python on each write; libpq's own call releases the interpreter lock as
        psycopg's does. A statement the server has forgotten is prepared again.
        """
        prepared = self._prepared.get(sql)
        if prepared is None:
            prepared = self._prepared[sql] = _numbered(sql, len(self._prepared))
        name, text, order = prepared
        values = [_text(params[n]) for n in order]
        done = self._prepared_on.get(driver)
        if done is None:
            done = self._prepared_on[driver] = set()
        pgconn = driver.pgconn
        for attempt in (1, 2):
            if name not in done:
                _check(pgconn.prepare(name, text), pq.ExecStatus.COMMAND_OK, driver)
                done.add(name)
            res = pgconn.exec_prepared(name, values)
            if res.status == pq.ExecStatus.TUPLES_OK:
                return tuple(None if (v := res.get_value(0, i)) is None else int(v) for i in range(4))
            if attempt == 1 and res.error_field(pq.DiagnosticField.SQLSTATE) == b"26000":
                done.discard(name)  # prepared statement does not exist (DISCARD ALL, say): prepare it again
                continue
            _check(res, pq.ExecStatus.TUPLES_OK, driver)
        raise AssertionError("unreachable")


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _numbered(sql: str, index: int) -> tuple[bytes, bytes, tuple[str, ...]]:
    """A statement's name on the server, its text with $n placeholders, and the parameter names in order."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    text = _PLACEHOLDER.sub(number, sql)
    return f"uppf_transition_{index}".encode(), text.encode(), tuple(order)


def _text(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text format (its type is the one the statement gives it)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, datetime):
        return value.isoformat().encode()
    return str(value).encode()


def _check(res: Any, expected: Any, driver: Any) -> None:
    if res.status != expected:
        raise error_from_result(res, encoding=driver.info.encoding)
