"""Placements (placeringar): individual-level call-offs, kept inside the ordering board.

A placement names a client only by a pseudonymous reference. Registering one checks
that the agreement is open and covers the start date and that the provider is not
temporarily excluded from call-offs; in the same transaction it opens the placement's
implementation-plan case and its deadline (``workflow.registers.deliveries.request_implementation_plan``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import structlog
from sqlalchemy import Connection, insert, select, update

from states.roles import Role
from workflow.deadlines.calendar import local_date
from workflow.engine.errors import InvalidInput, NotFound, NotPermitted, Refused
from workflow.engine.firing import CASE, Actor, Workflow
from workflow.registers.contracts import ended_before, readable_agreement
from workflow.registers.deliveries import request_implementation_plan
from workflow.schema.db import new_id
from workflow.schema.tables import PLACEMENT, USER

log = structlog.get_logger("workflow.registers.placements")


#: Who places clients and changes placements.
PLACEMENT_ROLES = frozenset({Role.SOCIAL_WORKER, Role.PLACEMENT_COORDINATOR, Role.UNIT_MANAGER, Role.NEEDS_ASSESSOR})
#: States of a call-off suspension in which the provider may not receive call-offs.
EXCLUSION_IN_FORCE = ("active", "under_review")


@dataclass(frozen=True, slots=True)
class PlacementTerms:
    """What a client may state when registering a placement."""

    agreement_id: int
    client_ref: str
    starts_on: date
    gender: str = "unknown"
    social_worker_id: int | None = None
    ends_on: date | None = None


def _may_place(actor: Actor) -> None:
    if not PLACEMENT_ROLES & set(actor.roles):
        raise NotPermitted(f"can't register or change placements: needs one of {', '.join(sorted(PLACEMENT_ROLES))}")


def _own_user(conn: Connection, actor: Actor, user_id: int) -> None:
    org = conn.execute(select(USER.c.organisation_id).where(USER.c.id == user_id)).scalar_one_or_none()
    if org != actor.organisation_id:
        raise NotFound(f"user {user_id} not found")


def register_placement(wf: Workflow, conn: Connection, actor: Actor, terms: PlacementTerms) -> int:
    """Register a placement of the actor's organisation and open its implementation-plan deadline."""
    _may_place(actor)
    agreement = readable_agreement(conn, actor, terms.agreement_id)
    if agreement["status"] != "active":
        raise Refused(f"the agreement is {agreement['status']}; no placements under it", rule="agreement_not_open")
    ended_before(agreement, local_date(wf.clock()), "the agreement")
    if terms.starts_on < agreement["starts_on"] or (agreement["ends_on"] and terms.starts_on > agreement["ends_on"]):
        raise InvalidInput("the placement starts outside the agreement's period")
    if terms.ends_on is not None and terms.ends_on < terms.starts_on:
        raise InvalidInput("ends_on is before starts_on")
    excluded = conn.execute(
        select(CASE.c.id).where(
            CASE.c.case_type == "call_off_suspension",
            CASE.c.status.in_(EXCLUSION_IN_FORCE),
            CASE.c.provider_id == agreement["provider_id"],
        )
    ).first()
    if excluded:
        raise Refused("the provider is temporarily excluded from call-offs", rule="provider_excluded")
    worker = terms.social_worker_id
    if worker is not None:
        _own_user(conn, actor, worker)
    elif Role.SOCIAL_WORKER in actor.roles:
        worker = actor.user_id
    placement_id = new_id(
        conn.execute(
            insert(PLACEMENT).values(
                organisation_id=actor.organisation_id,
                agreement_id=terms.agreement_id,
                provider_id=agreement["provider_id"],
                client_ref=terms.client_ref,
                gender=terms.gender,
                social_worker_id=worker,
                starts_on=terms.starts_on,
                ends_on=terms.ends_on,
                registered_at=wf.clock(),
            )
        )
    )
    request_implementation_plan(conn, placement_id, organisation_id=actor.organisation_id, clock=wf.clock)
    log.info("placement.registered", placement_id=placement_id, organisation_id=actor.organisation_id)
    return placement_id


def update_placement(conn: Connection, actor: Actor, placement_id: int, changes: dict[str, Any]) -> None:
    """End a placement or hand it to another social worker (own organisation only)."""
    _may_place(actor)
    row = conn.execute(
        select(PLACEMENT.c.organisation_id, PLACEMENT.c.starts_on).where(PLACEMENT.c.id == placement_id)
    ).first()
    if row is None or row.organisation_id != actor.organisation_id:
        raise NotFound(f"placement {placement_id} not found")
    if changes.get("ends_on") is not None and changes["ends_on"] < row.starts_on:
        raise InvalidInput("ends_on is before starts_on")
    if changes.get("social_worker_id") is not None:
        _own_user(conn, actor, changes["social_worker_id"])
    if changes:
        conn.execute(update(PLACEMENT).where(PLACEMENT.c.id == placement_id).values(**changes))
