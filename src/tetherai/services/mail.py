"""E-mail to people: invitation and password-reset links, and notices about their keys.

With SMTP configured (``TETHER_SMTP_HOST``), one-time links go to the person's own address and
nowhere else: the org admin who asked for them never sees a usable secret. Without SMTP (a
single machine, a trial), the admin is shown the link and hands it over (SECURITY.md says what
that lets an admin do, and what the ledger then shows).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

from tetherai import errors

__all__ = [
    "BadAddress",
    "MailError",
    "MailFailed",
    "Mailer",
    "NoAddress",
    "SmtpMailer",
    "SmtpSettings",
    "check_address",
    "masked",
]

_ADDRESS = re.compile(r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
MAX_ADDRESS = 254


class MailError(errors.TetherError):
    """E-mail could not be sent, or not to that person.

    MailError               mail.error
    ├── MailFailed          mail.failed       503  the mail server did not take it: retry
    ├── BadAddress          mail.bad_address  422  not an e-mail address
    └── NoAddress           mail.no_address   409  the person has no address to send a link to
    """

    code = "mail.error"


class MailFailed(errors.Unavailable, MailError):
    code = "mail.failed"
    hint = "Check the server's SMTP settings and try again."


class BadAddress(errors.InvalidInput, MailError):
    code = "mail.bad_address"
    hint = "Give an address such as name@example.org."


class NoAddress(errors.Conflict, MailError):
    code = "mail.no_address"


def check_address(value: str) -> str:
    """A plausible e-mail address (one ``@``, a host name, no spaces), trimmed.

    Raises:
        BadAddress: it is not one.
    """
    value = value.strip()
    if len(value) > MAX_ADDRESS or not _ADDRESS.fullmatch(value) or "." not in value[-64:]:
        raise BadAddress(f"{value[:60]!r} is not an e-mail address")
    return value


def masked(address: str) -> str:
    """``e***@example.org``: enough to recognize an address, not to read it off a screen."""
    local, _, host = address.partition("@")
    return f"{local[:1]}***@{host}"


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str) -> None:
        """Hand a plain-text message for ``to`` to the mail server.

        Raises:
            MailFailed: the server refused it or could not be reached.
        """
        ...


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    sender: str = "tetherai@localhost"
    username: str = ""
    password: str = field(default="", repr=False)
    security: str = "starttls"
    """``starttls`` (upgrade a plain connection, port 587), ``tls`` (implicit TLS, port 465)
    or ``none`` (a relay on the same machine or network only)."""
    timeout_s: float = 10.0


class SmtpMailer:
    """Sends through an SMTP server (the standard library's client)."""

    def __init__(self, settings: SmtpSettings) -> None:
        if settings.security not in ("starttls", "tls", "none"):
            raise MailFailed(
                f"unknown SMTP security {settings.security!r}", hint="Use starttls, tls or none."
            )
        self._settings = settings

    def send(self, to: str, subject: str, text: str) -> None:
        settings = self._settings
        message = EmailMessage()
        message["From"] = settings.sender
        message["To"] = check_address(to)
        message["Subject"] = subject
        message.set_content(text)
        try:
            client: smtplib.SMTP
            if settings.security == "tls":
                client = smtplib.SMTP_SSL(
                    settings.host,
                    settings.port,
                    timeout=settings.timeout_s,
                    context=ssl.create_default_context(),
                )
            else:
                client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
            with client:
                if settings.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if settings.username:
                    client.login(settings.username, settings.password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailFailed(
                f"the mail server {settings.host}:{settings.port} did not take the message "
                f"({type(error).__name__})"
            ) from error
