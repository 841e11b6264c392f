"""Readiness says plainly when mail cannot go out: an SMTP server that does not answer, or an outbox
whose oldest due message has waited too long inside the sending hours. The database alone decides 503."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import Engine

from tests.smtp_sink import SmtpServer
from tests.world import Clock, build_world
from workflow.cases.opening import open_case
from workflow.clock import STOCKHOLM
from workflow.engine.uow import UnitOfWork
from workflow.health import SMTP_PROBE, mail_health
from workflow.settings import Settings

pytestmark = pytest.mark.integration
MONDAY_0900 = datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    SMTP_PROBE.forget()
    with SmtpServer() as server:
        yield server
    SMTP_PROBE.forget()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings(port: int, **kw: object) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=port, outbox_stale_minutes=60, **kw)  # type: ignore[arg-type]


def _one_message(engine: Engine, at: datetime) -> None:
    """A rectification request sent at ``at``: its notice to the provider waits in the outbox."""
    w = build_world(engine, Clock(at))
    actor = w.actor("NORTH", "contract_strategist")
    cid = open_case(
        w.wf,
        "rectification_request",
        actor,
        "deficiency",
        kind="supplementation",
        agreement_id=w.agreements["north_calloff"],
    ).case_id
    w.wf.fire(
        cid,
        "send",
        actor,
        "send",
        registry_number="NOR-2026-00001",
        params={"response_due": date(2026, 3, 20).isoformat()},
    )


def test_mail_is_fine_when_the_smtp_server_answers_and_nothing_waits(engine: Engine, smtp: SmtpServer) -> None:
    health = mail_health(UnitOfWork(engine), _settings(smtp.port), MONDAY_0900)
    assert (health.smtp_problem, health.pending, health.oldest_waiting_minutes, health.stale) == (None, 0, None, False)
    assert health.ok


def test_an_smtp_server_that_does_not_answer_is_named(engine: Engine) -> None:
    SMTP_PROBE.forget()
    port = _free_port()
    health = mail_health(UnitOfWork(engine), _settings(port), MONDAY_0900)
    assert health.smtp_problem is not None and f"nothing answers at 127.0.0.1:{port}" in health.smtp_problem
    assert not health.ok
    SMTP_PROBE.forget()


def test_a_message_due_for_two_hours_inside_the_sending_hours_is_stale(engine: Engine, smtp: SmtpServer) -> None:
    _one_message(engine, MONDAY_0900)
    health = mail_health(UnitOfWork(engine), _settings(smtp.port), datetime(2026, 3, 2, 11, 0, tzinfo=STOCKHOLM))
    assert (health.pending, health.oldest_waiting_minutes, health.stale) == (1, 120, True)
    fresh = mail_health(UnitOfWork(engine), _settings(smtp.port), datetime(2026, 3, 2, 9, 45, tzinfo=STOCKHOLM))
    assert (fresh.oldest_waiting_minutes, fresh.stale) == (45, False)


def test_a_message_held_over_the_weekend_is_not_stale_until_the_sending_hours_have_run(
    engine: Engine, smtp: SmtpServer
) -> None:
    _one_message(engine, datetime(2026, 3, 6, 19, 0, tzinfo=STOCKHOLM))  # Friday evening, after the sending hours
    uow, settings = UnitOfWork(engine), _settings(smtp.port)
    saturday = mail_health(uow, settings, datetime(2026, 3, 7, 12, 0, tzinfo=STOCKHOLM))
    assert (saturday.pending, saturday.oldest_waiting_minutes, saturday.stale) == (1, None, False)
    monday = mail_health(uow, settings, datetime(2026, 3, 9, 7, 30, tzinfo=STOCKHOLM))
    assert (monday.oldest_waiting_minutes, monday.stale) == (30, False)  # counted from 07:00, not Friday
    later = mail_health(uow, settings, datetime(2026, 3, 9, 8, 1, tzinfo=STOCKHOLM))
    assert (later.oldest_waiting_minutes, later.stale) == (61, True)
