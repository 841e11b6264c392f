"""The access review (granskning av åtkomst): who read which individual-level record, when, from where.

Reads of individual-level records are written to ``access_log`` where they happen
(:mod:`workflow.cases.access`). Administrators list and filter them here (by user, record kind and id,
period; newest first, keyset paging), export them as CSV in the Swedish convention (``;`` between fields,
UTF-8 with a byte-order mark so spreadsheet programs read å, ä, ö), and see **alerts**: users who read more
individual-level records in one Stockholm day than ``UPPF_ACCESS_ALERT_DAILY_READS`` (default 200).

The review is itself logged: every listing, export and alert listing adds an access-log row
(entity ``access_log``, the reviewing administrator's organisation as id, action ``review``, ``export`` or
``alerts``). Those rows are listed like any other but never count towards an alert.

:class:`RaiseAccessAlerts` (run by ``uppfoljning admin access-alerts`` and the scheduler's housekeeping) turns
the day's alerts into a WARNING log line ``access.unusual_volume`` (ids and counts, no names) and one outbox
message per user and day to the administrators whose municipality holds the user's organisation.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, func, insert, select

from states.roles import Role
from workflow.admin.scope import administered, subtree
from workflow.cases.access import record_reads
from workflow.cases.paging import Order, Page, PageRequest, SortKey, fetch
from workflow.clock import STOCKHOLM
from workflow.engine.commands import handles
from workflow.engine.errors import InvalidInput
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork
from workflow.i18n import DEFAULT_LOCALE, N_, format_instant, gettext
from workflow.schema.tables import ACCESS_LOG, ORG, OUTBOX, USER

log = structlog.get_logger("workflow.admin.access_review")

REVIEW_ENTITY = "access_log"
#: The export's column headings (Swedish by default, from the catalogue).
HEADINGS = (N_("Time"), N_("User"), N_("User id"), N_("Organisation"), N_("Record kind"), N_("Record id"), N_("Action"))
ALERT_SUBJECT = N_("Unusual number of reads of individual-level records")
ALERT_BODY = N_(
    "User %(username)s read %(reads)s individual-level records on %(day)s (the alert threshold is %(threshold)s). "
    "Review the reads under Administration or with GET /admin/access-log."
)
EXPORT_LIMIT = 100_000
_ORDER = Order(
    "-at", (SortKey("at", ACCESS_LOG.c.at, descending=True), SortKey("id", ACCESS_LOG.c.id, descending=True))
)


@dataclass(frozen=True, slots=True)
class AccessFilter:
    """Which reads to review: by user, record kind and id, organisation, and period [since, until)."""

    user_id: int | None = None
    entity: str | None = None
    entity_id: int | None = None
    organisation_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise InvalidInput("the period's end must come after its start", rule="period")


def _query(scope: set[int], f: AccessFilter) -> Any:
    q = (
        select(
            ACCESS_LOG.c.id,
            ACCESS_LOG.c.at,
            ACCESS_LOG.c.user_id,
            USER.c.username,
            ACCESS_LOG.c.organisation_id,
            ORG.c.code.label("organisation_code"),
            ACCESS_LOG.c.entity,
            ACCESS_LOG.c.entity_id,
            ACCESS_LOG.c.action,
        )
        .join(ORG, ORG.c.id == ACCESS_LOG.c.organisation_id)
        .outerjoin(USER, USER.c.id == ACCESS_LOG.c.user_id)
        .where(ACCESS_LOG.c.organisation_id.in_(scope))
    )
    if f.user_id is not None:
        q = q.where(ACCESS_LOG.c.user_id == f.user_id)
    if f.entity is not None:
        q = q.where(ACCESS_LOG.c.entity == f.entity)
    if f.entity_id is not None:
        q = q.where(ACCESS_LOG.c.entity_id == f.entity_id)
    if f.organisation_id is not None:
        q = q.where(ACCESS_LOG.c.organisation_id == f.organisation_id)
    if f.since is not None:
        q = q.where(ACCESS_LOG.c.at >= f.since)
    if f.until is not None:
        q = q.where(ACCESS_LOG.c.at < f.until)
    return q


def _log_review(uow: UnitOfWork, actor: Actor, action: str) -> None:
    uow.write(lambda conn: record_reads(conn, actor, REVIEW_ENTITY, [actor.organisation_id], action, uow.clock()))


def list_access(uow: UnitOfWork, actor: Actor, filters: AccessFilter, paging: PageRequest) -> Page:
    """The reads in the administrator's municipality, newest first; the review is logged."""
    page = uow.read(
        lambda conn: fetch(conn, _query(administered(conn, actor, "review access"), filters), _ORDER, paging)
    )
    _log_review(uow, actor, "review")
    return page


def export_csv(uow: UnitOfWork, actor: Actor, filters: AccessFilter, locale: str = DEFAULT_LOCALE) -> bytes:
    """The filtered reads as CSV (``;``, UTF-8 with BOM, Stockholm times), newest first; the export is logged."""

    def read(conn: Connection) -> list[Any]:
        q = _query(administered(conn, actor, "export the access log"), filters)
        return list(conn.execute(q.order_by(*_ORDER.order_by()).limit(EXPORT_LIMIT)))

    rows = uow.read(read)
    _log_review(uow, actor, "export")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([gettext(locale, h) for h in HEADINGS])
    for r in rows:
        writer.writerow(
            [
                format_instant(locale, r.at),
                r.username or "",
                r.user_id or "",
                r.organisation_code,
                r.entity,
                r.entity_id,
                r.action,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Stockholm calendar day as [start, end) in UTC."""
    start = datetime.combine(day, time(0), tzinfo=STOCKHOLM)
    return start.astimezone(UTC), datetime.combine(day + timedelta(days=1), time(0), tzinfo=STOCKHOLM).astimezone(UTC)


def _volumes(conn: Connection, scope: set[int] | None, day: date, threshold: int) -> list[dict[str, Any]]:
    start, end = day_bounds(day)
    reads = func.count(ACCESS_LOG.c.id)
    q = (
        select(ACCESS_LOG.c.user_id, USER.c.username, ACCESS_LOG.c.organisation_id, reads.label("reads"))
        .join(USER, USER.c.id == ACCESS_LOG.c.user_id)
        .where(ACCESS_LOG.c.at >= start, ACCESS_LOG.c.at < end, ACCESS_LOG.c.entity != REVIEW_ENTITY)
        .group_by(ACCESS_LOG.c.user_id, USER.c.username, ACCESS_LOG.c.organisation_id)
        .having(reads > threshold)
        .order_by(reads.desc(), ACCESS_LOG.c.user_id)
    )
    if scope is not None:
        q = q.where(ACCESS_LOG.c.organisation_id.in_(scope))
    return [{**r._mapping, "day": day, "threshold": threshold} for r in conn.execute(q)]


def alerts(uow: UnitOfWork, actor: Actor, day: date, threshold: int) -> list[dict[str, Any]]:
    """Users of the administrator's municipality who read more than ``threshold`` individual records on ``day``."""
    found = uow.read(lambda conn: _volumes(conn, administered(conn, actor, "review access"), day, threshold))
    _log_review(uow, actor, "alerts")
    return found


@dataclass(frozen=True, slots=True)
class RaiseAccessAlerts:
    """Warn about the day's unusual read volumes: a log line and one message to the administrators per user."""

    day: date
    threshold: int


def _administrator_addresses(conn: Connection, organisation_id: int) -> list[str]:
    """The addresses of active administrators whose municipality holds ``organisation_id``."""
    out = []
    for uid_org, email, roles in conn.execute(
        select(USER.c.organisation_id, USER.c.email, USER.c.roles).where(USER.c.active.is_(True))
    ):
        if Role.ADMINISTRATOR.value in roles and email and organisation_id in subtree(conn, uid_org):
            out.append(email)
    return sorted(set(out))


@handles(RaiseAccessAlerts)
def raise_access_alerts(cmd: RaiseAccessAlerts, actor: Actor, uow: UnitOfWork) -> list[dict[str, Any]]:
    """For the system (scheduler, CLI): every organisation's alerts of the day; each is sent once."""

    def work(conn: Connection) -> list[dict[str, Any]]:
        found = _volumes(conn, None, cmd.day, cmd.threshold)
        now = uow.clock()
        for a in found:
            key = f"access-alert:{a['organisation_id']}:{a['user_id']}:{cmd.day.isoformat()}"
            if conn.execute(select(OUTBOX.c.id).where(OUTBOX.c.dedupe_key == key)).first():
                continue  # raised earlier today (the scheduler runs this every housekeeping tick)
            log.warning(
                "access.unusual_volume",
                user_id=a["user_id"],
                organisation_id=a["organisation_id"],
                reads=a["reads"],
                threshold=cmd.threshold,
                day=cmd.day.isoformat(),
            )
            recipients = _administrator_addresses(conn, a["organisation_id"])
            if not recipients:
                log.warning("access.unusual_volume.no_administrator", organisation_id=a["organisation_id"])
                continue
            subject = gettext(DEFAULT_LOCALE, ALERT_SUBJECT)
            body = gettext(DEFAULT_LOCALE, ALERT_BODY) % {
                "username": a["username"],
                "reads": a["reads"],
                "day": cmd.day.isoformat(),
                "threshold": cmd.threshold,
            }
            conn.execute(
                insert(OUTBOX).values(
                    organisation_id=a["organisation_id"],
                    case_id=None,
                    dedupe_key=key,
                    kind="access_alert",
                    recipients=recipients,
                    subject=subject,
                    body=body,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        return found

    return uow.write(work)
