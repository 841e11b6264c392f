"""The development mail sink (utvecklingspostlåda): a real SMTP server on loopback that keeps every message.

``uppfoljning serve`` in development starts it where the settings point mail (127.0.0.1:8025 by
default), so reminders and notices are delivered and can be read instead of piling up in the
outbox. Messages are stored as files in a Maildir (``.mail/`` beside the database by default),
which any mail reader opens and :func:`messages` lists for the staff interface.
"""

from __future__ import annotations

import mailbox
import socket
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class StoredMessage:
    """One message the sink received."""

    key: str
    subject: str
    sender: str
    recipients: str
    date: str
    body: str


class _Keeper:
    def __init__(self, box: mailbox.Maildir) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = mailbox.MaildirMessage(envelope.content)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.box.add(msg)
        return "250 2.0.0 kept by the development mail sink"


class DevMailSink:
    """An SMTP server on loopback storing what it receives in ``directory`` (a Maildir)."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.directory, self.host, self.port = directory, host, port
        self.box = mailbox.Maildir(directory, create=True)
        self._controller = Controller(_Keeper(self.box), hostname=host, port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


def port_free(host: str, port: int) -> bool:
    """Whether nothing listens on ``host:port`` yet."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) != 0


def smtp_reachable(host: str, port: int, timeout: float = 3.0) -> str | None:
    """None when an SMTP server answers at ``host:port``, otherwise why not (in plain words)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            greeting = s.recv(512)
            if greeting.startswith(b"220"):
                try:  # a polite goodbye, so the server logs no lost connection; its answer does not matter
                    s.sendall(b"QUIT\r\n")
                    s.recv(512)
                except OSError:
                    pass
    except OSError as exc:
        return f"nothing answers at {host}:{port} ({exc.strerror or exc})"
    if not greeting.startswith(b"220"):
        return f"{host}:{port} answers, but not as an SMTP server"
    return None


def messages(directory: Path, limit: int = 100) -> list[StoredMessage]:
    """The newest ``limit`` messages of the sink's Maildir, newest first."""
    if not directory.exists():
        return []
    box = mailbox.Maildir(directory, create=False)
    found = []
    for key in box.iterkeys():
        raw = box.get_bytes(key)
        msg = message_from_bytes(raw, policy=default_policy)
        body = msg.get_body(preferencelist=("plain",))
        found.append(
            StoredMessage(
                key,
                str(msg["Subject"] or ""),
                str(msg["From"] or ""),
                str(msg["X-Envelope-To"] or msg["To"] or ""),
                str(msg["Date"] or ""),
                body.get_content() if body is not None else "",
            )
        )
    found.sort(key=lambda m: (box.get_message(m.key).get_date(), m.key), reverse=True)
    return found[:limit]
