"""Readiness (driftklar): whether the database answers, and whether mail can go out.

The database decides readiness (a load balancer takes the process out when it does not
answer). Mail problems never take the API out of service; they are reported plainly
beside it: an SMTP server that does not answer, and an outbox whose oldest message has
waited longer than the threshold while mail was allowed to go out.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text

from workflow.clock import STOCKHOLM
from workflow.engine.uow import UnitOfWork
from workflow.notify.devmail import smtp_reachable
from workflow.notify.outbox import mail_may_go
from workflow.schema.tables import OUTBOX
from workflow.settings import Settings

SMTP_CHECK_SECONDS = 60.0  # a readiness probe every few seconds must not open an SMTP session each time


def database_answers(uow: UnitOfWork) -> bool:
    """Whether the database answers a query now."""
    try:
        uow.read(lambda conn: conn.execute(text("SELECT 1")).scalar_one())
    except Exception:  # any database failure means not ready
        return False
    return True


@dataclass(frozen=True, slots=True)
class MailHealth:
    """Whether mail can go out (e-postleverans): the SMTP server's answer and the outbox's backlog."""

    smtp_problem: str | None
    pending: int
    oldest_waiting_minutes: int | None
    stale: bool

    @property
    def ok(self) -> bool:
        return self.smtp_problem is None and not self.stale


class _SmtpProbe:
    """The SMTP server's answer, asked at most once a minute per (host, port)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, int], tuple[float, str | None]] = {}

    def problem(self, host: str, port: int) -> str | None:
        key = (host, port)
        with self._lock:
            cached = self._seen.get(key)
            if cached and time.monotonic() - cached[0] < SMTP_CHECK_SECONDS:
                return cached[1]
        answer = smtp_reachable(host, port, timeout=2.0)
        with self._lock:
            self._seen[key] = (time.monotonic(), answer)
        return answer

    def forget(self) -> None:
        with self._lock:
            self._seen.clear()


SMTP_PROBE = _SmtpProbe()


def mail_health(uow: UnitOfWork, settings: Settings, now: datetime) -> MailHealth:
    """How mail stands at ``now``: whether the SMTP server answers and how long the oldest due message has waited.

    A message counts as waiting only while mail may go out: one written on Friday evening that waits for
    Monday's sending hours is not late. So the wait is measured from the later of the message's due time
    and the opening of today's sending hours.
    """

    def backlog(conn):  # type: ignore[no-untyped-def]
        return conn.execute(
            select(func.count(), func.min(OUTBOX.c.next_attempt_at)).where(OUTBOX.c.status == "pending")
        ).one()

    pending, oldest_due = uow.read(backlog)
    waited: timedelta | None = None
    if oldest_due is not None and mail_may_go(now, settings.mail_hours):
        since = oldest_due
        if settings.mail_hours != "always":
            start = int(settings.mail_hours.partition("-")[0])
            opened = now.astimezone(STOCKHOLM).replace(hour=start, minute=0, second=0, microsecond=0)
            since = max(since, opened)
        waited = max(now - since, timedelta(0))
    stale = waited is not None and waited > timedelta(minutes=settings.outbox_stale_minutes)
    return MailHealth(
        SMTP_PROBE.problem(settings.smtp_host, settings.smtp_port),
        int(pending),
        int(waited.total_seconds() // 60) if waited is not None else None,
        stale,
    )
