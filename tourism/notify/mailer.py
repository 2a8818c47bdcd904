"""Mail transports: how a finished `EmailMessage` leaves the application.

One method, `send(message) -> None`, which raises when the message was not accepted; the
outbox then keeps it and tries again later. `mail.transport` chooses the transport:

    smtp   (default) mail.host, mail.port, mail.username, mail.password,
           mail.starttls (false), mail.timeout (10 seconds)
    files  mail.directory: one .eml file per message, for development
"""
import os
import smtplib
import ssl
import uuid
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand the message on; raise if it was not accepted."""


class SMTPMailer:
    """Sends through an SMTP relay, one connection per message (the outbox sends few at a time)."""

    def __init__(self, host: str, port: int, username: str | None = None, password: str | None = None,
                 starttls: bool = False, timeout: float = 10):
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)

    def __repr__(self) -> str:
        return f"<SMTPMailer {self.host}:{self.port}>"


class FileMailer:
    """Writes each message to `<directory>/<UTC timestamp>-<uuid>.eml`, for development."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex}.eml"
        partial = path.with_suffix(".eml.part")
        partial.write_bytes(message.as_bytes())
        partial.replace(path)  # a mail client watching the folder never sees half a message

    def __repr__(self) -> str:
        return f"<FileMailer {self.directory}>"


def mailer_from_settings(settings: dict) -> Mailer:
    """The transport named by `mail.transport`; ConfigurationError for a bad value."""
    transport = settings.get("mail.transport") or "smtp"
    if transport == "files":
        return FileMailer(settings.get("mail.directory") or "var/mail")
    if transport != "smtp":
        raise ConfigurationError(
            f"Unknown mail.transport {transport!r}: use 'smtp' (send through mail.host) or "
            "'files' (write .eml files to mail.directory, for development)."
        )
    try:
        port = int(settings.get("mail.port") or 25)
        timeout = float(settings.get("mail.timeout") or 10)
    except ValueError as error:
        raise ConfigurationError(f"mail.port and mail.timeout must be numbers: {error}") from None
    return SMTPMailer(
        host=settings.get("mail.host") or "localhost",
        port=port,
        username=settings.get("mail.username") or None,
        password=settings.get("mail.password") or None,
        starttls=asbool(settings.get("mail.starttls", False)),
        timeout=timeout,
    )
