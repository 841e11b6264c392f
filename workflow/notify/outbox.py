"""Outbox delivery (utkorg): claim, stage, mark, commit; retries with backoff; incidents.

A row moves ``pending → sending → committing → sent``. ``sending`` is a durable claim made
before any contact with the server; ``committing`` is written (compare-and-set on the claim
token) just before the final dot that makes the server accept the message. So:

- a dispatcher that dies while ``sending`` never handed the message over: after the claim
  times out the row goes back to ``pending`` and is retried;
- a dispatcher that dies while ``committing`` may or may not have handed it over: the row
  becomes the incident ``uncertain`` and is never resent automatically (a human checks);
- a dispatcher whose claim was taken over finds its compare-and-set fails and drops the
  connection before the dot, so two dispatchers never both deliver one row.

A refused or unreachable server leads to a retry with exponential backoff; after the last
attempt (or at once for a permanent 5xx refusal) the row becomes the incident
``retries_exhausted`` or ``rejected``. Nothing is ever deleted or silently dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import Connection, Engine, func, select, text, update

from workflow.clock import STOCKHOLM, utcnow
from workflow.deadlines.calendar import is_working_day
from workflow.engine.errors import NotFound
from workflow.notify import messages
from workflow.notify import recipients as recipients_mod
from workflow.notify.mail import DeliveryError, DeliveryUncertain, Mail, SmtpSession, message_id
from workflow.schema.db import write
from workflow.schema.tables import OUTBOX
from workflow.settings import Settings, get_settings

log = structlog.get_logger("workflow.notify.outbox")

IN_FLIGHT = ("pending", "sending", "committing")
#: Written out as in the partial index ``ix_outbox_claimed``, so SQLite's planner can use it.
_CLAIMED = text("outbox.status IN ('sending', 'committing')")


class Session(Protocol):
    """What the dispatcher needs from a mail connection (``workflow.notify.mail.SmtpSession``)."""

    sender: str

    def stage(self, mail: Mail) -> list[str]: ...
    def commit(self) -> None: ...
    def close(self) -> None: ...
    def quit(self) -> None: ...


@dataclass
class DeliveryResult:
    """What one delivery pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    uncertain: int = 0
    requeued: int = 0


def deliver(
    engine: Engine,
    *,
    clock: Callable[[], datetime] = utcnow,
    settings: Settings | None = None,
    connect: Callable[[], Session] | None = None,
    batch: int = 20,
    max_batches: int | None = None,
) -> DeliveryResult:
    """Deliver due outbox rows until none is due (or ``max_batches`` passes); safe on several instances."""
    settings = settings or get_settings()
    connect = connect or (lambda: SmtpSession(settings))
    result = DeliveryResult()
    recover(engine, clock(), settings, result)
    if not mail_may_go(clock(), settings.mail_hours):
        return result  # held until the next working day's sending hours; nothing is lost
    passes = 0
    while max_batches is None or passes < max_batches:
        passes += 1
        token = str(uuid.uuid4())
        with write(engine) as conn:
            rows = _claim(conn, clock(), batch, token)
        if not rows:
            break
        if not _send_batch(engine, rows, token, clock, settings, connect, result) or len(rows) < batch:
            break
    if result.sent or result.failed or result.retried or result.uncertain or result.requeued:
        log.info("outbox.delivered", **result.__dict__)
    return result


def mail_may_go(now: datetime, hours: str) -> bool:
    """Whether mail goes out at ``now``: on a working day between the configured Stockholm hours."""
    if hours == "always":
        return True
    start, _, end = hours.partition("-")
    local = now.astimezone(STOCKHOLM)
    return is_working_day(local.date()) and int(start) <= local.hour < int(end)


def recover(engine: Engine, now: datetime, settings: Settings, result: DeliveryResult | None = None) -> None:
    """Settle claims whose dispatcher stopped: back to pending before the commit point, an incident after it."""
    cutoff = now - timedelta(seconds=settings.outbox_claim_timeout_seconds)
    with write(engine) as conn:
        back = conn.execute(
            update(OUTBOX)
            .where(_CLAIMED, OUTBOX.c.status == "sending", OUTBOX.c.claimed_at < cutoff)
            .values(status="pending", claim_token=None, next_attempt_at=now, last_error="claim timed out; not sent")
        ).rowcount
        doubt = conn.execute(
            update(OUTBOX)
            .where(_CLAIMED, OUTBOX.c.status == "committing", OUTBOX.c.claimed_at < cutoff)
            .values(
                status="failed",
                incident="uncertain",
                last_error="delivery uncertain: the dispatcher stopped after handing the message to the server "
                "and before recording its answer; check with the recipient before resending",
            )
        ).rowcount
    if result is not None:
        result.requeued += back
        result.uncertain += doubt
    if back or doubt:
        log.warning("outbox.recovered", requeued=back, uncertain=doubt)


def _claim(conn: Connection, now: datetime, limit: int, token: str) -> list[Any]:
    q = (
        select(OUTBOX)
        .where(OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now)
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
        .limit(limit)
    )
    if conn.dialect.name != "sqlite":
        q = q.with_for_update(skip_locked=True)
    rows = list(conn.execute(q))
    if rows:
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_([r.id for r in rows]), OUTBOX.c.status == "pending")
            .values(status="sending", claim_token=token, claimed_at=now, attempts=OUTBOX.c.attempts + 1)
        )
    return rows


def _send_batch(
    engine: Engine,
    rows: list[Any],
    token: str,
    clock: Callable[[], datetime],
    settings: Settings,
    connect: Callable[[], Session],
    result: DeliveryResult,
) -> bool:
    """Send one claimed batch; False when the server could not be reached (stop this pass)."""
    session: Session | None = None
    try:
        for i, row in enumerate(rows):
            attempts = row.attempts + 1
            with engine.connect() as conn:
                rcpts = _addresses(conn, row)
                subject, body = messages.compose_row(conn, row, settings, clock().astimezone(STOCKHOLM).date())
            if not rcpts:
                _fail(engine, row.id, token, "no_recipients", "nobody to send it to", clock())
                result.failed += 1
                continue
            if session is None:
                try:
                    session = connect()
                except DeliveryError as exc:  # no server: every row of the batch waits for its next attempt
                    for rest in rows[i:]:
                        _retry_or_fail(engine, rest.id, token, rest.attempts + 1, exc, clock(), settings, result)
                    return False
            try:
                mail = Mail(
                    message_id(row.id, row.dedupe_key, session.sender),
                    tuple(rcpts),
                    subject,
                    body,
                    row.created_at,
                )
                refused = session.stage(mail)
            except DeliveryError as exc:
                if session is not None:
                    session.close()
                    session = None
                _retry_or_fail(engine, row.id, token, attempts, exc, clock(), settings, result)
                continue
            if not _mark_committing(engine, row.id, token, mail, clock()):
                session.close()  # our claim was taken over: never send the dot
                session = None
                continue
            try:
                session.commit()
            except DeliveryUncertain as exc:
                session.close()
                session = None
                _fail(engine, row.id, token, "uncertain", f"delivery uncertain: {exc}", clock(), "committing")
                result.uncertain += 1
                continue
            except DeliveryError as exc:
                _retry_or_fail(engine, row.id, token, attempts, exc, clock(), settings, result, "committing")
                continue
            _mark_sent(engine, row.id, token, clock(), refused)
            result.sent += 1
        return True
    finally:
        if session is not None:
            session.quit()


def _addresses(conn: Connection, row: Any) -> list[str]:
    names = list(row.recipients or [])
    if all("@" in n for n in names):
        return sorted(set(names))
    if row.case_id is None:
        return sorted({n for n in names if "@" in n})
    return recipients_mod.for_case(conn, row.case_id, names)


def _mark_committing(engine: Engine, oid: int, token: str, mail: Mail, now: datetime) -> bool:
    with write(engine) as conn:
        return (
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == oid, OUTBOX.c.claim_token == token, OUTBOX.c.status == "sending")
                .values(
                    status="committing",
                    message_id=mail.message_id,
                    recipients=list(mail.recipients),
                    subject=mail.subject,  # what was sent: the text composed at delivery
                    body=mail.body,
                    claimed_at=now,
                )
            ).rowcount
            == 1
        )


def _mark_sent(engine: Engine, oid: int, token: str, now: datetime, refused: list[str]) -> None:
    with write(engine) as conn:
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == oid, OUTBOX.c.claim_token == token, OUTBOX.c.status.in_(("committing", "failed")))
            .values(
                status="sent",
                sent_at=now,
                incident=None,
                last_error=f"refused recipients: {', '.join(refused)}"[:1000] if refused else None,
            )
        )


def _retry_or_fail(
    engine: Engine,
    oid: int,
    token: str,
    attempts: int,
    exc: DeliveryError,
    now: datetime,
    settings: Settings,
    result: DeliveryResult,
    status: str = "sending",
) -> None:
    if exc.permanent:
        _fail(engine, oid, token, "rejected", str(exc), now, status)
        result.failed += 1
    elif attempts >= settings.outbox_max_attempts:
        _fail(engine, oid, token, "retries_exhausted", str(exc), now, status)
        result.failed += 1
    else:
        delay = min(settings.outbox_backoff_seconds * 2 ** (attempts - 1), 6 * 3600)
        with write(engine) as conn:
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == oid, OUTBOX.c.claim_token == token, OUTBOX.c.status == status)
                .values(
                    status="pending",
                    claim_token=None,
                    next_attempt_at=now + timedelta(seconds=delay),
                    last_error=str(exc)[:1000],
                )
            )
        result.retried += 1


def _fail(
    engine: Engine, oid: int, token: str, incident: str, error: str, now: datetime, status: str = "sending"
) -> None:
    with write(engine) as conn:
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == oid, OUTBOX.c.claim_token == token, OUTBOX.c.status == status)
            .values(status="failed", incident=incident, last_error=error[:1000])
        )
    log.warning("outbox.incident", outbox_id=oid, incident=incident)


# --- what the dashboard and the API show ---------------------------------------------------------------------------


def summary(conn: Connection, organisation_id: int) -> dict[str, int]:
    """Counts of pending (in flight included), sent and failed messages of one organisation."""
    counts = {"pending": 0, "sent": 0, "failed": 0}
    for status, n in conn.execute(
        select(OUTBOX.c.status, func.count())
        .where(OUTBOX.c.organisation_id == organisation_id)
        .group_by(OUTBOX.c.status)
    ):
        key = "pending" if status in IN_FLIGHT else status
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def incidents(conn: Connection, organisation_id: int, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Failed messages of one organisation, newest first, with why they failed."""
    rows = conn.execute(
        select(
            OUTBOX.c.id,
            OUTBOX.c.case_id,
            OUTBOX.c.kind,
            OUTBOX.c.subject,
            OUTBOX.c.attempts,
            OUTBOX.c.incident,
            OUTBOX.c.last_error,
            OUTBOX.c.message_id,
            OUTBOX.c.created_at,
        )
        .where(OUTBOX.c.organisation_id == organisation_id, OUTBOX.c.status == "failed")
        .order_by(OUTBOX.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).mappings()
    return [dict(r) for r in rows]


def retry_incident(conn: Connection, organisation_id: int, outbox_id: int, now: datetime) -> None:
    """Send a failed message again (after someone fixed the address or the server); attempts start over.

    For an ``uncertain`` incident, do this only after checking that the recipient did not get it.
    """
    done = conn.execute(
        update(OUTBOX)
        .where(
            OUTBOX.c.id == outbox_id,
            OUTBOX.c.organisation_id == organisation_id,
            OUTBOX.c.status == "failed",
        )
        .values(status="pending", attempts=0, next_attempt_at=now, claim_token=None, incident=None)
    ).rowcount
    if done != 1:
        raise NotFound(f"no failed message {outbox_id}")
    log.info("outbox.incident_retried", outbox_id=outbox_id)


def confirm_delivered(conn: Connection, organisation_id: int, outbox_id: int, now: datetime) -> None:
    """Close an ``uncertain`` incident whose message the recipient is known to have received."""
    done = conn.execute(
        update(OUTBOX)
        .where(
            OUTBOX.c.id == outbox_id,
            OUTBOX.c.organisation_id == organisation_id,
            OUTBOX.c.status == "failed",
            OUTBOX.c.incident == "uncertain",
        )
        .values(status="sent", sent_at=now, incident=None, last_error="confirmed delivered after an uncertain send")
    ).rowcount
    if done != 1:
        raise NotFound(f"no uncertain message {outbox_id}")
    log.info("outbox.incident_confirmed", outbox_id=outbox_id)
