"""What the board and its administration read (nämnden): decisions under delegation, the delegation
order in force, board reports, and the outbox dashboard of the viewer's organisation.

Each is the viewer's organisation's own; a report about another board follows
:mod:`workflow.reports.scope` (the central board sees a district's contract-level data and aggregates).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from workflow.cases.scoping import Viewer, sees_individuals
from workflow.deadlines.calendar import local_date
from workflow.engine.decisions import DelegatedDecision, decisions_under_delegation
from workflow.engine.delegation import order_in_force
from workflow.engine.errors import InvalidInput, NotFound
from workflow.engine.uow import UnitOfWork
from workflow.notify import outbox
from workflow.reports.catalogue import build_report
from workflow.reports.model import Report

#: The longest period one list of decisions may cover.
MAX_DECISION_PERIOD_DAYS = 3 * 366


def decisions(
    uow: UnitOfWork, viewer: Viewer, start: date, end: date, *, include_board: bool = False
) -> list[DelegatedDecision]:
    """Decisions under delegation in the viewer's board from ``start`` to ``end`` (anmälan av delegationsbeslut)."""
    if end < start:
        raise InvalidInput("'to' is before 'from'")
    if (end - start).days > MAX_DECISION_PERIOD_DAYS:
        raise InvalidInput("the period is longer than three years")
    return uow.read(
        lambda conn: decisions_under_delegation(conn, viewer.organisation_id, start, end, include_board=include_board)
    )


def delegation_order(uow: UnitOfWork, viewer: Viewer, on: date | None = None) -> dict[str, Any]:
    """The viewer's board's delegation order (delegationsordning) in force on ``on`` (default today), with its rules."""
    day = on or local_date(uow.clock())
    order = uow.read(lambda conn: order_in_force(conn, viewer.organisation_id, day))
    if order is None:
        raise NotFound("no delegation order is in force on that date")
    return order


def report(uow: UnitOfWork, viewer: Viewer, name: str, start: date, end: date, org: str | None = None) -> Report:
    """A board report for the viewer's organisation (or ``org``, where the central board may ask) and period."""
    return uow.read(
        lambda conn: build_report(
            conn, name, viewer.organisation_id, start, end, org, sees_individuals=sees_individuals(viewer)
        )
    )


def outbox_summary(uow: UnitOfWork, viewer: Viewer) -> dict[str, int]:
    """How many of the viewer's organisation's messages are pending (in flight included), sent and failed."""
    return uow.read(lambda conn: outbox.summary(conn, viewer.organisation_id))


def outbox_incidents(uow: UnitOfWork, viewer: Viewer, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """The viewer's organisation's failed messages (incidents), newest first."""
    return uow.read(lambda conn: outbox.incidents(conn, viewer.organisation_id, limit, offset))
