"""A real SMTP server on loopback (aiosmtpd) that records every message it accepts."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    message_id: str
    sender: str
    recipients: list[str]
    subject: str
    body: str


@dataclass
class Sink:
    """The handler: accepts, refuses with a given code, or refuses the first ``temporary_failures`` messages."""

    messages: list[Received] = field(default_factory=list)
    refuse_with: str | None = None
    temporary_failures: int = 0
    rcpt_delay: float = 0.0  # a slow server, slowed before the commit point (never after the final dot)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse_with:
                return self.refuse_with
            if self.temporary_failures > 0:
                self.temporary_failures -= 1
                return "451 4.3.0 try again later"
            msg = message_from_bytes(envelope.content, policy=default_policy)
            body = msg.get_body(preferencelist=("plain",))
            self.messages.append(
                Received(
                    str(msg["Message-ID"]),
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    str(msg["Subject"]),
                    body.get_content() if body is not None else "",
                )
            )
        return "250 2.0.0 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    """Start and stop a sink on a free loopback port."""

    def __init__(self) -> None:
        self.sink = Sink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
