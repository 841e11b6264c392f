"""E-mails say what they are about, what is asked, by when and what happens if it is missed, in Swedish,
with a link to the case; reminders and escalations say which rung they are. Sent through a real SMTP
server on loopback; the outbox keeps the text that was sent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import Engine, select

from tests.smtp_sink import Received, SmtpServer
from tests.world import Clock, World, build_world
from workflow.cases.opening import open_case
from workflow.clock import STOCKHOLM
from workflow.deadlines.sweep import sweep
from workflow.i18n import LOCALE_DIR
from workflow.notify.outbox import deliver
from workflow.schema.tables import OUTBOX
from workflow.settings import Settings

pytestmark = pytest.mark.integration
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def _settings(port: int, **kw: object) -> Settings:
    base: dict[str, object] = dict(
        smtp_host="127.0.0.1", smtp_port=port, mail_hours="07-18", public_url="https://uppfoljning.kommun.test/"
    )
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def _sent_request(w: World, due: str = "2026-03-13") -> int:
    actor = w.actor("NORTH", "contract_strategist")
    cid = open_case(
        w.wf,
        "rectification_request",
        actor,
        "deficiency",
        kind="supplementation",
        agreement_id=w.agreements["north_calloff"],
    ).case_id
    w.wf.fire(cid, "send", actor, "send", registry_number="NOR-2026-00042", params={"response_due": due})
    return cid


def _lines(msg: Received) -> list[str]:
    return [line for line in msg.body.replace("\r\n", "\n").split("\n") if line.strip()]


def _english_sentences() -> list[str]:
    """The English source sentences of the message templates, cut at their first placeholder."""
    with (LOCALE_DIR / "messages.pot").open("rb") as fh:
        catalogue = read_po(fh)
    out = []
    for m in catalogue:
        if m.id and any("notify/templates" in path for path, _ in m.locations):
            for text in m.id if isinstance(m.id, tuple) else (m.id,):
                head = re.split(r"%\(", text)[0].strip()
                if len(head) >= 6:
                    out.append(head)
    return out


def test_the_notice_of_a_sent_request_says_what_is_asked_by_when_and_what_follows(
    engine: Engine, smtp: SmtpServer
) -> None:
    clock = Clock(MONDAY)
    w = build_world(engine, clock)
    cid = _sent_request(w)
    assert deliver(engine, clock=clock, settings=_settings(smtp.port)).sent == 1
    [msg] = smtp.sink.messages
    assert (
        msg.subject == f"Ärende {cid} (Begäran om komplettering eller rättelse): Skicka till utföraren med svarsfrist"
    )
    assert _lines(msg) == [
        f"Ärende {cid} (Begäran om komplettering eller rättelse) gäller Acme Care AB, avtal NOR-2024-00001.",
        "Avtalsområde: HVB barn.",
        'Vad som hänt: Skicka till utföraren med svarsfrist (beslut NOR-2026-00042). Ärendet har nu status "Skickad".',
        "Vad som begärs: Utförarens svar, senast 2026-03-13.",
        'När fristen har gått ut får ärendet automatiskt status "Försenad".',
        f"Öppna ärendet i Uppföljning: https://uppfoljning.kommun.test/arenden/{cid}",
        "Meddelandet skickades av Uppföljning. Det nämner ingen enskild och innehåller inga uppgifter på individnivå.",
    ]
    assert msg.recipients == ["contract_strategist@north.test.invalid", "p0@provider.test.invalid"]


def test_reminders_and_escalations_say_which_rung_they_are(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(MONDAY)
    w = build_world(engine, clock)
    cid = _sent_request(w)
    settings = _settings(smtp.port)
    deliver(engine, clock=clock, settings=settings)
    for day in (10, 16):  # three days before the due date; the first working day of the overdue answer
        clock.now = datetime(2026, 3, day, 7, 0, 1, tzinfo=STOCKHOLM)
        sweep(engine, clock)
        deliver(engine, clock=clock, settings=settings)
    reminder, escalation = smtp.sink.messages[1:]
    assert reminder.subject == f"Påminnelse: Utförarens svar i ärende {cid}, sista dag 2026-03-13"
    assert _lines(reminder)[0] == "Påminnelse 1 av 2."
    assert "Vad som begärs: Utförarens svar, senast 2026-03-13 (om 3 dagar)." in _lines(reminder)
    assert escalation.subject.startswith(f"Eskalering: Försenat svar i ärende {cid}")
    assert _lines(escalation)[0] == "Eskalering, steg 1 av 3 i påminnelsetrappan."
    assert "Missas fristen eskaleras ärendet till: Enhetschef, Avdelningschef." in _lines(escalation)


def test_a_swedish_message_holds_no_english_sentence_of_the_templates(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(MONDAY)
    w = build_world(engine, clock)
    _sent_request(w)
    settings = _settings(smtp.port)
    deliver(engine, clock=clock, settings=settings)
    clock.now = datetime(2026, 3, 16, 7, 0, 1, tzinfo=STOCKHOLM)
    sweep(engine, clock)
    deliver(engine, clock=clock, settings=settings)
    english = _english_sentences()
    assert len(english) > 10
    for msg in smtp.sink.messages:
        text = msg.subject + "\n" + msg.body
        assert [s for s in english if s in text] == []


def test_the_outbox_keeps_the_text_that_was_sent(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(MONDAY)
    w = build_world(engine, clock)
    _sent_request(w)
    deliver(engine, clock=clock, settings=_settings(smtp.port))
    [msg] = smtp.sink.messages
    with engine.connect() as conn:
        row = conn.execute(select(OUTBOX.c.subject, OUTBOX.c.body, OUTBOX.c.status)).one()
    assert (row.status, row.subject) == ("sent", msg.subject)
    assert row.body.replace("\r\n", "\n") == msg.body.replace("\r\n", "\n")


def test_a_municipality_writes_its_own_templates(engine: Engine, smtp: SmtpServer, tmp_path: Path) -> None:
    (tmp_path / "transition.subject.txt").write_text("Från Norrstads kommun: ärende {{ f.case_id }}\n")
    clock = Clock(MONDAY)
    w = build_world(engine, clock)
    cid = _sent_request(w)
    deliver(engine, clock=clock, settings=_settings(smtp.port, message_templates_dir=str(tmp_path)))
    [msg] = smtp.sink.messages
    assert msg.subject == f"Från Norrstads kommun: ärende {cid}"
    assert "Vad som begärs: Utförarens svar, senast 2026-03-13." in _lines(msg)  # the body keeps the product's own


def test_english_messages_come_from_the_second_catalogue(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(MONDAY)
    w = build_world(engine, clock)
    cid = _sent_request(w)
    deliver(engine, clock=clock, settings=_settings(smtp.port, mail_locale="en"))
    [msg] = smtp.sink.messages
    assert f"Open the case in Uppföljning: https://uppfoljning.kommun.test/arenden/{cid}" in _lines(msg)
    assert "What is asked: " in msg.body and "Vad som begärs" not in msg.body


def test_no_message_goes_out_on_a_swedish_holiday(engine: Engine, smtp: SmtpServer) -> None:
    clock = Clock(datetime(2026, 4, 3, 10, 0, tzinfo=STOCKHOLM))  # Good Friday (långfredagen), 10:00
    w = build_world(engine, clock)
    _sent_request(w, "2026-04-30")
    assert deliver(engine, clock=clock, settings=_settings(smtp.port)).sent == 0
    clock.now = datetime(2026, 4, 7, 7, 0, tzinfo=STOCKHOLM)  # the Tuesday after Easter Monday
    assert deliver(engine, clock=clock, settings=_settings(smtp.port)).sent == 1
    assert date(2026, 4, 7).weekday() == 1
