"""What the staff pages read beyond the JSON API's query functions (sidornas data), behind small functions.

The overview, the lists of cases, deadlines and providers read the API's own query functions
(:func:`workflow.cases.queries.overview`, :func:`~workflow.cases.queries.list_cases`,
:func:`workflow.deadlines.queries.organisation_deadlines`, :func:`workflow.registers.queries.list_providers`);
what is here is the header, the case page's extras and the choices of forms.

Each function takes the unit of work and the signed-in user (as an :class:`Actor`) and
applies the secrecy rule of :mod:`workflow.cases.scoping`, as the JSON API's query functions do:
a case outside the user's scope is simply not found, and reads of individual-level cases
are logged here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from states.registry import CASE_TYPES
from workflow.cases import queries, scoping
from workflow.deadlines.calendar import local_date
from workflow.deadlines.queries import require_deadline_visible
from workflow.deadlines.rules import actions as ladder_actions
from workflow.engine.delegation import order_in_force
from workflow.engine.firing import Actor, TriggerOption, Workflow
from workflow.engine.uow import UnitOfWork
from workflow.registers import queries as registers
from workflow.schema.db import per_engine
from workflow.schema.tables import ORG, USER

AGREEMENT = scoping.AGREEMENT


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


@dataclass(frozen=True, slots=True)
class CaseListChoices:
    """The case list's select lists: every provider, the board's contract areas and its case workers."""

    providers: list[dict[str, Any]]
    areas: list[dict[str, Any]]
    owners: list[dict[str, Any]]


#: How long a process keeps a board's case-list choices. The registers behind them change a few times a year
#: (a provider registered or renamed, a case worker joining or leaving), and reading them again took a third of
#: what the case list page adds to its query on PostgreSQL; a change shows in the filter within this time.
CHOICES_SECONDS = 30.0


def case_list_choices(uow: UnitOfWork, user: Actor) -> CaseListChoices:
    """The case list's filter choices (the board's own areas and active users), kept for :data:`CHOICES_SECONDS`."""
    kept: dict[int, tuple[float, CaseListChoices]] = per_engine(uow.engine, "case_list_choices", lambda _e: {})
    now = time.monotonic()
    hit = kept.get(user.organisation_id)
    if hit is not None and hit[0] > now:
        return hit[1]

    def work(conn: Connection) -> CaseListChoices:
        return CaseListChoices(
            registers.providers_to_choose(conn),
            registers.areas_to_choose(conn, user.organisation_id),
            colleagues(conn, user),
        )

    found = uow.read(work)
    kept[user.organisation_id] = (now + CHOICES_SECONDS, found)
    return found


def colleagues(conn: Connection, user: Actor) -> list[dict[str, Any]]:
    """The active users of the user's organisation (the case list's case-worker filter)."""
    q = (
        select(USER.c.id, USER.c.display_name)
        .where(USER.c.organisation_id == user.organisation_id, USER.c.active.is_(True))
        .order_by(USER.c.display_name, USER.c.id)
    )
    return [{"id": r[0], "display_name": r[1]} for r in conn.execute(q)]


def deadline_page(uow: UnitOfWork, user: Actor, deadline_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A deadline with its case (as :func:`workflow.cases.queries.case_view` shows it); ``NotFound`` outside scope."""
    case_id = uow.read(lambda conn: require_deadline_visible(conn, user, deadline_id))
    view = queries.case_view(uow, user, case_id)
    found = next(d for d in view["deadlines"] if d["id"] == deadline_id)
    return view, found
