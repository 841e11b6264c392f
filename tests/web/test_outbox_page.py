"""Utskick: the outbox's incidents with send again and confirm delivered, and the development mail sink's messages."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, select

from tests.web.conftest import DEV_SETTINGS, Staff, csrf_of, staff_client
from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import Outbox

pytestmark = pytest.mark.integration
OUTBOX = Outbox.__table__  # type: ignore[attr-defined]


def _failed(staff: Staff, org: str, incident: str, subject: str) -> int:
    now = staff.clock()
    org_id = staff.org_id(org)

    def work(conn: Connection) -> int:
        return int(
            conn.execute(
                insert(OUTBOX)
                .values(
                    organisation_id=org_id,
                    dedupe_key=f"test-{subject}",
                    kind="reminder",
                    recipients=["x@example.invalid"],
                    subject=subject,
                    body="Påminnelse",
                    status="failed",
                    attempts=5,
                    next_attempt_at=now,
                    created_at=now,
                    incident=incident,
                    last_error="timeout",
                )
                .returning(OUTBOX.c.id)
            ).scalar_one()
        )

    return UnitOfWork(staff.engine, staff.clock).write(work)


def _status(staff: Staff, outbox_id: int) -> str:
    with staff.engine.connect() as conn:
        return str(conn.execute(select(OUTBOX.c.status).where(OUTBOX.c.id == outbox_id)).scalar_one())


@pytest.fixture
def mail_staff(staff: Staff, tmp_path: Path) -> Iterator[Staff]:
    """Staff on an application whose development mail sink holds one message."""
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = "Påminnelse: avvikelse 12", "noreply@example.invalid", "a@example.invalid"
    msg.set_content("Bevakningen går ut i morgon.")
    box.add(msg)
    settings = DEV_SETTINGS.model_copy(update={"dev_mail_dir": str(tmp_path / "mail")})
    settings.model_fields_set.add("environment")
    with staff_client(staff.engine, staff.clock, settings) as client:
        yield Staff(client, staff.engine, staff.clock)


def test_a_department_head_sees_the_incidents_and_sends_one_again_once(staff: Staff) -> None:
    retried = _failed(staff, "NORRMALM", "retries_exhausted", "Påminnelse A")
    _failed(staff, "SODERMALM", "retries_exhausted", "Annan nämnds påminnelse")
    staff.sign_in("norrmalm.avdelningschef")
    page = staff.client.get("/utskick")
    assert page.status_code == 200
    assert "Påminnelse A" in page.text and "Annan nämnds påminnelse" not in page.text
    assert 'href="/utskick"' in page.text  # in the navigation
    token = csrf_of(page.text)
    first = staff.client.post(f"/utskick/{retried}/skicka-igen", data={"_csrf_token": token}, follow_redirects=False)
    again = staff.client.post(f"/utskick/{retried}/skicka-igen", data={"_csrf_token": token}, follow_redirects=False)
    assert first.headers["location"] == "/utskick?klart=retry"
    assert again.headers["location"] == "/utskick?klart=gone"
    assert _status(staff, retried) == "pending"
    assert "Sparat: meddelandet skickas igen." in staff.client.get("/utskick?klart=retry").text


def test_an_uncertain_message_can_be_confirmed_delivered(staff: Staff) -> None:
    uncertain = _failed(staff, "NORRMALM", "uncertain", "Påminnelse B")
    staff.sign_in("norrmalm.avdelningschef")
    page = staff.client.get("/utskick")
    assert f'action="/utskick/{uncertain}/levererat"' in page.text
    res = staff.client.post(
        f"/utskick/{uncertain}/levererat", data={"_csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert res.headers["location"] == "/utskick?klart=confirm"
    assert _status(staff, uncertain) == "sent"


def test_a_case_worker_is_told_who_may_use_utskick_and_can_change_nothing(staff: Staff) -> None:
    failed = _failed(staff, "NORRMALM", "retries_exhausted", "Påminnelse C")
    staff.sign_in("norrmalm.strateg")
    page = staff.client.get("/utskick")
    assert page.status_code == 403
    assert "Utskick kräver rollen avdelningschef eller" in page.text
    assert 'href="/utskick"' not in staff.client.get("/oversikt").text
    res = staff.client.post(f"/utskick/{failed}/skicka-igen", data={"_csrf_token": csrf_of(page.text)})
    assert res.status_code == 403
    assert _status(staff, failed) == "failed"


def test_in_development_the_page_shows_the_mail_the_sink_kept(mail_staff: Staff) -> None:
    mail_staff.sign_in("norrmalm.avdelningschef")
    page = mail_staff.client.get("/utskick")
    assert "Påminnelse: avvikelse 12" in page.text and "Bevakningen går ut i morgon." in page.text
