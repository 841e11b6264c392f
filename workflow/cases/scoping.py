"""Organisation scoping and secrecy (sekretess): the one place that decides what a caller sees.

Every query function of ``workflow`` takes its filter from here, for every entry point. The viewer
(who reads) is an :class:`~workflow.engine.firing.Actor`: a user, its organisation and its roles. The rules:

* cases, their timelines, deadlines and decisions, and placements belong to one
  organisation and are seen only by it;
* individual-level records (placements and cases about a placement: implementation
  plans, monthly reports, …) are seen only inside the ordering board, and there only
  by roles that work with individual cases; the board and its secretary see
  contract-level data and aggregates;
* agreements are seen by their organisation, and framework and LOV agreements by
  every board (call-offs are made from them); providers and contract areas are
  shared registers;
* anything outside scope answers 404, never 403 and never its content.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_, or_, true

from states import registry
from states.roles import STAFF_ROLES, Role
from workflow.cases.opening import SHARED_AGREEMENT_TYPES
from workflow.engine.errors import NotPermitted
from workflow.engine.firing import CASE, Actor
from workflow.schema.tables import AGREEMENT, PLACEMENT

#: Who reads: a user of one organisation with roles.
Viewer = Actor


INDIVIDUAL_CASE_TYPES = frozenset(registry.INDIVIDUAL_TYPES)
#: Roles whose work needs individual cases (the board and its secretary see aggregates only).
#: The administrator administers organisations and users and reviews the access log; it sees no case content.
INDIVIDUAL_ROLES = frozenset(STAFF_ROLES) - {Role.BOARD_SECRETARY.value}


def sees_individuals(user: Viewer) -> bool:
    """Whether the caller's roles give access to individual-level records of its organisation."""
    return bool(INDIVIDUAL_ROLES & set(user.roles))


def require_individual_access(user: Viewer) -> None:
    """403 for callers whose roles never see individual-level records (e.g. listing placements)."""
    if not sees_individuals(user):
        raise NotPermitted("placements are individual-level data; the caller's roles see aggregates only", rule="role")


def is_individual_case(case_type: str, placement_id: int | None) -> bool:
    """Whether a case concerns one individual (so reading it is logged and kept in the ordering board)."""
    return case_type in INDIVIDUAL_CASE_TYPES or placement_id is not None


def cases(user: Viewer) -> ColumnElement[bool]:
    """Cases the caller may see."""
    return cases_of(user.organisation_id, sees_individuals(user))


def cases_of(organisation_id: Any, individuals: bool) -> ColumnElement[bool]:
    """Cases seen by a caller of ``organisation_id`` (a value or a bound parameter) who does or does not see
    individuals: the rule of :func:`cases`, for statements built once and run with the caller as a parameter."""
    own = CASE.c.organisation_id == organisation_id
    if individuals:
        return own
    return and_(own, CASE.c.placement_id.is_(None), CASE.c.case_type.not_in(INDIVIDUAL_CASE_TYPES))


def counted_cases(user: Viewer, table: Table) -> ColumnElement[bool]:
    """The rule of :func:`cases` for rows that count cases by organisation, case type and placement or not
    (``with_placement``): the open-case tally and its changes (:mod:`workflow.cases.tally`)."""
    own = table.c.organisation_id == user.organisation_id
    if sees_individuals(user):
        return own
    return and_(own, table.c.with_placement.is_(False), table.c.case_type.not_in(INDIVIDUAL_CASE_TYPES))


def case_visible(user: Viewer, row: Any) -> bool:
    """The same rule as :func:`cases` for one loaded row."""
    if row.organisation_id != user.organisation_id:
        return False
    return sees_individuals(user) or not is_individual_case(row.case_type, row.placement_id)


def agreements(user: Viewer) -> ColumnElement[bool]:
    """Agreements the caller may see: its own and every shared framework/LOV agreement."""
    return or_(
        AGREEMENT.c.organisation_id == user.organisation_id, AGREEMENT.c.agreement_type.in_(SHARED_AGREEMENT_TYPES)
    )


def placements(user: Viewer) -> ColumnElement[bool]:
    """Placements the caller may see (after :func:`require_individual_access`)."""
    return PLACEMENT.c.organisation_id == user.organisation_id


def own(column: Any, user: Viewer) -> ColumnElement[bool]:
    """Rows of the caller's organisation (deadlines, decisions, delegation orders, events)."""
    return column == user.organisation_id  # type: ignore[no-any-return]


def shared_register() -> ColumnElement[bool]:
    """Providers and contract areas: registers every board reads."""
    return true()


def require_staff(user: Viewer, what: str) -> None:
    """403 unless the caller holds a staff role of its organisation (the board itself does not act)."""
    if not set(user.roles) & set(STAFF_ROLES):
        raise NotPermitted(f"only staff of the organisation may {what}")
