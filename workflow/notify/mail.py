"""SMTP delivery in two steps (e-post): stage a message, then commit it with the final dot.

The server accepts a message only when it reads the line with the lone dot that ends DATA;
a connection that drops before it makes the server discard the message (RFC 5321 §4.1.1.4).
Splitting delivery at that point lets the outbox record a durable "committing" mark just
before the one moment after which a crash leaves delivery in doubt.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime

from workflow.settings import Settings


class DeliveryError(Exception):
    """The server did not take the message; ``permanent`` when retrying cannot help (5xx)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class DeliveryUncertain(Exception):
    """The final dot was sent but no answer came back: the server may or may not have the message."""


@dataclass(frozen=True, slots=True)
class Mail:
    """One message to send."""

    message_id: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    date: datetime


def message_id(outbox_id: int, dedupe_key: str, sender: str) -> str:
    """The Message-ID of one outbox row: stable, so a duplicate would be recognisable downstream."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:16]
    domain = sender.rsplit("@", 1)[-1] or "uppfoljning.invalid"
    return f"<uppf.{outbox_id}.{digest}@{domain}>"


def render(mail: Mail, sender: str) -> bytes:
    """The message as bytes with CRLF line ends."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = sender
    msg["To"] = ", ".join(mail.recipients)
    msg["Subject"] = mail.subject
    msg["Message-ID"] = mail.message_id
    msg["Date"] = format_datetime(mail.date)
    msg.set_content(mail.body)
    return msg.as_bytes()


_DOT = re.compile(rb"(?m)^\.")


class SmtpSession:
    """One connection to the SMTP server that delivers messages one after another."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sender = settings.mail_from
        timeout = settings.smtp_timeout_seconds
        try:
            if settings.smtp_tls:
                self.smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.smtp_host, settings.smtp_port, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                self.smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
            # The final dot is a tiny write after the body: without TCP_NODELAY, Nagle and delayed ACKs hold it
            # back about 40 ms, which both slows delivery and widens the window in which a crash leaves it in doubt.
            if self.smtp.sock is not None:
                self.smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.smtp.ehlo()
            if settings.smtp_starttls:
                self.smtp.starttls(context=ssl.create_default_context())
                self.smtp.ehlo()
            if settings.smtp_username:
                self.smtp.login(settings.smtp_username, settings.smtp_password or "")
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP server refused the session: {exc.smtp_code}", exc.smtp_code >= 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"cannot reach the SMTP server: {type(exc).__name__}") from exc
        self._staged = False

    def stage(self, mail: Mail) -> list[str]:
        """Send everything but the final dot; return the recipients the server refused."""
        data = render(mail, self.sender)
        try:
            code, _ = self.smtp.mail(self.sender)
            if code != 250:
                self._reset()
                raise DeliveryError(f"sender refused ({code})", code >= 500)
            refused: list[str] = []
            last = 0
            for rcpt in mail.recipients:
                code, _ = self.smtp.rcpt(rcpt)
                if code not in (250, 251):
                    refused.append(rcpt)
                    last = code
            if len(refused) == len(mail.recipients):
                self._reset()
                raise DeliveryError(f"every recipient refused ({last})", last >= 500)
            self.smtp.putcmd("data")
            code, _ = self.smtp.getreply()
            if code != 354:
                self._reset()
                raise DeliveryError(f"DATA refused ({code})", code >= 500)
            body = _DOT.sub(b"..", data)
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            self.smtp.send(body)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP session failed before handing the message over: {type(exc).__name__}") from exc
        self._staged = True
        return refused

    def commit(self) -> None:
        """Send the final dot; return when the server took the message, raise if it did not."""
        if not self._staged:
            raise RuntimeError("nothing staged")
        self._staged = False
        try:
            self.smtp.send(b".\r\n")
            code, reply = self.smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryUncertain(f"no answer after the message was handed over: {type(exc).__name__}") from exc
        if code != 250:
            raise DeliveryError(f"message refused ({code}): {reply[:200].decode(errors='replace')}", code >= 500)

    def _reset(self) -> None:
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        """Drop the connection; a staged message without its final dot is discarded by the server."""
        with contextlib.suppress(OSError):
            self.smtp.close()

    def quit(self) -> None:
        """End the session politely."""
        try:
            self.smtp.quit()
        except (OSError, smtplib.SMTPException):
            self.close()
