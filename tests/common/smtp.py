"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the length of a test: what it receives is
what a person's mailbox would."""

from __future__ import annotations

import email
import email.policy
import queue
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from tests.common.server import free_port
from tetherai.services.mail import SmtpSettings


class _Inbox:
    """aiosmtpd's handler: every accepted message goes into a queue."""

    def __init__(self) -> None:
        self.received: queue.Queue[EmailMessage] = queue.Queue()

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.put(parsed)
        return "250 Message accepted for delivery"


@dataclass
class MailServer:
    settings: SmtpSettings
    inbox: _Inbox

    def next_message(self, timeout: float = 20) -> EmailMessage:
        """The next message the server accepted (waits for it)."""
        return self.inbox.received.get(timeout=timeout)

    def link(self, message: EmailMessage) -> str:
        """The one-time token of the link in a message."""
        body = message.get_body(("plain",))
        assert body is not None
        found = re.search(r"\?token=([A-Za-z0-9_-]+)", body.get_content())
        assert found, body.get_content()
        return found.group(1)

    def empty(self) -> bool:
        return self.inbox.received.empty()


@contextmanager
def running_mail_server() -> Iterator[MailServer]:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = SmtpSettings(
            host="127.0.0.1", port=port, sender="tetherai@example.org", security="none"
        )
        yield MailServer(settings, inbox)
    finally:
        controller.stop()
