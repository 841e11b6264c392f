"""What the staff pages read (sidornas data), behind small functions.

Each function takes the unit of work and the signed-in user (as an :class:`Actor`) and
applies the secrecy rule of :mod:`workflow.cases.scoping`, as the JSON API's query functions do:
a case outside the user's scope is simply not found, and reads of individual-level cases
are logged here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, case, func, select

from states.registry import CASE_TYPES
from workflow.cases import queries, scoping
from workflow.deadlines.calendar import local_date
from workflow.deadlines.queries import require_deadline_visible
from workflow.deadlines.rules import actions as ladder_actions
from workflow.engine.delegation import order_in_force
from workflow.engine.firing import CASE, Actor, TriggerOption, Workflow
from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import (
    DEADLINE,
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


@dataclass(slots=True)
class CasePage:
    """Everything the case page shows."""

    case: dict[str, Any]
    timeline: list[dict[str, Any]]
    deadlines: list[dict[str, Any]]
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


def case_page(uow: UnitOfWork, user: Actor, case_id: int) -> CasePage:
    """A case for its page (:func:`workflow.cases.queries.case_view`, the API's read) with every action from its state.

    The timeline comes newest first; each open deadline carries its whole reminder ladder
    (``ladder``: every rung with its moment and whether it was sent, passed unsent or is still to come).
    """
    view = queries.case_view(uow, user, case_id)  # NotFound outside scope; logs reads of individual cases
    now = uow.clock()
    timeline = list(reversed(view.pop("timeline")))
    deadlines = view.pop("deadlines")
    spec = CASE_TYPES.get(view["case_type"])
    for d in deadlines:
        d["ladder"] = _ladder(spec, d) if d["open"] else []
    options = Workflow(uow.engine, uow.clock).options(case_id, user)  # visibility checked by case_view above
    return CasePage(view, timeline, deadlines, options, mandates(uow, user, now))


def _ladder(spec: Any, deadline: dict[str, Any]) -> list[dict[str, Any]]:
    """The rungs of an open deadline's ladder: sent (``done_at``), passed unsent (``skipped``) or to come."""
    policy = spec.deadlines.get(deadline["state"]) if spec else None
    if policy is None:
        return [{**r, "at": r["done_at"], "notify": (), "skipped": False} for r in deadline["rungs"]]
    done = {r["rung"]: r["done_at"] for r in deadline["rungs"]}
    out = []
    for action in ladder_actions(policy, local_date(deadline["due_at"])):
        done_at = done.get(action.rung)
        out.append(
            {
                "rung": action.rung,
                "kind": action.kind,
                "at": action.at,
                "notify": action.notify,
                "done_at": done_at,
                "skipped": done_at is None and action.at < deadline["opened_at"],
            }
        )
    return out


def mandates(uow: UnitOfWork, user: Actor, now: datetime) -> dict[str, dict[str, Any]]:
    """The delegation order in force for the user's board: its rules by decision kind, each with the version."""

    def work(conn: Connection) -> dict[str, dict[str, Any]]:
        order = order_in_force(conn, user.organisation_id, local_date(now))
        version = order["version"] if order else ""
        return {r["decision_kind"]: {**r, "version": version} for r in (order or {}).get("rules", [])}

    return uow.read(work)


def colleagues(uow: UnitOfWork, user: Actor) -> list[RowMapping]:
    """The active users of the user's organisation (the case list's case-worker filter)."""

    def work(conn: Connection) -> list[RowMapping]:
        q = (
            select(USER.c.id, USER.c.display_name)
            .where(USER.c.organisation_id == user.organisation_id, USER.c.active.is_(True))
            .order_by(USER.c.display_name, USER.c.id)
        )
        return list(conn.execute(q).mappings().all())

    return uow.read(work)


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


def deadline_page(uow: UnitOfWork, user: Actor, deadline_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A deadline with its case (as :func:`workflow.cases.queries.case_view` shows it); ``NotFound`` outside scope."""
    case_id = uow.read(lambda conn: require_deadline_visible(conn, user, deadline_id))
    view = queries.case_view(uow, user, case_id)
    found = next(d for d in view["deadlines"] if d["id"] == deadline_id)
    return view, found
