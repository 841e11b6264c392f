"""Importing a municipality's existing register and history (import av register och historik).

:class:`ImportFile` is a command like any other: its handler reads the file
(:mod:`workflow.imports.readers`), types its cells (:mod:`workflow.imports.columns`) and runs every row as
the command the API would run (``RegisterProvider``, ``RegisterAgreement``, ``OpenCase``, ``FireTrigger``, …)
through :meth:`workflow.bootstrap.Application.execute`, so every rule, every refusal and the audit apply.

* **All or nothing per file.** The whole file is one database transaction (:class:`ImportUnitOfWork` joins every
  command to it). Rows run 200 at a time under a SAVEPOINT; when one is refused the batch rolls back and its rows
  run again each under its own, so a refused row rolls back alone and the rows after it are still checked.
  The transaction commits only when no row was refused; otherwise nothing is written and every bad row is
  reported with its line (or sheet and row), column, the refusal's message and its rule.
* **Dry run**: the same run, always rolled back; the report says what would have been created.
* **Rerun without duplicates**: each object made is recorded in ``import_ref`` under its natural key with
  the SHA-256 of its row, in the same transaction. A row already imported is counted as unchanged; a row
  whose key was imported with other content is refused (rule ``import_changed``), never overwritten.
* **History**: one row per event. The first row of a ``case_ref`` opens the case (an ``agreement`` case continues
  the agreement's own case when it has one); when that row also names a trigger, the importer opens the case and the
  row's user fires the trigger. Later rows fire their trigger on it, as ``username`` and on ``occurred_on``.

Logs carry counts only: no client references, no row contents.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any, TypeVar

import structlog
from sqlalchemy import Connection, bindparam, insert, or_, select
from sqlalchemy.exc import DBAPIError

from states.registry import CASE_TYPES
from states.roles import Role
from states.spec import ParamType
from workflow.admin.commands import CreateOrganisation, CreateUser
from workflow.cases.opening import SHARED_AGREEMENT_TYPES
from workflow.engine.commands import FireTrigger, OpenCase, handles
from workflow.engine.errors import InvalidInput, NotFound, NotPermitted, WorkflowError
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork
from workflow.engine.writers import forget_cases, remembering_cases
from workflow.imports.columns import Row, parse
from workflow.imports.readers import KINDS, Table, read_file
from workflow.registers.commands import RegisterAgreement, RegisterContractArea, RegisterPlacement, RegisterProvider
from workflow.registers.contracts import CONTRACT_ROLES, AgreementTerms
from workflow.registers.placements import PlacementTerms
from workflow.schema.tables import AGREEMENT, AREA, CASE, IMPORT_REF, ORG, PROVIDER, USER

log = structlog.get_logger("workflow.imports")
T = TypeVar("T")
#: The late-entry reason of what an import records after the fact, unless the row gives its own.
LATE_REASON = "Imported from the earlier register"
#: Who may run an import: administrators and the roles that register agreements (each row is then checked by its
#: own command, acting as the importer or as the user its ``username`` names).
IMPORT_ROLES = CONTRACT_ROLES | {Role.ADMINISTRATOR}
#: Whether the engine's case commands take the date an event happened (``occurred_on``).
DATED = "occurred_on" in {f.name for f in fields(FireTrigger)} and "occurred_on" in {f.name for f in fields(OpenCase)}


@dataclass(frozen=True, slots=True)
class ImportFile:
    """Import ``content`` (an .xlsx workbook or a CSV file named ``filename``) for the actor's organisation.

    ``kind`` names what a CSV file holds (default: from its name); ``delimiter`` overrides the CSV delimiter
    found in the header; ``dry_run`` checks everything and writes nothing; ``via`` is the entry point (``api`` or
    ``cli``), recorded where a command records it.
    """

    filename: str
    content: bytes
    kind: str | None = None
    delimiter: str | None = None
    dry_run: bool = False
    via: str = "api"


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row (or header) that was refused: where it is, which column, why, and the rule that refused it."""

    kind: str
    where: str
    line: int
    sheet: str | None
    column: str | None
    message: str
    rule: str


@dataclass(slots=True)
class KindCount:
    """Per kind: rows that created an object (or would, in a dry run), rows already imported, refused rows."""

    created: int = 0
    unchanged: int = 0
    errors: int = 0


@dataclass(slots=True)
class ImportReport:
    """What an import did: per kind what was created, unchanged or refused; every bad row; whether it committed."""

    filename: str
    dry_run: bool
    committed: bool = False
    counts: dict[str, KindCount] = field(default_factory=dict)
    errors: list[BadRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "counts": {k: asdict(v) for k, v in self.counts.items()},
            "errors": [asdict(e) for e in self.errors],
        }


#: Rows run under one savepoint while none is refused (see :meth:`_Run._batch`).
BATCH = 200
_MISSING = object()


class _Refused(Exception):
    """A row of a batch was refused: the batch is rolled back and its rows run again one by one."""


class _Discard(Exception):
    """Raised inside the import's transaction to roll all of it back (a dry run, or a file with bad rows)."""


class ImportUnitOfWork(UnitOfWork):
    """The unit of work of the commands of one import: each joins the import's one open transaction.

    :meth:`row` is the SAVEPOINT of one row: a refused command rolls back to it and leaves the other rows as they
    were; the import commits or rolls back the whole file. The savepoint is issued as SQL on the connection rather
    than with ``conn.begin_nested()``, whose bookkeeping cost a fifth of the import's CPU in ``bench/import_bench.py``
    (the same choice as :mod:`workflow.engine.group_commit`); no command opens a savepoint of its own.
    """

    def __init__(self, conn: Connection, outer: UnitOfWork) -> None:
        super().__init__(outer.engine, outer.clock)
        self.conn = conn

    def write(self, work: Callable[[Connection], T]) -> T:
        return work(self.conn)

    def read(self, work: Callable[[Connection], T]) -> T:
        return work(self.conn)

    @contextmanager
    def row(self) -> Iterator[None]:
        self.conn.exec_driver_sql("SAVEPOINT import_row")
        try:
            yield
        except BaseException:
            self.conn.exec_driver_sql("ROLLBACK TO SAVEPOINT import_row")
            self.conn.exec_driver_sql("RELEASE SAVEPOINT import_row")
            forget_cases(self.conn)
            raise
        self.conn.exec_driver_sql("RELEASE SAVEPOINT import_row")


def content_hash(row: Row) -> str:
    """The SHA-256 of a row's values and parameters, as written (dates as ISO text), independent of column order."""
    values = {
        k: (v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v)
        for k, v in row.values.items()
    }
    doc = json.dumps({"values": values, "params": row.params}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(doc.encode()).hexdigest()


@handles(ImportFile)
def import_file(cmd: ImportFile, actor: Actor, uow: UnitOfWork) -> ImportReport:
    """Run the file in one transaction; commit only a real run without a bad row. Answers the report."""
    if not IMPORT_ROLES & set(actor.roles):
        raise NotPermitted(f"can't import: needs one of the roles {', '.join(sorted(IMPORT_ROLES))}", rule="role")
    tables = read_file(cmd.filename, cmd.content, kind=cmd.kind, delimiter=cmd.delimiter)
    report = ImportReport(cmd.filename, cmd.dry_run)

    def work(conn: Connection) -> None:
        run = _Run(conn, uow, actor, report, cmd.via)
        with remembering_cases(conn):  # a case the file opened or moved is not read again before its next step
            for table in tables:
                run.table(table)
        run.flush_refs()
        if cmd.dry_run or report.errors:
            raise _Discard

    try:
        uow.write(work)
        report.committed = True
    except _Discard:
        report.committed = False
    log.info(
        "import.finished",
        organisation_id=actor.organisation_id,
        dry_run=cmd.dry_run,
        committed=report.committed,
        created=sum(c.created for c in report.counts.values()),
        unchanged=sum(c.unchanged for c in report.counts.values()),
        errors=len(report.errors),
    )
    return report


class _Run:
    """One file's rows run as commands inside one transaction."""

    def __init__(self, conn: Connection, outer: UnitOfWork, importer: Actor, report: ImportReport, via: str) -> None:
        from workflow.bootstrap import Application
        from workflow.settings import get_settings

        self.conn = conn
        self.uow = ImportUnitOfWork(conn, outer)
        self.app = Application(get_settings(), outer.engine, outer.clock, uow=self.uow)
        self.importer = importer
        self.via = via
        self.org = importer.organisation_id
        self.report = report
        self.now = outer.clock()
        self.refs: dict[tuple[str, str], tuple[int, str]] = {}
        self.new_refs: list[dict[str, Any]] = []
        self.loaded: set[str] = set()
        self.actors: dict[str, Actor] = {}
        self.cases: dict[str, int] = {}
        self.case_types: dict[int, str] = {}
        self.found: dict[tuple[str, str], Any] = {}
        self.case_rows: dict[str, str] = {}
        self.seq: dict[str, int] = {}
        self._undo: list[tuple[dict[Any, Any], Any, Any]] | None = None

    # --- the rows -------------------------------------------------------------------------------------------

    def table(self, table: Table) -> None:
        count = self.report.counts.setdefault(table.kind, KindCount())
        self._load_refs(table.kind)
        rows, errors = parse(table)
        for e in errors:
            self.report.errors.append(BadRow(table.kind, e.where, e.line, e.sheet, e.column, e.message, e.rule))
        count.errors += len({e.where for e in errors})
        for start in range(0, len(rows), BATCH):
            self._batch(table.kind, rows[start : start + BATCH], count)

    def _batch(self, kind: str, rows: list[Row], count: KindCount) -> None:
        """``rows`` under one savepoint; when one is refused, all of them again, each under its own.

        Most files have no bad row: one savepoint per batch instead of one per row saves two statements (two
        round trips on PostgreSQL) per row. What the run remembers in memory is journalled and undone with the
        batch, so the rows run alone exactly as they would have from the start.
        """
        mark, before = len(self.new_refs), (count.created, count.unchanged, count.errors)
        self._undo = []
        self.conn.exec_driver_sql("SAVEPOINT import_batch")
        try:
            for row in rows:
                self.row(kind, row, count, alone=False)
        except _Refused:
            self.conn.exec_driver_sql("ROLLBACK TO SAVEPOINT import_batch")
            self.conn.exec_driver_sql("RELEASE SAVEPOINT import_batch")
            forget_cases(self.conn)
            for d, k, old in reversed(self._undo):
                if old is _MISSING:
                    d.pop(k, None)
                else:
                    d[k] = old
            del self.new_refs[mark:]
            count.created, count.unchanged, count.errors = before
            self._undo = None
            for row in rows:
                self.row(kind, row, count, alone=True)
            return
        self._undo = None
        self.conn.exec_driver_sql("RELEASE SAVEPOINT import_batch")

    def remember(self, memory: dict[Any, Any], key: Any, value: Any) -> None:
        """``memory[key] = value``, journalled while a batch runs so that it can be undone with the batch."""
        if self._undo is not None:
            self._undo.append((memory, key, memory.get(key, _MISSING)))
        memory[key] = value

    def forget(self, memory: dict[Any, Any], key: Any) -> None:
        """``del memory[key]``, journalled like :meth:`remember`."""
        if key in memory:
            if self._undo is not None:
                self._undo.append((memory, key, memory[key]))
            del memory[key]

    def row(self, kind: str, row: Row, count: KindCount, *, alone: bool) -> None:
        """Run one row; refused, it is reported when it runs ``alone`` (in its own savepoint), else raises."""
        try:
            key = self._key(kind, row)
            digest = content_hash(row)
            ref = self.refs.get((kind, key))
            if ref is not None:
                if kind == "history" and key.endswith("#1"):
                    self.remember(self.cases, row.get("case_ref"), ref[0])
                if ref[1] == digest:
                    count.unchanged += 1
                    return
                raise InvalidInput(
                    f"{_what(kind)} {_shown(kind, key)} was imported before with other content; it is not changed by "
                    "an import (change it in the product)",
                    rule="import_changed",
                )
            if alone:
                with self.uow.row():
                    object_id = RUNNERS[kind](self, row)
            else:
                object_id = RUNNERS[kind](self, row)
            self.remember(self.refs, (kind, key), (object_id, digest))
            self.new_refs.append(
                {
                    "organisation_id": self.org,
                    "kind": kind,
                    "natural_key": key,
                    "object_id": object_id,
                    "content_hash": digest,
                    "imported_at": self.now,
                }
            )
            count.created += 1
        except WorkflowError as exc:
            if not alone:
                raise _Refused from exc
            self._bad(kind, row, exc.message, str(exc.context.get("rule", exc.code)), exc.context.get("column"))
            count.errors += 1
        except DBAPIError as exc:  # a value the database refuses (too long, out of range): this row's problem
            if not alone:
                raise _Refused from exc
            self._bad(kind, row, str(exc.orig).splitlines()[0] if exc.orig else str(exc), "database", None)
            count.errors += 1

    def _bad(self, kind: str, row: Row, message: str, rule: str, column: Any) -> None:
        raw = row.raw
        self.report.errors.append(
            BadRow(kind, raw.where, raw.line, raw.sheet, str(column) if column else None, message, rule)
        )

    def flush_refs(self) -> None:
        if self.new_refs:
            self.conn.execute(insert(IMPORT_REF), self.new_refs)
            self.new_refs = []

    def _load_refs(self, kind: str) -> None:
        if kind in self.loaded:
            return
        self.loaded.add(kind)
        for r in self.conn.execute(
            select(IMPORT_REF.c.natural_key, IMPORT_REF.c.object_id, IMPORT_REF.c.content_hash).where(
                IMPORT_REF.c.organisation_id == self.org, IMPORT_REF.c.kind == kind
            )
        ):
            self.refs[(kind, r.natural_key)] = (r.object_id, r.content_hash)

    def _key(self, kind: str, row: Row) -> str:
        v = row.get
        if kind == "organisations":
            return str(v("code"))
        if kind == "users":
            return str(v("username"))
        if kind == "contract_areas":
            return str(v("code"))
        if kind == "providers":
            return str(v("org_number"))
        if kind == "agreements":
            return str(v("registry_number"))
        if kind == "placements":
            return f"{v('agreement_registry_number')}|{v('client_ref')}|{v('starts_on').isoformat()}"
        ref = str(v("case_ref"))
        n = self.seq.get(ref, 0) + 1
        self.remember(self.seq, ref, n)
        return f"{ref}#{n}"

    # --- look-ups by natural key, in the importing organisation's scope --------------------------------------

    def actor(self, row: Row, column: str = "username") -> Actor:
        """The user named in ``column`` (an active user of the importing organisation), or the importer."""
        username = row.get(column)
        if not username:
            return self.importer
        found = self.actors.get(username)
        if found is None:
            u = self.conn.execute(
                select(USER.c.id, USER.c.organisation_id, USER.c.roles, USER.c.active).where(
                    USER.c.username == username
                )
            ).first()
            if u is None or u.organisation_id != self.org or not u.active:
                raise NotFound(
                    f"no active user {username!r} in the importing organisation", rule="import_user", column=column
                )
            found = Actor(u.id, u.organisation_id, tuple(u.roles))
            self.remember(self.actors, username, found)
        return found

    def provider_id(self, org_number: str, column: str) -> int:
        pid = self.found.get(("provider", org_number))
        if pid is None:
            pid = self.conn.execute(_PROVIDER, {"org_number": org_number}).scalar()
        if pid is None:  # a miss is not kept: a later row may register it
            raise NotFound(f"no provider with organisation number {org_number}", rule="import_reference", column=column)
        self.remember(self.found, ("provider", org_number), pid)
        return int(pid)

    def area_id(self, code: str, column: str) -> int:
        aid = self.conn.execute(
            select(AREA.c.id).where(AREA.c.organisation_id == self.org, AREA.c.code == code)
        ).scalar()
        if aid is None:
            raise NotFound(f"no contract area {code!r} in this organisation", rule="import_reference", column=column)
        return int(aid)

    def agreement(self, registry_number: str, column: str) -> Any:
        """The organisation's own agreement with the registry number, else a shared framework or LOV agreement.

        Kept for the rest of the file (a miss is not): the file's own rows are what changes it, and they forget it.
        """
        found = self.found.get(("agreement", registry_number))
        if found is not None:
            return found
        rows = self.conn.execute(_AGREEMENT, {"registry_number": registry_number, "org": self.org}).all()
        if not rows:
            raise NotFound(f"no agreement {registry_number} in scope", rule="import_reference", column=column)
        own = [r for r in rows if r.organisation_id == self.org]
        found = (own or rows)[0]
        self.remember(self.found, ("agreement", registry_number), found)
        return found

    def org_id(self, code: str, column: str) -> int:
        oid = self.conn.execute(select(ORG.c.id).where(ORG.c.code == code)).scalar()
        if oid is None:
            raise NotFound(f"no organisation {code!r}", rule="import_reference", column=column)
        return int(oid)


# Statements built once (building a statement costs more than running it on SQLite).
_PROVIDER = select(PROVIDER.c.id).where(PROVIDER.c.org_number == bindparam("org_number"))
_AGREEMENT = (
    select(AGREEMENT.c.id, AGREEMENT.c.organisation_id, AGREEMENT.c.case_id)
    .where(
        AGREEMENT.c.registry_number == bindparam("registry_number"),
        or_(
            AGREEMENT.c.organisation_id == bindparam("org"),
            AGREEMENT.c.agreement_type.in_(SHARED_AGREEMENT_TYPES),
        ),
    )
    .order_by(AGREEMENT.c.id)
)
_CASE_TYPE = select(CASE.c.case_type).where(CASE.c.id == bindparam("case_id"))


# --- each kind's row as the command the API would run ----------------------------------------------------------


def _organisation(run: _Run, row: Row) -> int:
    parent = row.get("parent_code")
    cmd = CreateOrganisation(
        row.get("code"),
        row.get("name"),
        row.get("kind"),
        parent_id=run.org_id(parent, "parent_code") if parent else None,
        via=run.via,
    )
    return int(run.app.execute(cmd, run.actor(row))["id"])


def _user(run: _Run, row: Row) -> int:
    org = row.get("organisation_code")
    cmd = CreateUser(
        row.get("username"),
        row.get("display_name"),
        row.get("email"),
        run.org_id(org, "organisation_code") if org else run.org,
        tuple(row.get("roles")),
        via=run.via,
    )
    return int(run.app.execute(cmd, run.importer)["id"])


def _contract_area(run: _Run, row: Row) -> int:
    cmd = RegisterContractArea(row.get("code"), row.get("name"), row.get("regime"))
    return int(run.app.execute(cmd, run.actor(row))["id"])


def _provider(run: _Run, row: Row) -> int:
    cmd = RegisterProvider(
        row.get("org_number"), row.get("name"), bool(row.get("in_house") or False), row.get("contact_email")
    )
    return int(run.app.execute(cmd, run.actor(row))["id"])


def _agreement(run: _Run, row: Row) -> int:
    v = row.get
    parent = v("parent_registry_number")
    area = v("contract_area_code")
    terms = AgreementTerms(
        registry_number=v("registry_number"),
        agreement_type=v("agreement_type"),
        provider_id=run.provider_id(v("provider_org_number"), "provider_org_number"),
        starts_on=v("starts_on"),
        ends_on=v("ends_on"),
        contract_area_id=run.area_id(area, "contract_area_code") if area else None,
        parent_id=run.agreement(parent, "parent_registry_number").id if parent else None,
        purchase_value_sek=v("purchase_value_sek") or 0,
    )
    created = int(run.app.execute(RegisterAgreement(terms), run.actor(row))["id"])
    run.forget(run.found, ("agreement", terms.registry_number))  # a shared one found before may now be this own one
    return created


def _placement(run: _Run, row: Row) -> int:
    v = row.get
    worker = v("social_worker")
    terms = PlacementTerms(
        agreement_id=run.agreement(v("agreement_registry_number"), "agreement_registry_number").id,
        client_ref=v("client_ref"),
        starts_on=v("starts_on"),
        gender=v("gender") or "unknown",
        social_worker_id=run.actor(row, "social_worker").user_id if worker else None,
        ends_on=v("ends_on"),
    )
    return int(run.app.execute(RegisterPlacement(terms), run.actor(row))["id"])


def _dated(row: Row) -> dict[str, Any]:
    """``occurred_on`` (and the late-entry reason) for a case command, or a refusal where the engine takes no date."""
    occurred = row.get("occurred_on")
    if occurred is None:
        return {}
    if not DATED:
        raise InvalidInput(
            "occurred_on can't be recorded yet: the case commands of this version take no date of the event",
            rule="import_not_supported",
            column="occurred_on",
        )
    return {"occurred_on": occurred, "late_reason": row.get("late_reason") or LATE_REASON}


def _params(case_type: str, trigger: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The trigger's parameters typed as the API's JSON would carry them (lists split, years as numbers)."""
    spec = CASE_TYPES[case_type]
    declared = {p.name: p for t in spec.transitions if t.trigger == trigger for p in t.params}
    out: dict[str, Any] = {}
    for name, value in raw.items():
        p = declared.get(name)
        if p is not None and p.type == ParamType.MULTI_CHOICE and isinstance(value, str):
            value = [x.strip() for x in value.replace(";", ",").split(",") if x.strip()]
        elif p is not None and p.type == ParamType.BOOL and isinstance(value, str):
            value = {"ja": "true", "nej": "false"}.get(value.lower(), value.lower())
        out[name] = value
    return out


def _history(run: _Run, row: Row) -> int:
    v = row.get
    ref = v("case_ref")
    trigger = v("trigger")
    actor = run.actor(row)
    dated = _dated(row)
    case_id = run.cases.get(ref)
    if case_id is None and ref in run.case_rows:
        raise InvalidInput(
            f"the case {ref!r} was not opened: its first row ({run.case_rows[ref]}) was refused",
            rule="import_case_not_opened",
            column="case_ref",
        )
    if case_id is None:
        run.remember(run.case_rows, ref, row.raw.where)
        case_type = v("case_type")
        if not case_type:
            raise InvalidInput("the first row of a case names its case_type", rule="import_value", column="case_type")
        if case_type not in CASE_TYPES:
            raise InvalidInput(
                f"unknown case type {case_type!r}; one of {', '.join(CASE_TYPES)}",
                rule="import_value",
                column="case_type",
            )
        agreement = None
        if v("agreement_registry_number"):
            agreement = run.agreement(v("agreement_registry_number"), "agreement_registry_number")
        provider_id = (
            run.provider_id(v("provider_org_number"), "provider_org_number") if v("provider_org_number") else None
        )
        opening = trigger in (None, "", "open")
        if opening and v("registry_number"):
            raise InvalidInput(
                "opening a case is no decision and takes no registry number; name the decision's trigger",
                rule="import_value",
                column="registry_number",
            )
        if case_type == "agreement" and agreement is not None and agreement.case_id is not None:
            case_id = int(agreement.case_id)  # the agreement already has its case: the history continues it
            run.remember(run.case_types, case_id, case_type)
        else:
            opened = run.app.execute(
                OpenCase(
                    case_type,
                    v("reason"),
                    kind=v("kind"),
                    title=v("title") or "",
                    provider_id=provider_id,
                    agreement_id=agreement.id if agreement is not None else None,
                    plan_year=v("plan_year"),
                    params=row.params if opening and row.params else None,
                    **dated,
                ),
                actor if opening else run.importer,  # a decision's row: the importer opens, the row's user decides
            )
            case_id = opened.case_id
            run.remember(run.case_types, case_id, case_type)
            if agreement is not None and CASE_TYPES[case_type].mirrors_agreement:  # the agreement has its case now
                run.forget(run.found, ("agreement", v("agreement_registry_number")))
        run.remember(run.cases, ref, case_id)
        if opening:
            return case_id
    if not trigger or trigger == "open":
        raise InvalidInput(
            f"the case {ref!r} is already open; a later row names its trigger", rule="import_value", column="trigger"
        )
    case_type = _case_type(run, case_id)
    run.app.execute(
        FireTrigger(
            case_id,
            trigger,
            v("reason"),
            registry_number=v("registry_number"),
            params=_params(case_type, trigger, row.params) or None,
            **dated,
        ),
        actor,
    )
    return case_id


def _case_type(run: _Run, case_id: int) -> str:
    known = run.case_types.get(case_id)
    if known is None:
        known = str(run.conn.execute(_CASE_TYPE, {"case_id": case_id}).scalar_one())
        run.remember(run.case_types, case_id, known)
    return known


RUNNERS: dict[str, Callable[[_Run, Row], int]] = {
    "organisations": _organisation,
    "users": _user,
    "contract_areas": _contract_area,
    "providers": _provider,
    "agreements": _agreement,
    "placements": _placement,
    "history": _history,
}
assert set(RUNNERS) == set(KINDS)

_WHAT = {
    "organisations": "organisation",
    "users": "user",
    "contract_areas": "contract area",
    "providers": "provider",
    "agreements": "agreement",
    "placements": "placement",
    "history": "event",
}


def _what(kind: str) -> str:
    return _WHAT[kind]


def _shown(kind: str, key: str) -> str:
    # A placement's key holds the client reference: the report names the row by its line instead.
    return "on this row" if kind == "placements" else repr(key)


def importing_actor(conn: Connection, username: str, organisation_code: str | None = None) -> Actor:
    """The user an import acts as (``--as``), checked against the organisation it is meant for (``--organisation``)."""
    u = conn.execute(
        select(USER.c.id, USER.c.organisation_id, USER.c.roles, USER.c.active, ORG.c.code)
        .join(ORG, ORG.c.id == USER.c.organisation_id)
        .where(USER.c.username == username)
    ).first()
    if u is None or not u.active:
        raise NotFound(f"no active user {username!r}", rule="import_user")
    if organisation_code is not None and organisation_code != u.code:
        raise InvalidInput(
            f"{username!r} acts for {u.code}, not {organisation_code}; an import acts for its user's organisation",
            rule="import_organisation",
        )
    return Actor(u.id, u.organisation_id, tuple(u.roles))
