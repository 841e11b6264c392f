"""The transition writer for SQLite: statements one by one under the write lock the transaction holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from workflow.engine.audit import GENESIS, chained
from workflow.engine.writers.base import (
    CLOSED,
    LINKS,
    SELECT_CASE,
    CaseRow,
    Links,
    Opening,
    Writer,
    Writes,
    Written,
    case_row,
    links_row,
)

_LINKS = LINKS.format(
    new_id="NULL",
    agreement_id=":agreement_id",
    org=":org",
    provider_id=":provider_id",
    owner_id=":owner_id",
    parent_case_id=":parent_case_id",
)


class SqliteWriter(Writer):
    """Statements run one by one; ``BEGIN IMMEDIATE`` already holds the write lock, so nothing is locked here."""

    def load(self, conn: Connection, case_id: int) -> CaseRow | None:
        """The case as the rules see it (with its chain head)."""
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        sql = SELECT_CASE + "?"
        try:
            cur.execute(sql, (case_id,))
            raw = cur.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, case_id) from exc
        return case_row(raw) if raw else None

    def _insert(self, cur: Any, table: str, row: dict[str, Any]) -> int:
        key = (table, *row)
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = f'INSERT INTO "{table}" ({", ".join(row)}) VALUES ({", ".join("?" * len(row))})'
        cur.execute(sql, self.values(table, row))
        return int(cur.lastrowid)

    def apply(self, conn: Connection, w: Writes) -> Written | None:
        """Write a transition in the connection's transaction; None, with nothing written, if the case changed."""
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        sql = ""
        try:
            key = ("case", *w.case_set)
            sql = self._sql.get(key, "")
            if not sql:
                sets = ", ".join(f"{k} = ?" for k in w.case_set)
                sql = self._sql[key] = (
                    f'UPDATE "case" SET {sets} WHERE id = ? AND version = ? AND status = ? AND next_due_at IS ?'
                )
            due = self.instant(w.from_next_due) if w.from_next_due is not None else None
            cur.execute(sql, [*self.values("case", w.case_set), w.case_id, w.from_version, w.from_status, due])
            if cur.rowcount != 1:
                return None
            if w.close_deadlines:
                sql = "UPDATE deadline SET " + CLOSED.format(now="?", by="?")
                sql += " WHERE case_id = ? AND status IN ('pending', 'suspended')"
                cur.execute(sql, (self.instant(w.now), w.trigger, w.case_id))
            deadline_id = self._insert(cur, "deadline", w.deadline) if w.deadline else None
            event_id = self._insert(cur, "case_event", w.event)
            decision_id = None
            if w.decision is not None:
                decision_id = self._insert(cur, "decision", {**w.decision, "event_id": event_id})
            if w.outbox is not None:
                self._insert(cur, "outbox", {**w.outbox, "dedupe_key": f"event:{event_id}"})
            if w.agreement_id is not None:
                sql = "UPDATE agreement SET status = ? WHERE id = ?"
                cur.execute(sql, (w.case_set["status"], w.agreement_id))
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, None) from exc
        return Written(event_id, deadline_id, decision_id)

    def links(self, conn: Connection, params: dict[str, Any]) -> Links:
        """What a new case links to (``params``: org, agreement_id, provider_id, owner_id, parent_case_id)."""
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.execute(_LINKS, params)
            raw = cur.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, _LINKS, params) from exc
        return links_row(raw)

    def open(self, conn: Connection, o: Opening, case_id: int | None = None) -> tuple[int, int, str]:
        """Write a new case, its first deadline and its first audit event (the chain's first link).

        Answers their ids and the chain's head. The case's id comes from its INSERT, so its head is set once the
        event that the id is part of is chained.
        """
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        sql = ""
        try:
            case_id = self._insert(cur, "case", {**o.case, "audit_hash": GENESIS})
            if o.deadline is not None:
                self._insert(cur, "deadline", {"case_id": case_id, **o.deadline})
            first = chained({**o.event, "case_id": case_id}, 1, GENESIS)
            event_id = self._insert(cur, "case_event", first)
            sql = 'UPDATE "case" SET audit_hash = ? WHERE id = ?'
            cur.execute(sql, (first["hash"], case_id))
            if o.agreement_id is not None:
                sql = "UPDATE agreement SET case_id = ?, status = ? WHERE id = ?"
                cur.execute(sql, (case_id, o.case["status"], o.agreement_id))
        except self.dialect.loaded_dbapi.Error as exc:
            raise self.error(exc, sql, None) from exc
        return case_id, event_id, str(first["hash"])
