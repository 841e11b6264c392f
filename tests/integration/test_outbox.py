"""Outbox delivery against a real SMTP server on loopback: once, to the right people, with the
right text; retries with backoff; incidents instead of silent drops; claims that cannot collide."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update

from tests.smtp_sink import SmtpServer
from tests.world import Clock, World, build_world
from workflow.cases.opening import open_case
from workflow.clock import STOCKHOLM
from workflow.deadlines.sweep import sweep
from workflow.notify.outbox import deliver, incidents, recover, summary
from workflow.schema.tables import OUTBOX
from workflow.settings import Settings

pytestmark = pytest.mark.integration
START = datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def _settings(port: int, **kw: object) -> Settings:
    base: dict[str, object] = dict(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_timeout_seconds=5,
        outbox_max_attempts=3,
        outbox_backoff_seconds=60,
        mail_from="uppfoljning@kommun.test.invalid",
    )
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def _request(w: World, due: date) -> int:
    actor = w.actor("NORTH", "contract_strategist")
    cid = open_case(
        w.wf,
        "rectification_request",
        actor,
        "deficiency",
        kind="supplementation",
        agreement_id=w.agreements["north_calloff"],
    ).case_id
    w.wf.fire(cid, "send", actor, "send", registry_number="NOR-2026-00001", params={"response_due": due.isoformat()})
    return cid


def test_a_reminder_arrives_once_with_the_right_recipients_and_text(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(START)
    w = build_world(engine, clock)
    cid = _request(w, date(2026, 3, 13))
    settings = _settings(smtp.port)
    assert deliver(engine, clock=clock, settings=settings).sent == 1  # the "sent to provider" notice
    smtp.sink.messages.clear()
    clock.now = datetime(2026, 3, 10, 7, 0, 1, tzinfo=STOCKHOLM)
    sweep(engine, clock)
    first = deliver(engine, clock=clock, settings=settings)
    sweep(engine, clock)
    second = deliver(engine, clock=clock, settings=settings)
    assert (first.sent, second.sent) == (1, 0)
    [msg] = smtp.sink.messages
    assert msg.recipients == ["contract_strategist@north.test.invalid", "p0@provider.test.invalid"]
    assert msg.sender == "uppfoljning@kommun.test.invalid"
    assert msg.subject == f"Påminnelse: Utförarens svar i ärende {cid}, sista dag 2026-03-13"
    assert msg.body.replace("\r\n", "\n").startswith("Påminnelse 1 av 2.\n")
    assert "Vad som begärs: Utförarens svar, senast 2026-03-13 (om 3 dagar)." in msg.body
    with engine.connect() as conn:
        row = conn.execute(select(OUTBOX).where(OUTBOX.c.kind == "reminder")).one()
    assert (row.status, row.message_id) == ("sent", msg.message_id)
    assert row.message_id.startswith(f"<uppf.{row.id}.") and row.message_id.endswith("@kommun.test.invalid>")


def test_a_transition_notice_goes_to_the_people_its_table_names(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(START)
    w = build_world(engine, clock)
    _request(w, date(2026, 3, 13))
    deliver(engine, clock=clock, settings=_settings(smtp.port))
    [msg] = smtp.sink.messages
    assert msg.recipients == ["contract_strategist@north.test.invalid", "p0@provider.test.invalid"]


def test_an_unreachable_server_is_retried_with_backoff_then_becomes_an_incident(engine: Engine) -> None:
    clock = Clock(START)
    w = build_world(engine, clock)
    _request(w, date(2026, 3, 13))
    from tests.smtp_sink import free_port

    settings = _settings(free_port())  # nothing listens there
    r1 = deliver(engine, clock=clock, settings=settings)
    assert (r1.retried, r1.failed) == (1, 0)
    assert deliver(engine, clock=clock, settings=settings).retried == 0, "not before its backoff has passed"
    with engine.connect() as conn:
        first_wait = conn.execute(select(OUTBOX.c.next_attempt_at)).scalar_one() - clock.now
    clock.advance(seconds=61)
    assert deliver(engine, clock=clock, settings=settings).retried == 1
    with engine.connect() as conn:
        second_wait = conn.execute(select(OUTBOX.c.next_attempt_at)).scalar_one() - clock.now
    assert (first_wait, second_wait) == (timedelta(seconds=60), timedelta(seconds=120))
    clock.advance(seconds=121)
    assert deliver(engine, clock=clock, settings=settings).failed == 1
    with engine.connect() as conn:
        assert summary(conn, w.orgs["NORTH"]) == {"pending": 0, "sent": 0, "failed": 1}
        assert summary(conn, w.orgs["SOUTH"]) == {"pending": 0, "sent": 0, "failed": 0}
        [incident] = incidents(conn, w.orgs["NORTH"])
        assert incidents(conn, w.orgs["SOUTH"]) == []
    assert incident["incident"] == "retries_exhausted" and incident["attempts"] == 3
    assert "cannot reach the SMTP server" in incident["last_error"]


def test_a_temporary_refusal_is_retried_and_then_delivered_once(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(START)
    w = build_world(engine, clock)
    _request(w, date(2026, 3, 13))
    smtp.sink.temporary_failures = 1
    settings = _settings(smtp.port)
    assert deliver(engine, clock=clock, settings=settings).retried == 1
    clock.advance(minutes=2)
    assert deliver(engine, clock=clock, settings=settings).sent == 1
    assert len(smtp.sink.messages) == 1


def test_a_permanent_refusal_becomes_an_incident_at_once(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(START)
    w = build_world(engine, clock)
    _request(w, date(2026, 3, 13))
    smtp.sink.refuse_with = "554 5.6.0 message content rejected"
    r = deliver(engine, clock=clock, settings=_settings(smtp.port))
    assert (r.failed, r.retried) == (1, 0)
    with engine.connect() as conn:
        [incident] = incidents(conn, w.orgs["NORTH"])
    assert incident["incident"] == "rejected"


def test_a_stale_claim_is_retried_before_the_commit_point_and_an_incident_after_it(
    engine: Engine, smtp: SmtpServer
) -> None:
    clock = Clock(START)
    w = build_world(engine, clock)
    for _ in range(2):
        _request(w, date(2026, 3, 13))
    settings = _settings(smtp.port, outbox_claim_timeout_seconds=30)
    with engine.begin() as conn:  # two dispatchers died: one before the final dot, one after marking it
        ids = [r[0] for r in conn.execute(select(OUTBOX.c.id).order_by(OUTBOX.c.id))]
        for oid, status in zip(ids, ("sending", "committing"), strict=True):
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == oid)
                .values(status=status, claim_token="dead", claimed_at=clock.now, attempts=1)
            )
    clock.advance(seconds=10)
    recover(engine, clock.now, settings)
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(select(OUTBOX.c.status).order_by(OUTBOX.c.id))] == ["sending", "committing"]
    clock.advance(seconds=30)
    r = deliver(engine, clock=clock, settings=settings)
    assert (r.requeued, r.uncertain, r.sent) == (1, 1, 1)
    assert len(smtp.sink.messages) == 1, "the uncertain one must not be sent again automatically"
    with engine.connect() as conn:
        [incident] = incidents(conn, w.orgs["NORTH"])
    assert incident["incident"] == "uncertain" and "check with the recipient" in incident["last_error"]


def test_a_dispatcher_whose_claim_was_taken_over_does_not_send(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(START)
    w = build_world(engine, clock)
    _request(w, date(2026, 3, 13))
    settings = _settings(smtp.port)
    from workflow.notify import outbox as ob

    real = ob._mark_committing

    def taken_over(engine_: Engine, oid: int, token: str, mail: object, now: datetime) -> bool:
        with engine_.begin() as conn:  # another instance re-claimed the row meanwhile
            conn.execute(update(OUTBOX).where(OUTBOX.c.id == oid).values(claim_token="someone-else"))
        return real(engine_, oid, token, mail, now)  # type: ignore[arg-type]

    ob._mark_committing = taken_over  # type: ignore[assignment]
    try:
        r = deliver(engine, clock=clock, settings=settings)
    finally:
        ob._mark_committing = real  # type: ignore[assignment]
    assert r.sent == 0 and smtp.sink.messages == []


@pytest.mark.parametrize(
    ("held_at", "goes_at"),
    [
        (datetime(2026, 3, 7, 10, 0), datetime(2026, 3, 9, 7, 0)),  # Saturday -> Monday 07:00
        (datetime(2026, 3, 8, 12, 0), datetime(2026, 3, 9, 7, 0)),  # Sunday
        (datetime(2026, 6, 19, 9, 0), datetime(2026, 6, 22, 7, 0)),  # Midsummer Eve (Friday) -> Monday
        (datetime(2026, 12, 24, 9, 0), datetime(2026, 12, 28, 7, 0)),  # Christmas Eve, Christmas, Boxing Day, Sunday
        (datetime(2026, 3, 9, 6, 59), datetime(2026, 3, 9, 7, 0)),  # a working day, before the sending hours
        (datetime(2026, 3, 9, 18, 0), datetime(2026, 3, 10, 7, 0)),  # a working day, after them
    ],
)
def test_mail_goes_out_only_on_working_days_in_the_sending_hours(
    engine: Engine, smtp: SmtpServer, held_at: datetime, goes_at: datetime
) -> None:
    clock = Clock(START)
    w = build_world(engine, clock)
    _request(w, date(2026, 3, 13))
    settings = _settings(smtp.port, mail_hours="07-18")
    clock.now = held_at.replace(tzinfo=STOCKHOLM)
    assert deliver(engine, clock=clock, settings=settings).sent == 0
    assert smtp.sink.messages == []
    clock.now = goes_at.replace(tzinfo=STOCKHOLM) - timedelta(minutes=1)
    assert deliver(engine, clock=clock, settings=settings).sent == 0
    clock.now = goes_at.replace(tzinfo=STOCKHOLM)
    assert deliver(engine, clock=clock, settings=settings).sent == 1
    assert len(smtp.sink.messages) == 1
    with engine.connect() as conn:
        assert conn.execute(select(OUTBOX.c.status)).scalars().all() == ["sent"]


def test_sending_hours_are_refused_when_malformed() -> None:
    with pytest.raises(ValueError, match="mail_hours"):
        Settings(mail_hours="18-07")
    assert Settings(mail_hours="always").mail_hours == "always"
