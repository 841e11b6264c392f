"""Reading cases (ärenden) for lists and screens, scoped and with reads of individual cases logged.

Every function takes the unit of work and the viewer. The secrecy rule comes from
:mod:`workflow.cases.scoping`; a case outside the viewer's scope is :class:`NotFound`, the same as
an unknown one. Reading an individual-level case (detail or list) writes the access log
before the function returns, so no entry point shows one without a trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, and_, bindparam, case, exists, func, or_, select

from states.registry import CASE_TYPES, OVERDUE_STATE
from workflow.cases import scoping, tally
from workflow.cases.access import record_reads
from workflow.cases.paging import Order, Page, PageRequest, SortKey, fetch
from workflow.cases.scoping import Viewer
from workflow.deadlines.calendar import end_of_day
from workflow.engine.errors import InvalidInput, NotFound
from workflow.engine.firing import CASE, Actor, Workflow
from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import (
    AGREEMENT,
    AREA,
    CHANGE,
    DEADLINE,
    DECISION,
    EFFECT,
    EVENT,
    ORDER,
    PLACEMENT,
    PROVIDER,
    USER,
)

OPEN_DEADLINE = ("pending", "suspended")
SORTS = ("overdue_first", "next_due", "opened_at", "-opened_at", "updated_at", "-updated_at", "id", "-id")


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """What a case list is narrowed to; ``None`` (or ``False`` for ``mine``) leaves a criterion out.

    ``registry_number`` and ``provider_name`` match part of the text, ignoring case: a registry
    number (diarienummer) of one of the case's decisions or events, or of its agreement.
    """

    mine: bool = False
    owner_id: int | None = None
    case_type: str | None = None
    status: str | None = None
    kind: str | None = None
    provider_id: int | None = None
    agreement_id: int | None = None
    placement_id: int | None = None
    contract_area_id: int | None = None
    open: bool | None = None
    overdue: bool | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    registry_number: str | None = None
    provider_name: str | None = None
    sort: str = "-opened_at"


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """A case is overdue (försenat) when it is open and stands in its overdue state or a pending deadline has passed.

    One truth for the ``overdue`` flag of lists and views, the ``overdue`` filter and the overview's counts:
    :func:`is_overdue` says the same of a row. A case's earliest pending deadline is on its row
    (``next_due_at``, :mod:`workflow.deadlines.next_due`), so this reads ``ix_case_open`` alone. A closed case is
    never overdue (the engine closes a case's deadlines as it leaves a state).
    """
    return and_(CASE.c.closed_at.is_(None), or_(CASE.c.status == OVERDUE_STATE, CASE.c.next_due_at < now))


def is_overdue(row: Any, now: datetime) -> bool:
    """Whether a listed case row (``closed_at``, ``status``, ``next_due_at``) is overdue (:func:`overdue_condition`)."""
    if row["closed_at"] is not None:
        return False
    return row["status"] == OVERDUE_STATE or (row["next_due_at"] is not None and row["next_due_at"] < now)


@cache  # built once: a statement is never changed in place, only extended into new ones
def _listed() -> Any:
    """A listed case: its row (with its earliest pending deadline, ``next_due_at``), its provider's and case worker's
    names."""
    owner_name = select(USER.c.display_name).where(USER.c.id == CASE.c.owner_id).correlate(CASE).scalar_subquery()
    return select(
        *CASE.c,
        PROVIDER.c.name.label("provider_name"),
        owner_name.label("owner_name"),
    ).select_from(CASE.outerjoin(PROVIDER, PROVIDER.c.id == CASE.c.provider_id))


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, ignoring case; ``%`` and ``_`` are plain characters."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")  # type: ignore[no-any-return]


def _order(sort: str) -> Order:
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; one of {', '.join(SORTS)}", rule="sort")
    if sort in ("overdue_first", "next_due"):
        # Earliest pending deadline first, cases without one last: overdue cases come first by themselves.
        return Order(sort, [SortKey("next_due_at", CASE.c.next_due_at, nullable=True), SortKey("id", CASE.c.id)])
    name = sort.lstrip("-")
    desc = sort.startswith("-")
    return Order(sort, [SortKey(name, CASE.c[name], desc), SortKey("id", CASE.c.id, desc)])


def _known(f: CaseFilter) -> None:
    """Refuse a state or kind no case type (or not the filtered one) has: an unknown value is a mistake, not a match."""
    specs = [CASE_TYPES[f.case_type]] if f.case_type in CASE_TYPES else list(CASE_TYPES.values())
    where = f"a {f.case_type}" if f.case_type in CASE_TYPES else "any case type"
    if f.status is not None and not any(f.status in {str(x) for x in spec.states} for spec in specs):
        raise InvalidInput(f"unknown status {f.status!r} for {where}", rule="filter", field="status")
    if f.kind is not None and not any(f.kind in spec.kinds for spec in specs):
        raise InvalidInput(f"unknown kind {f.kind!r} for {where}", rule="filter", field="kind")


def _where(viewer: Viewer, f: CaseFilter, now: datetime) -> list[ColumnElement[bool]]:
    _known(f)
    conditions = [scoping.cases(viewer)]
    equal = {
        CASE.c.owner_id: viewer.user_id if f.mine else None,
        CASE.c.case_type: f.case_type,
        CASE.c.status: f.status,
        CASE.c.kind: f.kind,
        CASE.c.provider_id: f.provider_id,
        CASE.c.agreement_id: f.agreement_id,
        CASE.c.placement_id: f.placement_id,
        CASE.c.contract_area_id: f.contract_area_id,
    }
    conditions += [column == value for column, value in equal.items() if value is not None]
    if f.owner_id is not None:
        conditions.append(CASE.c.owner_id == f.owner_id)
    if f.open is not None:
        conditions.append(CASE.c.closed_at.is_(None) if f.open else CASE.c.closed_at.is_not(None))
    if f.opened_from is not None:
        conditions.append(CASE.c.opened_at > end_of_day(f.opened_from) - timedelta(days=1))
    if f.opened_to is not None:
        conditions.append(CASE.c.opened_at <= end_of_day(f.opened_to))
    if f.overdue is not None:
        late = overdue_condition(now)
        conditions.append(late if f.overdue else ~late)
    if f.registry_number:
        conditions.append(
            or_(
                exists().where(EVENT.c.case_id == CASE.c.id, _contains(EVENT.c.registry_number, f.registry_number)),
                CASE.c.agreement_id.in_(
                    select(AGREEMENT.c.id).where(_contains(AGREEMENT.c.registry_number, f.registry_number))
                ),
            )
        )
    if f.provider_name:
        conditions.append(_contains(PROVIDER.c.name, f.provider_name))
    return conditions


def list_cases(uow: UnitOfWork, viewer: Viewer, filters: CaseFilter, page: PageRequest) -> Page:
    """The cases the viewer may see, filtered, sorted and paged; each with ``overdue`` and ``provider_name``."""
    now = uow.clock()
    order = _order(filters.sort)
    conditions = _where(viewer, filters, now)
    query = _listed().where(*conditions)
    # Counted without the provider's and case worker's names: the provider is joined only to search its name.
    counted = CASE.join(PROVIDER, PROVIDER.c.id == CASE.c.provider_id) if filters.provider_name else CASE
    count = select(func.count()).select_from(counted).where(*conditions)
    found = uow.read(lambda conn: fetch(conn, query, order, page, count))
    for row in found.items:
        row["overdue"] = is_overdue(row, now)
    individual = [r["id"] for r in found.items if scoping.is_individual_case(r["case_type"], r["placement_id"])]
    if individual:  # logged before anything individual leaves
        uow.write(lambda conn: record_reads(conn, viewer, "case", individual, "list", now))
    return found


def listed_case(uow: UnitOfWork, viewer: Viewer, case_id: int) -> dict[str, Any]:
    """One case as a list shows it (e.g. the answer to opening it); logged when it is individual-level."""
    now = uow.clock()

    def read(conn: Connection) -> dict[str, Any]:
        row = conn.execute(_listed().where(CASE.c.id == case_id, scoping.cases(viewer))).mappings().first()
        if row is None:
            raise NotFound(f"case {case_id} not found")
        return dict(row)

    row = uow.read(read)
    row["overdue"] = is_overdue(row, now)
    if scoping.is_individual_case(row["case_type"], row["placement_id"]):
        uow.write(lambda conn: record_reads(conn, viewer, "case", [case_id], "read", now))
    return row


def require_case_visible(conn: Connection, viewer: Viewer, case_id: int) -> None:
    """:class:`NotFound` unless the case exists and is in the viewer's scope (organisation and secrecy)."""
    row = conn.execute(
        select(CASE.c.organisation_id, CASE.c.case_type, CASE.c.placement_id).where(CASE.c.id == case_id)
    ).first()
    if row is None or not scoping.case_visible(viewer, row):
        raise NotFound(f"case {case_id} not found")


def trigger_options(uow: UnitOfWork, viewer: Viewer, case_id: int) -> list[Any]:
    """The triggers from the case's state and whether the viewer may fire each now (the buttons of a case)."""
    uow.read(lambda conn: require_case_visible(conn, viewer, case_id))
    return Workflow(uow.engine, uow.clock).options(case_id, viewer)


def case_view(uow: UnitOfWork, viewer: Viewer, case_id: int) -> dict[str, Any]:
    """A case for its screen: the row with the names of what it is about, the timeline and every deadline.

    Names: ``provider_name``, ``agreement_registry_number``, ``contract_area_name``,
    ``placement_client_ref`` (a pseudonym), ``owner_name``. The ``timeline`` holds the audit events
    with the actor's name and the decision taken (mandate, item of the delegation order, registry
    number); ``deadlines`` holds open and closed deadlines, each with the rungs of its reminder
    ladder done (``rungs``) and its changes (suspensions, resumptions, extensions).
    """
    now = uow.clock()
    view = uow.read(lambda conn: _view(conn, viewer, case_id, now))
    if scoping.is_individual_case(view["case_type"], view["placement_id"]):  # logged before the record leaves
        uow.write(lambda conn: record_reads(conn, viewer, "case", [case_id], "read", now))
    return view


def warm_up(uow: UnitOfWork) -> None:
    """Compile the case view's and the case list's statements before the first reader waits for it (a server
    worker's start): each is run once for no case in no organisation, finds nothing, and SQLAlchemy keeps its
    compiled form."""
    nobody = Actor(0, 0, ("contract_strategist",))

    def views(conn: Connection) -> None:
        for individuals in (True, False):
            statements = _view_statements(individuals)
            conn.execute(statements.case, {"case_id": 0, "organisation_id": 0}).all()
            for statement in (statements.timeline, statements.deadlines, statements.changes):
                conn.execute(statement, {"case_id": 0}).all()

    uow.read(views)
    for sort in ("-opened_at", "overdue_first"):  # the default order, and the earliest deadline first
        list_cases(uow, nobody, CaseFilter(sort=sort), PageRequest())


def _view(conn: Connection, viewer: Viewer, case_id: int, now: datetime) -> dict[str, Any]:
    statements = _view_statements(scoping.sees_individuals(viewer))
    row = conn.execute(statements.case, {"case_id": case_id, "organisation_id": viewer.organisation_id}).mappings()
    found = row.first()
    if found is None:
        raise NotFound(f"case {case_id} not found")
    view = dict(found)
    view["overdue"] = is_overdue(found, now)
    view["timeline"] = _timeline(conn, statements, case_id)
    view["deadlines"] = _deadlines(conn, statements, case_id)
    return view


@dataclass(frozen=True, slots=True)
class _ViewStatements:
    """The case view's statements, built once: the case with its names, the timeline, deadlines with their rungs,
    the deadlines' changes.

    Built once and run with ``case_id`` (and the viewer's ``organisation_id``) as parameters, so that a read pays
    neither for building them nor for their cache keys (SQLAlchemy keeps a statement's key with it).
    """

    case: Any
    timeline: Any
    deadlines: Any
    changes: Any


@cache
def _view_statements(individuals: bool) -> _ViewStatements:
    case_id = bindparam("case_id", type_=Integer)
    case = (
        _listed()
        .add_columns(
            AGREEMENT.c.registry_number.label("agreement_registry_number"),
            AREA.c.name.label("contract_area_name"),
            PLACEMENT.c.client_ref.label("placement_client_ref"),
        )
        .outerjoin(AGREEMENT, AGREEMENT.c.id == CASE.c.agreement_id)
        .outerjoin(AREA, AREA.c.id == CASE.c.contract_area_id)
        .outerjoin(PLACEMENT, PLACEMENT.c.id == CASE.c.placement_id)
        .where(CASE.c.id == case_id, scoping.cases_of(bindparam("organisation_id", type_=Integer), individuals))
    )
    timeline = (
        select(
            EVENT,
            USER.c.display_name.label("actor_name"),
            DECISION.c.id.label("decision_id"),
            DECISION.c.rule_ref,
            DECISION.c.role.label("decision_role"),
            DECISION.c.substitute,
            DECISION.c.under_delegation,
            ORDER.c.version.label("order_version"),
        )
        .select_from(
            EVENT.outerjoin(USER, USER.c.id == EVENT.c.actor_id)
            .outerjoin(DECISION, DECISION.c.event_id == EVENT.c.id)
            .outerjoin(ORDER, ORDER.c.id == DECISION.c.delegation_order_id)
        )
        .where(EVENT.c.case_id == case_id)
        .order_by(EVENT.c.seq)
    )
    # Each deadline with the rungs of its ladder done (a row per rung, one row without), in one round trip.
    deadlines = (
        select(
            DEADLINE,
            EFFECT.c.id.label("effect_id"),
            EFFECT.c.rung.label("effect_rung"),
            EFFECT.c.kind.label("effect_kind"),
            EFFECT.c.done_at.label("effect_done_at"),
        )
        .select_from(DEADLINE.outerjoin(EFFECT, EFFECT.c.deadline_id == DEADLINE.c.id))
        .where(DEADLINE.c.case_id == case_id)
        .order_by(DEADLINE.c.due_at, DEADLINE.c.id, EFFECT.c.rung, EFFECT.c.id)
    )
    changer = USER.alias("changer")
    changes = (
        select(CHANGE, changer.c.display_name.label("changed_by_name"))
        .select_from(CHANGE.outerjoin(changer, changer.c.id == CHANGE.c.changed_by_id))
        .where(CHANGE.c.case_id == case_id)
        .order_by(CHANGE.c.id)
    )
    return _ViewStatements(case, timeline, deadlines, changes)


def _timeline(conn: Connection, statements: _ViewStatements, case_id: int) -> list[dict[str, Any]]:
    events = conn.execute(statements.timeline, {"case_id": case_id}).mappings().all()
    # The event's two times: when it happened (occurred_on) and when it was recorded (the occurred_at column).
    return [{**e, "recorded_at": e["occurred_at"]} for e in events]


def _deadlines(conn: Connection, statements: _ViewStatements, case_id: int) -> list[dict[str, Any]]:
    width = len(DEADLINE.columns)
    names = list(DEADLINE.columns.keys())
    rows: list[dict[str, Any]] = []
    rungs: dict[int, list[dict[str, Any]]] = {}
    for r in conn.execute(statements.deadlines, {"case_id": case_id}).all():
        if not rows or rows[-1]["id"] != r[0]:  # the id is the deadline's first column; a deadline's rows are together
            rows.append(dict(zip(names, r[:width], strict=True)))
            rungs[r[0]] = []
        effect_id, rung, kind, done_at = r[width:]
        if effect_id is not None:
            rungs[r[0]].append({"rung": rung, "kind": kind, "done_at": done_at})
    changes: dict[int, list[dict[str, Any]]] = {d["id"]: [] for d in rows}
    if rows:
        for c in conn.execute(statements.changes, {"case_id": case_id}).mappings().all():
            changes[c["deadline_id"]].append(dict(c))
    for d in rows:
        d["open"] = d["status"] in OPEN_DEADLINE
        d["rungs"] = rungs[d["id"]]
        d["changes"] = changes[d["id"]]
    return rows


#: The overview's "due soon": pending deadlines within this many days.
DUE_SOON_DAYS = 14
#: At most this many of my deadlines are listed in each part of the overview (their number is always exact).
OVERVIEW_ROWS = 100


def open_per_type(conn: Connection, viewer: Viewer, now: datetime) -> list[dict[str, Any]]:
    """The open cases the viewer may see per case type, and how many of them are overdue (:func:`overdue_condition`).

    Read from the open-case tally that triggers keep as cases change (:mod:`workflow.cases.tally`), so the cost
    does not grow with the board's open cases: a case is overdue when it stands in the overdue state or its next
    deadline's week is before this one (both counted there), or its next deadline passed earlier this week (a
    range scan of ``ix_case_org_next_due`` over this week's deadlines).
    """
    today = now.astimezone(UTC).date()
    monday = today - timedelta(days=today.weekday())
    week_start = datetime.combine(monday, time(), UTC)
    rows = tally.counted(viewer)
    overdue_weeks = or_(rows.c.overdue_state, rows.c.due_week < monday)
    tallied = conn.execute(
        select(rows.c.case_type, func.sum(rows.c.n), func.sum(case((overdue_weeks, rows.c.n), else_=0)))
        .group_by(rows.c.case_type)
        .having(func.sum(rows.c.n) > 0)
    ).all()
    passed = (
        select(CASE.c.case_type, func.count())
        .where(
            scoping.cases(viewer),
            CASE.c.next_due_at >= week_start,
            CASE.c.next_due_at < now,
            CASE.c.closed_at.is_(None),
            CASE.c.status != OVERDUE_STATE,
        )
        .group_by(CASE.c.case_type)
    )
    passed_this_week: dict[str, int] = {t: n for t, n in conn.execute(passed)}
    return [
        {"case_type": t, "open": int(n), "overdue": int(o or 0) + passed_this_week.get(t, 0)}
        for t, n, o in sorted(tallied)
    ]


def overview(uow: UnitOfWork, viewer: Viewer) -> dict[str, Any]:
    """The start page (översikt), for the page and ``GET /overview`` alike.

    ``overdue`` and ``due_soon``: the pending deadlines of the cases the viewer is case worker for, passed or
    within :data:`DUE_SOON_DAYS` days, earliest first (at most :data:`OVERVIEW_ROWS` of each; ``overdue_count``
    and ``due_soon_count`` count them all). ``mine``: the viewer's open cases by type and state. ``organisation``:
    the open cases the viewer may see per type, with how many of them are overdue (:func:`open_per_type`, from the
    tally the database keeps). Every figure is read when asked, so it changes as soon as a case does.
    Individual-level cases among the deadlines are logged as read.
    """
    now = uow.clock()
    soon = now + timedelta(days=DUE_SOON_DAYS)

    def read(conn: Connection) -> dict[str, Any]:
        mine = (scoping.cases(viewer), CASE.c.owner_id == viewer.user_id)
        pending = (DEADLINE.c.status == "pending", DEADLINE.c.due_at < soon)
        rows = select(
            DEADLINE.c.id,
            DEADLINE.c.kind,
            DEADLINE.c.due_at,
            CASE.c.id.label("case_id"),
            CASE.c.case_type,
            CASE.c.status,
            CASE.c.title,
            CASE.c.placement_id,
            PROVIDER.c.name.label("provider_name"),
        ).select_from(
            DEADLINE.join(CASE, CASE.c.id == DEADLINE.c.case_id).outerjoin(
                PROVIDER, PROVIDER.c.id == CASE.c.provider_id
            )
        )
        ordered = (DEADLINE.c.due_at, DEADLINE.c.id)
        overdue = conn.execute(
            rows.where(*mine, *pending, DEADLINE.c.due_at < now).order_by(*ordered).limit(OVERVIEW_ROWS)
        ).mappings()
        due_soon = conn.execute(
            rows.where(*mine, *pending, DEADLINE.c.due_at >= now).order_by(*ordered).limit(OVERVIEW_ROWS)
        ).mappings()
        late = DEADLINE.c.due_at < now
        counts = conn.execute(
            select(func.count(), func.sum(case((late, 1), else_=0)))
            .select_from(DEADLINE.join(CASE, CASE.c.id == DEADLINE.c.case_id))
            .where(*mine, *pending)
        ).one()
        by_state = conn.execute(
            select(CASE.c.case_type, CASE.c.status, func.count())
            .where(*mine, CASE.c.closed_at.is_(None))
            .group_by(CASE.c.case_type, CASE.c.status)
            .order_by(CASE.c.case_type, CASE.c.status)
        ).all()
        by_type = open_per_type(conn, viewer, now)
        overdue_n = int(counts[1] or 0)
        return {
            "overdue": [dict(r) for r in overdue],
            "due_soon": [dict(r) for r in due_soon],
            "overdue_count": overdue_n,
            "due_soon_count": int(counts[0]) - overdue_n,
            "mine": [{"case_type": t, "status": st, "count": n} for t, st, n in by_state],
            "organisation": by_type,
        }

    found = uow.read(read)
    shown = found["overdue"] + found["due_soon"]
    individual = sorted({r["case_id"] for r in shown if scoping.is_individual_case(r["case_type"], r["placement_id"])})
    if individual:  # logged before anything individual leaves
        uow.write(lambda conn: record_reads(conn, viewer, "case", individual, "list", now))
    return found
