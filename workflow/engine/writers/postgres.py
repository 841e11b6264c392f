"""The transition writer for PostgreSQL: one statement reads, one writes every row of the transition.

The write is data-modifying CTEs, each gated on the compare-and-set UPDATE of the case having matched,
so a transition costs two round trips inside the unit of work's transaction besides BEGIN and COMMIT.
Row values travel as one JSON document (psycopg's per-parameter adaptation cost more than the server's
reading of it). Statements are prepared by psycopg itself, per connection, once a query has run
``prepare_threshold`` times: nothing here keeps track of what a connection has prepared.
Opening a case is likewise two statements: its links (with its id from the sequence), then every row.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import Connection, Dialect

from workflow.engine.audit import GENESIS, chained
from workflow.engine.writers.base import (
    CLOSED,
    LINKS,
    TABLES,
    CaseRow,
    Links,
    Opening,
    Writer,
    Writes,
    Written,
    case_row,
    links_row,
)

_PG_LOAD = f'SELECT {", ".join(CaseRow._fields)} FROM "case" WHERE id = %s'
# The new case's id is drawn with its links: its first event's hash covers it, so it is known before the write.
_PG_LINKS = LINKS.format(
    new_id="""nextval(pg_get_serial_sequence('"case"', 'id'))""",
    agreement_id="%(agreement_id)s::integer",
    org="%(org)s::integer",
    provider_id="%(provider_id)s::integer",
    owner_id="%(owner_id)s::integer",
    parent_case_id="%(parent_case_id)s::integer",
)
_SHARED = frozenset({"now", "case_id", "org"})  # values bound as parameters of their own; the rest go in the document


def _ref(name: str, cast: str) -> str:
    """A row value in the statement: a shared parameter, or its key in the one JSON document of the transition."""
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


def _shared_names(prefix: str, row: dict[str, Any] | None, now: datetime, case_id: int, org: int) -> tuple[str, ...]:
    """Each column's name: the shared now, case id or organisation where it is one, else its own document key."""
    if not row:
        return ()
    names = []
    for k, v in row.items():
        if v is now:
            names.append("now")
        elif k == "case_id" and v == case_id:
            names.append("case_id")
        elif k == "organisation_id" and v == org:
            names.append("org")
        else:
            names.append(prefix + k)
    return tuple(names)


class PostgresWriter(Writer):
    """Round trips matter here: one statement reads, one writes."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__(dialect)
        self._casts = {
            name: {c.name: c.type.compile(dialect=dialect) for c in table.columns} for name, table in TABLES.items()
        }

    def load(self, conn: Connection, case_id: int) -> CaseRow | None:
        """The case as the rules see it, with its chain head (no lock: the write re-checks it)."""
        try:
            with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
                cur.execute(_PG_LOAD, (case_id,))
                raw = cur.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, _PG_LOAD, case_id) from exc
        return case_row(raw) if raw is not None else None

    @staticmethod
    def _names(prefix: str, row: dict[str, Any] | None, w: Writes) -> tuple[str, ...]:
        """Each column's name: the shared now, case id or organisation where it is one, else its own document key."""
        return _shared_names(prefix, row, w.now, w.case_id, w.organisation_id)

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
            'AND "case".version = %(from_version)s AND "case".status = %(from_status)s '
            'AND "case".next_due_at IS NOT DISTINCT FROM %(from_next_due)s::timestamptz RETURNING "case".id)',
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
        values = self._select_list("case_event", w.event, names["case_event"])
        ctes.append(f"ev AS (INSERT INTO case_event ({', '.join(w.event)}) SELECT {values} FROM c, j RETURNING id)")
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
        tail = f"SELECT (SELECT id FROM ev), {dl}, {dec}"
        sql = self._sql[key] = "WITH " + ",\n".join(ctes) + "\n" + tail
        return sql

    def apply(self, conn: Connection, w: Writes) -> Written | None:
        """Write a transition in one statement in the connection's transaction; None, with nothing written, when the
        compare-and-set misses."""
        rows = {
            "case": ("c_", w.case_set),
            "deadline": ("d_", w.deadline),
            "case_event": ("e_", w.event),
            "decision": ("x_", w.decision),
            "outbox": ("o_", w.outbox),
        }
        names = {table: self._names(prefix, row, w) for table, (prefix, row) in rows.items()}
        sql = self._statement(w, names)
        params: dict[str, Any] = {
            "case_id": w.case_id,
            "from_version": w.from_version,
            "from_status": w.from_status,
            "from_next_due": self.instant(w.from_next_due) if w.from_next_due is not None else None,
            "now": self.instant(w.now),
            "trigger": w.trigger,
            "org": w.organisation_id,
            "agreement_id": w.agreement_id,
        }
        doc: dict[str, Any] = {}
        for table, (prefix, row) in rows.items():
            if row:
                doc.update(
                    (n, v) for n, v in zip(names[table], self.values(table, row), strict=True) if n.startswith(prefix)
                )
        params["doc"] = _DOC(doc)
        try:
            with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
                cur.execute(sql, params)
                event_id, deadline_id, decision_id = cur.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, params) from exc
        if event_id is None:
            return None
        return Written(event_id, deadline_id, decision_id)

    def links(self, conn: Connection, params: dict[str, Any]) -> Links:
        """What a new case links to (``params``: org, agreement_id, provider_id, owner_id, parent_case_id), and the
        new case's id drawn from its sequence (a refused opening leaves a gap, as a rolled-back one always did)."""
        try:
            with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
                cur.execute(_PG_LINKS, params)
                raw = cur.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, _PG_LINKS, params) from exc
        return links_row(raw)

    def open(self, conn: Connection, o: Opening, case_id: int | None = None) -> tuple[int, int, str]:
        """Write a new case (with the id :meth:`links` drew), its first deadline, its first audit event and the
        agreement it mirrors in one statement; the case's and the event's ids and the chain's head."""
        if case_id is None:
            raise ValueError("a case opened on PostgreSQL has its id drawn by links() beforehand")
        org = o.case["organisation_id"]
        first = chained({**o.event, "case_id": case_id}, 1, GENESIS)
        case = {**o.case, "audit_hash": first["hash"]}
        rows = {"case": ("c_", case), "deadline": ("d_", o.deadline), "case_event": ("e_", first)}
        names = {table: _shared_names(prefix, row, o.now, case_id, org) for table, (prefix, row) in rows.items()}
        key = ("open", tuple(case), tuple(o.deadline or ()), tuple(first), o.agreement_id is not None, *names.values())
        sql = self._sql.get(key)
        if sql is None:
            ctes = [
                "j AS (SELECT %(doc)s::jsonb AS d)",
                f'c AS (INSERT INTO "case" (id, {", ".join(case)}) '
                f"SELECT %(case_id)s::integer, {self._select_list('case', case, names['case'])} FROM j RETURNING id)",
            ]
            if o.deadline is not None:
                values = self._select_list("deadline", o.deadline, names["deadline"])
                ctes.append(
                    f"dl AS (INSERT INTO deadline (case_id, {', '.join(o.deadline)}) SELECT c.id, {values} FROM c, j)"
                )
            values = self._select_list("case_event", first, names["case_event"])
            ctes.append(f"ev AS (INSERT INTO case_event ({', '.join(first)}) SELECT {values} FROM c, j RETURNING id)")
            if o.agreement_id is not None:
                ctes.append(
                    "ag AS (UPDATE agreement SET case_id = c.id, status = j.d->>'c_status' FROM c, j "
                    "WHERE agreement.id = %(agreement_id)s)"
                )
            sql = self._sql[key] = "WITH " + ",\n".join(ctes) + "\nSELECT (SELECT id FROM ev)"
        doc: dict[str, Any] = {}
        for table, (prefix, row) in rows.items():
            if row:
                doc.update(
                    (n, v) for n, v in zip(names[table], self.values(table, row), strict=True) if n.startswith(prefix)
                )
        params = {
            "doc": _DOC(doc),
            "case_id": case_id,
            "org": org,
            "now": self.instant(o.now),
            "agreement_id": o.agreement_id,
        }
        try:
            with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
                cur.execute(sql, params)
                (event_id,) = cur.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, params) from exc
        return case_id, int(event_id), str(first["hash"])
