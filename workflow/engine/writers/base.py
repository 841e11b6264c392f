"""Shared parts of the transition writers: the rows' types, bind processors, error translation, and opening a case."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Dialect, Table
from sqlalchemy.exc import DBAPIError, StatementError

from workflow.engine.audit import GENESIS
from workflow.schema.tables import CASE, DEADLINE, DECISION, EVENT, OUTBOX
from workflow.schema.types import UTCDateTime

TABLES: dict[str, Table] = {  # the tables a transition writes, by name
    "case": CASE,
    "case_event": EVENT,
    "deadline": DEADLINE,
    "decision": DECISION,
    "outbox": OUTBOX,
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
    audit_hash: str = GENESIS  # the head of the case's audit chain (its last event's hash)
    opened_on: date | None = None  # when the case was opened (its opening event's date)
    last_occurred_on: date | None = None  # the date its latest event happened on; a new one may not be earlier
    # Its earliest pending deadline's due time: the transition's compare-and-set checks it with the version, so a
    # deadline changed (suspended, resumed, extended) after the case was read makes the transition a conflict.
    next_due_at: datetime | None = None


@dataclass(slots=True)
class Writes:
    """Everything one transition writes, decided before any of it is written."""

    case_id: int
    organisation_id: int
    from_status: str
    from_version: int
    from_next_due: datetime | None  # the case's next due time as read (compared, as the version is)
    case_set: dict[str, Any]
    close_deadlines: bool
    now: datetime
    trigger: str
    deadline: dict[str, Any] | None
    event: dict[str, Any]  # chained already (workflow.engine.audit.chained): seq, prev_hash and hash included
    decision: dict[str, Any] | None  # event_id is added by the writer
    outbox: dict[str, Any] | None  # dedupe_key "event:<id>" is added by the writer
    agreement_id: int | None  # the agreement whose status follows the case's


@dataclass(slots=True)
class Opening:
    """Everything opening a case writes, decided before any of it is written (the case's id is not known yet)."""

    case: dict[str, Any]  # the case row but its id and audit_hash
    deadline: dict[str, Any] | None  # its first deadline, without case_id
    event: dict[str, Any]  # its first audit event, not yet chained and without case_id
    now: datetime
    agreement_id: int | None  # the agreement whose case it is (the agreement's case_id and status follow it)


class AgreementLink(NamedTuple):
    """The columns of an agreement a new case's checks look at."""

    id: int
    organisation_id: int
    provider_id: int | None
    contract_area_id: int | None
    agreement_type: str
    case_id: int | None


class Links(NamedTuple):
    """What a new case links to, read in one statement (None where not asked for, or not found)."""

    case_id: int | None  # the new case's id where the dialect draws it beforehand (PostgreSQL's sequence)
    agreement: AgreementLink | None  # the agreement, if it is the organisation's own or a shared one
    provider_found: bool
    provider_in_house: bool
    owner_organisation_id: int | None
    parent_organisation_id: int | None


#: Agreement types whose contract-level data any board may refer to (call-offs are made from them).
SHARED_AGREEMENT_TYPES = ("framework_lou", "lov")
#: The links of a new case in one statement; ``{new_id}`` is how the dialect draws the case's id beforehand.
LINKS = (
    "SELECT {new_id}, a.id, a.organisation_id, a.provider_id, a.contract_area_id, a.agreement_type, a.case_id, "
    "p.id, p.in_house, u.organisation_id, pc.organisation_id "
    "FROM (SELECT 1 AS one) AS x "
    "LEFT JOIN agreement a ON a.id = {agreement_id} AND (a.organisation_id = {org} OR a.agreement_type IN ("
    + ", ".join(f"'{t}'" for t in SHARED_AGREEMENT_TYPES)
    + ")) "
    # The provider checked is the agreement's where there is one (a different one given is refused before).
    "LEFT JOIN provider p ON p.id = COALESCE(a.provider_id, {provider_id}) "
    "LEFT JOIN app_user u ON u.id = {owner_id} "
    'LEFT JOIN "case" pc ON pc.id = {parent_case_id}'
)


def links_row(raw: Any) -> Links:
    """The driver's row of :data:`LINKS` as :class:`Links`."""
    agreement = AgreementLink(*raw[1:7]) if raw[1] is not None else None
    return Links(raw[0], agreement, raw[7] is not None, bool(raw[8]), raw[9], raw[10])


class Written(NamedTuple):
    """Primary keys of the rows a transition added."""

    event_id: int
    deadline_id: int | None
    decision_id: int | None


SELECT_CASE = f'SELECT {", ".join(CaseRow._fields)} FROM "case" WHERE id = '
CLOSED = "status = 'closed', closed_at = {now}, closed_by = {by}, next_action_at = NULL"


class Writer:
    """Shared parts: the dialect's bind processors and error translation.

    One writer per database engine (``workflow.engine.writers.writer_for``), shared by its threads: its caches
    are plain dicts whose single operations are atomic under the interpreter lock, and a lost race only
    computes the same entry twice.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._procs: dict[str, dict[str, Any]] = {}
        for name, table in TABLES.items():
            procs = {}
            for col in table.columns:
                proc = col.type.dialect_impl(dialect).bind_processor(dialect)
                if proc is not None:
                    procs[col.name] = proc
            self._procs[name] = procs
        self._sql: dict[Any, str] = {}
        self._binders: dict[tuple[str, ...], tuple[Any, ...]] = {}
        self._instants: dict[datetime, Any] = {}
        self._ts_cols = {n: {c.name for c in t.columns if isinstance(c.type, UTCDateTime)} for n, t in TABLES.items()}
        self._instant_proc: Any = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)

    def values(self, table: str, row: dict[str, Any]) -> list[Any]:
        """``row``'s values in key order, as the column types bind them."""
        key = (table, *row)
        binders = self._binders.get(key)
        if binders is None:
            binders = self._binders[key] = self._binders_for(table, row)
        return [v if b is None or v is None else b(v) for b, v in zip(binders, row.values(), strict=True)]

    def _binders_for(self, table: str, row: dict[str, Any]) -> tuple[Any, ...]:
        """Each column's bind processor for rows with ``row``'s keys (timestamps through :meth:`instant`)."""
        procs, ts_cols = self._procs[table], self._ts_cols[table]
        return tuple(self.instant if k in ts_cols else procs.get(k) for k in row)

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


def case_row(raw: Any) -> CaseRow:
    """A case row as the driver returns it, typed (JSON attributes parsed where the driver leaves text)."""
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
        raw[11],
        _day(raw[12]),
        _day(raw[13]),
        _instant(raw[14]),
    )


def _instant(value: Any) -> datetime | None:
    """A timestamp as the driver returns it: aware (psycopg) or naive UTC text (sqlite3 on the raw cursor)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    """A DATE as the driver returns it: a date (psycopg) or ISO text (sqlite3 on the raw cursor)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
