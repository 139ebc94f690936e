"""Outgoing mail: written to an outbox folder by default, sent by SMTP when one is configured.

Addresses may be internationalised (``用户@例子.广告``): messages are built with the SMTPUTF8 policy."""

from __future__ import annotations

import datetime as dt
import smtplib
import uuid
from email.message import EmailMessage
from email.policy import SMTPUTF8
from pathlib import Path
from typing import Protocol

from observatory.config import Settings


class Mailer(Protocol):
    """What sends the platform's mail."""

    def send(self, to: str, subject: str, body: str) -> None:
        """Send one plain-text message."""


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage(policy=SMTPUTF8)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg.set_content(body)
    return msg


class OutboxMailer:
    """Writes each message as an ``.eml`` file: the default, and what the tests read."""

    def __init__(self, folder: Path, sender: str):
        self.folder = folder
        self.sender = sender

    def send(self, to: str, subject: str, body: str) -> None:
        """Write the message to the outbox folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        (self.folder / name).write_bytes(_message(self.sender, to, subject, body).as_bytes())


class SmtpMailer:
    """Sends each message through an SMTP server (with STARTTLS when it offers it)."""

    def __init__(self, host: str, port: int, sender: str, username: str | None, password: str | None):
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password

    def send(self, to: str, subject: str, body: str) -> None:
        """Send the message through the server, signing in when a user name and password are set."""
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
            if self.username and self.password:
                smtp.login(self.username, self.password)
            smtp.send_message(_message(self.sender, to, subject, body))


def mailer_for(settings: Settings) -> Mailer:
    """SMTP when a server is configured, else the outbox folder in the platform's home."""
    if settings.smtp_host:
        return SmtpMailer(
            settings.smtp_host, settings.smtp_port, settings.mail_from, settings.smtp_user, settings.smtp_password
        )
    return OutboxMailer(settings.home / "outbox", settings.mail_from)
