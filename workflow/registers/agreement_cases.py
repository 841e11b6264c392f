"""Every agreement's own lifecycle case (avtalsärende), and agreements that end by date (avtal som löper ut).

An agreement's status follows its agreement case, so an agreement without one could never be
excluded from call-offs, terminated or rescinded. :func:`open_agreement_case` opens it when the
agreement is registered, in the same transaction; :func:`ensure_agreement_cases` opens it for
agreements registered before that (the data migration and the scheduler's leader job run it).
:func:`expire_ended_agreements` fires the agreement case's ``expire`` trigger (its guard
``agreement_period_ended``) for every live agreement whose end date has passed, as the scheduler,
so the audit chain records it and the agreement row mirrors the new status.

Both are once-only per agreement: the opening is claimed under the key (``agreement_case``,
agreement, ``lifecycle``) in ``scheduled_opening`` and an expired agreement is no longer live, so
a rerun, a restart or a second scheduler changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import NamedTuple

import structlog
from sqlalchemy import Connection, Engine, bindparam, select

from states.registry import CASE_TYPES
from states.roles import Role
from workflow.cases.opening import open_case
from workflow.clock import utcnow
from workflow.deadlines.calendar import local_date
from workflow.deadlines.scheduled import claim_opening, first_user_with_role, opened_case, set_opening_case
from workflow.engine.errors import Conflict, Refused
from workflow.engine.firing import Actor, Workflow
from workflow.schema.db import write
from workflow.schema.tables import AGREEMENT
from workflow.settings import get_settings

log = structlog.get_logger("workflow.registers.agreement_cases")

AGREEMENT_CASE_TYPE = next(name for name, spec in CASE_TYPES.items() if spec.mirrors_agreement)
STRATEGIST = Role.CONTRACT_STRATEGIST.value
_KEY = ("agreement_case", "agreement", "lifecycle")
#: Why an agreement case is dated back to the agreement's start (recorded as a late entry in the audit).
LATE_REASON = "Avtalsärendet öppnades när avtalet registrerades och gäller från avtalets startdatum"
#: The trigger that ends an agreement at the end of its period, and the states it leaves from.
EXPIRE = "expire"
_EXPIRING_FROM = tuple(
    state for tr in CASE_TYPES[AGREEMENT_CASE_TYPE].transitions if tr.trigger == EXPIRE for state in tr.source
)


class AgreementKey(NamedTuple):
    """What opening an agreement's case needs of the agreement."""

    organisation_id: int
    registry_number: str
    starts_on: date | None


_AGREEMENT_KEY = select(AGREEMENT.c.organisation_id, AGREEMENT.c.registry_number, AGREEMENT.c.starts_on).where(
    AGREEMENT.c.id == bindparam("agreement_id")
)


def open_agreement_case(
    wf: Workflow,
    conn: Connection,
    actor: Actor,
    agreement_id: int,
    reason: str,
    *,
    known: AgreementKey | None = None,
) -> int:
    """Open the agreement's lifecycle case inside ``conn``'s transaction (once; a second call returns the first).

    The registering user owns it; one opened by the system is owned by the board's first contract strategist.
    ``known`` is the agreement's organisation, registry number and start as just registered (else they are read).
    """
    return open_agreement_case_once(wf, conn, actor, agreement_id, reason, known=known)[0]


def open_agreement_case_once(
    wf: Workflow,
    conn: Connection,
    actor: Actor,
    agreement_id: int,
    reason: str,
    *,
    known: AgreementKey | None = None,
) -> tuple[int, bool]:
    """:func:`open_agreement_case`, and whether this call opened it (and so set the agreement's case and status)."""
    row = known or AgreementKey(*conn.execute(_AGREEMENT_KEY, {"agreement_id": agreement_id}).one())
    control, kind, period = _KEY
    if not claim_opening(conn, control, kind, agreement_id, period, row.organisation_id, wf.clock()):
        existing = opened_case(conn, control, kind, agreement_id, period)
        if existing is None:
            raise RuntimeError(f"agreement {agreement_id}: its case was claimed without a case")
        return existing, False
    owner = actor.user_id if actor.user_id is not None else first_user_with_role(conn, row.organisation_id, STRATEGIST)
    # The case exists from the day the agreement took effect, so its earlier decisions can be recorded as taken.
    today = local_date(wf.clock())
    opened_on = min(row.starts_on, today) if row.starts_on else today
    late = (today - opened_on).days > get_settings().late_entry_days
    case = open_case(
        wf,
        AGREEMENT_CASE_TYPE,
        actor,
        reason,
        agreement_id=agreement_id,
        owner_id=owner,
        title=f"Avtal {row.registry_number}",
        occurred_on=opened_on,
        late_reason=LATE_REASON if late else None,
        conn=conn,
    )
    set_opening_case(conn, control, kind, agreement_id, period, case.case_id)
    return case.case_id, True


def ensure_agreement_cases(target: Engine | Connection, clock: Callable[[], datetime] = utcnow) -> int:
    """Open the lifecycle case of every live agreement that has none; how many were opened.

    With a connection (the data migration) everything happens in its transaction; with an engine each
    agreement is its own transaction. Agreements whose status is no longer ``active`` without a case
    are left as they are: opening a case would set them active again.
    """
    if isinstance(target, Connection):
        ids = _without_case(target)
        wf = Workflow(target.engine, clock)
        for agreement_id, org in ids:
            open_agreement_case(wf, target, Actor.system(org), agreement_id, _BACKFILL_REASON)
        return len(ids)
    with target.connect() as conn:
        ids = _without_case(conn)
    wf = Workflow(target, clock)
    opened = 0
    for agreement_id, org in ids:
        with write(target) as conn:
            still = conn.execute(select(AGREEMENT.c.case_id).where(AGREEMENT.c.id == agreement_id)).scalar_one()
            if still is None:
                open_agreement_case(wf, conn, Actor.system(org), agreement_id, _BACKFILL_REASON)
                opened += 1
    if opened:
        log.info("agreements.cases_opened", count=opened)
    return opened


_BACKFILL_REASON = "The agreement was registered without its agreement case; opened afterwards"


def _without_case(conn: Connection) -> list[tuple[int, int]]:
    rows = conn.execute(
        select(AGREEMENT.c.id, AGREEMENT.c.organisation_id)
        .where(AGREEMENT.c.case_id.is_(None), AGREEMENT.c.status == CASE_TYPES[AGREEMENT_CASE_TYPE].initial)
        .order_by(AGREEMENT.c.id)
    ).all()
    return [(int(r.id), int(r.organisation_id)) for r in rows]


def expire_ended_agreements(engine: Engine, clock: Callable[[], datetime] = utcnow) -> int:
    """Move every live agreement whose end date has passed to ``expired`` through its case; how many moved.

    Agreements under a termination investigation wait for it (the table lets them expire only when
    active or suspended), and so do agreements without a case (:func:`ensure_agreement_cases` runs
    first in the scheduler's job). Each is its own transaction; one someone else moved first is skipped.
    """
    today = local_date(clock())
    with engine.connect() as conn:
        rows = conn.execute(
            select(AGREEMENT.c.id, AGREEMENT.c.case_id, AGREEMENT.c.organisation_id)
            .where(
                AGREEMENT.c.ends_on < today,
                AGREEMENT.c.status.in_(_EXPIRING_FROM),
                AGREEMENT.c.case_id.is_not(None),
            )
            .order_by(AGREEMENT.c.id)
        ).all()
    wf = Workflow(engine, clock)
    expired = 0
    for row in rows:
        try:
            wf.fire(
                int(row.case_id),
                EXPIRE,
                Actor.system(int(row.organisation_id)),
                "The agreement's period has ended",
            )
        except (Conflict, Refused) as exc:  # moved meanwhile (another scheduler, a person): nothing to do
            log.info("agreements.expiry_skipped", agreement_id=row.id, rule=exc.code)
            continue
        expired += 1
    if expired:
        log.info("agreements.expired", count=expired)
    return expired
