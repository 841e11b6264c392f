"""What the staff pages read (sidornas data), behind small functions.

Each function takes the unit of work and the signed-in user (as an :class:`Actor`) and
applies the secrecy rule of :mod:`workflow.cases.scoping`, as the JSON API's query functions do:
a case outside the user's scope is simply not found, and reads of individual-level cases
are logged here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, case, func, select

from workflow.cases import scoping
from workflow.cases.access import record_reads
from workflow.deadlines.calendar import local_date
from workflow.engine.delegation import order_in_force
from workflow.engine.errors import NotFound
from workflow.engine.firing import CASE, Actor, TriggerOption, Workflow
from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import (
    AREA,
    DEADLINE,
    DECISION,
    EVENT,
    ORDER,
    ORG,
    PROVIDER,
    USER,
)

AGREEMENT = scoping.AGREEMENT
DUE_SOON_DAYS = 14
PAGE_SIZE = 50
DEADLINE_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Profile:
    """Who is signed in, as the header shows it."""

    display_name: str
    organisation_name: str
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CaseFilters:
    """The case list's filters, as they stand in the URL."""

    case_type: str | None = None
    status: str | None = None
    overdue: bool = False
    mine: bool = False
    page: int = 1


@dataclass(slots=True)
class CaseList:
    """One page of the case list."""

    rows: list[RowMapping]
    total: int
    page: int
    pages: int


@dataclass(slots=True)
class CasePage:
    """Everything the case page shows."""

    case: RowMapping
    timeline: list[RowMapping]
    deadlines: list[RowMapping]
    options: list[TriggerOption]
    mandates: dict[str, dict[str, Any]] = field(default_factory=dict)


def _next_due() -> Any:
    return (
        select(func.min(DEADLINE.c.due_at))
        .where(DEADLINE.c.case_id == CASE.c.id, DEADLINE.c.status == "pending")
        .correlate(CASE)
        .scalar_subquery()
        .label("next_due_at")
    )


def _listed() -> Any:
    """A case with the names a list shows (provider, owner), never a call per row."""
    owner = USER.alias("owner")
    return (
        select(
            CASE.c.id,
            CASE.c.case_type,
            CASE.c.kind,
            CASE.c.status,
            CASE.c.title,
            CASE.c.opened_at,
            CASE.c.closed_at,
            CASE.c.placement_id,
            PROVIDER.c.name.label("provider_name"),
            owner.c.display_name.label("owner_name"),
            _next_due(),
        )
        .select_from(CASE)
        .outerjoin(PROVIDER, PROVIDER.c.id == CASE.c.provider_id)
        .outerjoin(owner, owner.c.id == CASE.c.owner_id)
    )


def profile(uow: UnitOfWork, user: Actor) -> Profile:
    """The user's name and organisation for the header."""

    def work(conn: Connection) -> Profile:
        row = conn.execute(
            select(USER.c.display_name, ORG.c.name)
            .join(ORG, ORG.c.id == USER.c.organisation_id)
            .where(USER.c.id == user.user_id)
        ).one()
        return Profile(row[0], row[1], user.roles)

    return uow.read(work)


def sign_in_candidates(uow: UnitOfWork) -> list[RowMapping]:
    """Every active user with organisation and roles (the development sign-in lists them)."""

    def work(conn: Connection) -> list[RowMapping]:
        q = (
            select(USER.c.username, USER.c.display_name, USER.c.roles, ORG.c.name.label("organisation_name"))
            .join(ORG, ORG.c.id == USER.c.organisation_id)
            .where(USER.c.active.is_(True))
            .order_by(ORG.c.id, USER.c.id)
        )
        return list(conn.execute(q).mappings().all())

    return uow.read(work)


def overview(uow: UnitOfWork, user: Actor) -> dict[str, Any]:
    """The start page: my overdue and due-soon deadlines, my open cases by type and state, my organisation's counts."""
    now = uow.clock()
    soon = now + timedelta(days=DUE_SOON_DAYS)

    def work(conn: Connection) -> dict[str, Any]:
        mine = and_(scoping.cases(user), CASE.c.owner_id == user.user_id)
        deadlines = conn.execute(
            select(
                DEADLINE.c.id,
                DEADLINE.c.kind,
                DEADLINE.c.due_at,
                CASE.c.id.label("case_id"),
                CASE.c.case_type,
                CASE.c.status,
                CASE.c.title,
                PROVIDER.c.name.label("provider_name"),
            )
            .join(CASE, CASE.c.id == DEADLINE.c.case_id)
            .outerjoin(PROVIDER, PROVIDER.c.id == CASE.c.provider_id)
            .where(mine, DEADLINE.c.status == "pending", DEADLINE.c.due_at < soon)
            .order_by(DEADLINE.c.due_at, DEADLINE.c.id)
        ).mappings()
        overdue: list[RowMapping] = []
        due_soon: list[RowMapping] = []
        for d in deadlines:
            (overdue if d["due_at"] < now else due_soon).append(d)
        by_type_state = conn.execute(
            select(CASE.c.case_type, CASE.c.status, func.count())
            .where(mine, CASE.c.closed_at.is_(None))
            .group_by(CASE.c.case_type, CASE.c.status)
            .order_by(CASE.c.case_type, CASE.c.status)
        ).all()
        late = _next_due() < now
        org_counts = conn.execute(
            select(CASE.c.case_type, func.count(), func.sum(case((late, 1), else_=0)))
            .where(scoping.cases(user), CASE.c.closed_at.is_(None))
            .group_by(CASE.c.case_type)
            .order_by(CASE.c.case_type)
        ).all()
        return {
            "overdue": overdue,
            "due_soon": due_soon,
            "mine": [(t, s, n) for t, s, n in by_type_state],
            "organisation": [(t, n, int(late_n or 0)) for t, n, late_n in org_counts],
        }

    return uow.read(work)


def cases(uow: UnitOfWork, user: Actor, filters: CaseFilters) -> CaseList:
    """One page of the cases the user sees, filtered as the URL says; reads of individual cases are logged."""
    now = uow.clock()
    due = _next_due()
    q = _listed().where(scoping.cases(user))
    if filters.case_type:
        q = q.where(CASE.c.case_type == filters.case_type)
    if filters.status:
        q = q.where(CASE.c.status == filters.status)
    if filters.mine:
        q = q.where(CASE.c.owner_id == user.user_id)
    if filters.overdue:
        q = q.where(due < now)
    q = q.order_by(func.coalesce(due < now, False).desc(), due.is_(None), due, CASE.c.id.desc())

    def work(conn: Connection) -> CaseList:
        total = conn.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar_one()
        pages = max(1, -(-int(total) // PAGE_SIZE))
        page = min(max(1, filters.page), pages)
        rows = list(conn.execute(q.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).mappings().all())
        return CaseList(rows, int(total), page, pages)

    listed = uow.read(work)
    individual = [r["id"] for r in listed.rows if scoping.is_individual_case(r["case_type"], r["placement_id"])]
    if individual:  # logged before anything individual leaves the server
        uow.write(lambda conn: record_reads(conn, user, "case", individual, "list", now))
    return listed


def case_page(uow: UnitOfWork, workflow: Workflow, user: Actor, case_id: int) -> CasePage:
    """A case with timeline, open deadlines and every action from its state; ``NotFound`` outside scope."""
    now = uow.clock()
    owner = USER.alias("owner")

    def work(conn: Connection) -> CasePage | None:
        row = (
            conn.execute(
                select(
                    *CASE.c,
                    PROVIDER.c.name.label("provider_name"),
                    AGREEMENT.c.registry_number.label("agreement_registry_number"),
                    AREA.c.name.label("contract_area_name"),
                    owner.c.display_name.label("owner_name"),
                )
                .select_from(CASE)
                .outerjoin(PROVIDER, PROVIDER.c.id == CASE.c.provider_id)
                .outerjoin(AGREEMENT, AGREEMENT.c.id == CASE.c.agreement_id)
                .outerjoin(AREA, AREA.c.id == func.coalesce(CASE.c.contract_area_id, AGREEMENT.c.contract_area_id))
                .outerjoin(owner, owner.c.id == CASE.c.owner_id)
                .where(CASE.c.id == case_id, scoping.cases(user))
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        actor = USER.alias("actor")
        timeline = list(
            conn.execute(
                select(
                    *EVENT.c,
                    actor.c.display_name.label("actor_name"),
                    DECISION.c.rule_ref,
                    DECISION.c.role.label("decision_role"),
                    DECISION.c.substitute,
                    DECISION.c.under_delegation,
                    ORDER.c.version.label("order_version"),
                )
                .outerjoin(actor, actor.c.id == EVENT.c.actor_id)
                .outerjoin(DECISION, DECISION.c.event_id == EVENT.c.id)
                .outerjoin(ORDER, ORDER.c.id == DECISION.c.delegation_order_id)
                .where(EVENT.c.case_id == case_id)
                .order_by(EVENT.c.seq.desc())
            )
            .mappings()
            .all()
        )
        deadlines = list(
            conn.execute(
                select(DEADLINE)
                .where(DEADLINE.c.case_id == case_id, DEADLINE.c.status.in_(("pending", "suspended")))
                .order_by(DEADLINE.c.due_at, DEADLINE.c.id)
            )
            .mappings()
            .all()
        )
        order = order_in_force(conn, user.organisation_id, local_date(now))
        version = order["version"] if order else ""
        rules = {r["decision_kind"]: {**r, "version": version} for r in (order or {}).get("rules", [])}
        return CasePage(row, timeline, deadlines, [], rules)

    found = uow.read(work)
    if found is None:
        raise NotFound(f"case {case_id} not found")
    found.options = workflow.options(case_id, user)
    if scoping.is_individual_case(found.case["case_type"], found.case["placement_id"]):
        uow.write(lambda conn: record_reads(conn, user, "case", [case_id], "read", now))
    return found


def deadlines(uow: UnitOfWork, user: Actor, mine: bool) -> list[RowMapping]:
    """Open deadlines (bevakningar) of the cases the user sees, earliest first."""

    def work(conn: Connection) -> list[RowMapping]:
        owner = USER.alias("owner")
        q = (
            select(
                DEADLINE.c.id,
                DEADLINE.c.kind,
                DEADLINE.c.due_at,
                DEADLINE.c.status.label("deadline_status"),
                CASE.c.id.label("case_id"),
                CASE.c.case_type,
                CASE.c.status,
                CASE.c.title,
                PROVIDER.c.name.label("provider_name"),
                owner.c.display_name.label("owner_name"),
            )
            .join(CASE, CASE.c.id == DEADLINE.c.case_id)
            .outerjoin(PROVIDER, PROVIDER.c.id == CASE.c.provider_id)
            .outerjoin(owner, owner.c.id == CASE.c.owner_id)
            .where(scoping.cases(user), DEADLINE.c.status.in_(("pending", "suspended")))
            .order_by(DEADLINE.c.due_at, DEADLINE.c.id)
            .limit(DEADLINE_LIMIT)
        )
        if mine:
            q = q.where(CASE.c.owner_id == user.user_id)
        return list(conn.execute(q).mappings().all())

    return uow.read(work)


def providers(uow: UnitOfWork, user: Actor) -> list[RowMapping]:
    """The provider register (shared by every board) with the user's open cases per provider."""

    def work(conn: Connection) -> list[RowMapping]:
        open_cases = (
            select(func.count())
            .where(CASE.c.provider_id == PROVIDER.c.id, scoping.cases(user), CASE.c.closed_at.is_(None))
            .correlate(PROVIDER)
            .scalar_subquery()
            .label("open_cases")
        )
        q = select(PROVIDER.c.id, PROVIDER.c.name, PROVIDER.c.org_number, PROVIDER.c.in_house, open_cases).order_by(
            PROVIDER.c.name
        )
        return list(conn.execute(q).mappings().all())

    return uow.read(work)
