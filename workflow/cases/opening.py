"""Opening a case (OpenCase): the first audit event, its first deadline, its links checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import structlog
from sqlalchemy import Connection, select

from states.registry import CASE_TYPES, needing
from states.roles import STAFF_ROLES
from states.spec import Subject
from workflow.deadlines import next_due
from workflow.deadlines import rules as deadlines
from workflow.deadlines.calendar import local_date
from workflow.engine import writers as hotpath
from workflow.engine.errors import InvalidInput, NotFound, NotPermitted, Refused
from workflow.engine.firing import CASE, Actor, Workflow, _reason, event_date
from workflow.engine.params import DATE_PARAMS
from workflow.engine.writers.base import SHARED_AGREEMENT_TYPES as SHARED_AGREEMENT_TYPES
from workflow.engine.writers.base import CaseRow, Opening
from workflow.schema.tables import PLACEMENT

log = structlog.get_logger("workflow.cases.opening")


CASE_TYPES_NEEDING_PLACEMENT = needing(Subject.PLACEMENT)
CASE_TYPES_NEEDING_AGREEMENT = needing(Subject.AGREEMENT)


@dataclass(frozen=True, slots=True)
class OpenedCase:
    """The new case's id, status and version."""

    case_id: int
    status: str
    version: int
    event_id: int


def open_case(
    wf: Workflow,
    case_type: str,
    actor: Actor,
    reason: str,
    *,
    kind: str | None = None,
    title: str = "",
    provider_id: int | None = None,
    agreement_id: int | None = None,
    placement_id: int | None = None,
    parent_case_id: int | None = None,
    owner_id: int | None = None,
    plan_year: int | None = None,
    params: dict[str, Any] | None = None,
    conn: Connection | None = None,
    occurred_on: date | str | None = None,
    late_reason: str | None = None,
) -> OpenedCase:
    """Open a case of ``case_type`` in the actor's organisation, checking every link is in scope.

    ``occurred_on`` is when it was opened in fact (today by default; not in the future; a late entry needs
    ``late_reason``); its first deadline runs from that date.
    """
    if conn is not None:
        return _open(
            wf,
            conn,
            case_type,
            actor,
            reason,
            kind,
            title,
            provider_id,
            agreement_id,
            placement_id,
            parent_case_id,
            owner_id,
            plan_year,
            params,
            (occurred_on, late_reason),
        )
    with wf.engine.begin() as c:
        return _open(
            wf,
            c,
            case_type,
            actor,
            reason,
            kind,
            title,
            provider_id,
            agreement_id,
            placement_id,
            parent_case_id,
            owner_id,
            plan_year,
            params,
            (occurred_on, late_reason),
        )


def _no_open_request(conn: Connection, case_type: str, placement_id: int) -> None:
    """One open delivery request (leveransbegäran) per placement and kind: a second waits for the first to close.

    The scheduler's own requests are once-only by their opening key (a placement's plan once, its monthly
    report once per month), so a month's report may be requested while last month's is still late.
    """
    # The placement's row is the lock: two requests typed in at once wait for each other instead of both
    # finding none open (PostgreSQL; SQLite's one writer already serialises them).
    conn.execute(select(PLACEMENT.c.id).where(PLACEMENT.c.id == placement_id).with_for_update())
    open_one = conn.execute(
        select(CASE.c.id).where(
            CASE.c.placement_id == placement_id, CASE.c.case_type == case_type, CASE.c.closed_at.is_(None)
        )
    ).first()
    if open_one is not None:
        raise Refused(
            f"the placement already has an open {case_type} request (case {open_one.id}); close it first",
            rule="delivery_request_open",
        )


def _open(
    wf: Workflow,
    conn: Connection,
    case_type: str,
    actor: Actor,
    reason: str,
    kind: str | None,
    title: str,
    provider_id: int | None,
    agreement_id: int | None,
    placement_id: int | None,
    parent_case_id: int | None,
    owner_id: int | None,
    plan_year: int | None,
    params: dict[str, Any] | None,
    dated: tuple[date | str | None, str | None] = (None, None),
) -> OpenedCase:
    spec = CASE_TYPES.get(case_type)
    if spec is None:
        raise InvalidInput(f"unknown case type {case_type!r}; one of {', '.join(CASE_TYPES)}")
    reason = _reason(reason)
    if not actor.is_system and not set(actor.roles) & set(STAFF_ROLES):
        raise NotPermitted("only staff of the organisation may open cases")
    if spec.kinds and kind not in spec.kinds:
        raise InvalidInput(f"{case_type} needs a kind, one of: {', '.join(spec.kinds)}")
    if not spec.kinds and kind is not None:
        raise InvalidInput(f"{case_type} has no kinds")
    if len(title) > 300:
        raise InvalidInput("title is longer than 300 characters")
    org = actor.organisation_id
    now = wf.clock()
    today = local_date(now)
    when = event_date(dated[0], dated[1], today)
    in_house = False
    area_id = None
    if placement_id is not None:
        p = conn.execute(select(PLACEMENT).where(PLACEMENT.c.id == placement_id)).mappings().first()
        if p is None or p["organisation_id"] != org:
            raise NotFound(f"placement {placement_id} not found")
        agreement_id = agreement_id or p["agreement_id"]
        provider_id = provider_id or p["provider_id"]
        if agreement_id != p["agreement_id"] or provider_id != p["provider_id"]:
            raise InvalidInput("the placement belongs to another agreement or provider")
        if spec.delivery and not actor.is_system:
            _no_open_request(conn, case_type, placement_id)
    elif case_type in CASE_TYPES_NEEDING_PLACEMENT:
        raise InvalidInput(f"{case_type} needs a placement")
    writer = hotpath.writer_for(conn.engine)
    links = writer.links(
        conn,
        {
            "org": org,
            "agreement_id": agreement_id,
            "provider_id": provider_id,
            "owner_id": owner_id,
            "parent_case_id": parent_case_id,
        },
    )
    if agreement_id is not None:
        a = links.agreement
        if a is None:
            raise NotFound(f"agreement {agreement_id} not found")
        if provider_id is not None and provider_id != a.provider_id:
            raise InvalidInput("the provider is not the agreement's provider")
        provider_id = a.provider_id
        area_id = a.contract_area_id
        in_house = a.agreement_type == "in_house_mandate"
        if spec.mirrors_agreement and a.organisation_id != org:
            raise NotFound(f"agreement {agreement_id} not found")
        if spec.mirrors_agreement and a.case_id is not None:
            raise Refused(
                f"agreement {agreement_id} has its agreement case already (case {a.case_id})",
                rule="agreement_has_case",
            )
    elif case_type in CASE_TYPES_NEEDING_AGREEMENT:
        raise InvalidInput(f"{case_type} needs an agreement")
    if provider_id is not None:
        if not links.provider_found:
            raise NotFound(f"provider {provider_id} not found")
        in_house = in_house or links.provider_in_house
    elif spec.subject_required:
        raise InvalidInput(f"{case_type} needs a provider (named, or through an agreement or a placement)")
    if parent_case_id is not None and links.parent_organisation_id != org:
        raise NotFound(f"case {parent_case_id} not found")
    if owner_id is not None and links.owner_organisation_id != org:
        raise NotFound(f"user {owner_id} not found")
    if plan_year is not None and not (2000 <= plan_year <= today.year + 10):
        raise InvalidInput(f"plan_year {plan_year} is out of range")
    cleaned: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if name not in DATE_PARAMS:
            raise InvalidInput(f"opening a case takes only the date parameters {sorted(DATE_PARAMS)}")
        try:
            d = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError as exc:
            raise InvalidInput(f"{name} must be an ISO date, got {value!r}") from exc
        cleaned[name] = d.isoformat()
    policy = spec.deadlines.get(spec.initial)
    owner = owner_id if owner_id is not None else actor.user_id
    first_deadline = (
        {"organisation_id": org, **deadlines.opening_row(policy, spec.initial, now, cleaned, when.day)}
        if policy is not None
        else None
    )
    next_due_at = next_due.after_opening(first_deadline)
    case_id, event_id, head = writer.open(
        conn,
        Opening(
            case={
                "case_type": case_type,
                "kind": kind,
                "status": spec.initial,
                "version": 1,
                "organisation_id": org,
                "provider_id": provider_id,
                "agreement_id": agreement_id,
                "placement_id": placement_id,
                "contract_area_id": area_id,
                "parent_case_id": parent_case_id,
                "owner_id": owner,
                "title": title,
                "in_house": in_house,
                "plan_year": plan_year,
                "attributes": cleaned,
                "opened_at": now,
                "updated_at": now,
                "opened_on": when.day,
                "last_occurred_on": when.day,
                "next_due_at": next_due_at,
            },
            deadline=first_deadline,
            event={
                "organisation_id": org,
                "trigger": "open",
                "from_status": None,
                "to_status": spec.initial,
                "actor_id": actor.user_id,
                "actor_role": actor.roles[0] if actor.roles else None,
                "reason": reason,
                "decision_kind": None,
                "mandate": None,
                "registry_number": None,
                "params": {"kind": kind, **cleaned} if kind else cleaned,
                "occurred_at": now,
                "occurred_on": when.day,
                "late_entry": when.late_entry,
                "late_reason": when.late_reason,
            },
            now=now,
            agreement_id=agreement_id if spec.mirrors_agreement else None,
        ),
        links.case_id,
    )
    known = hotpath.known_cases(conn)
    if known is not None:
        known[case_id] = CaseRow(
            case_id,
            case_type,
            kind,
            spec.initial,
            1,
            org,
            in_house,
            cleaned,
            agreement_id,
            owner,
            provider_id,
            head,
            when.day,
            when.day,
            next_due_at,
        )
    log.info("case.opened", case_id=case_id, case_type=case_type, organisation_id=org)
    return OpenedCase(int(case_id), spec.initial, 1, event_id)
