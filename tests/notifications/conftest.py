"""A real SMTP server on loopback (aiosmtpd) and small helpers for notification tests."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.fixtures_spectrum import spectrum_simulator  # noqa: F401 (fixture for the health checks)
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401 (fixture for the database health checks)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())


@dataclass
class CollectingHandler:
    """Keeps every message; while ``refuse`` is set, answers DATA with a temporary failure."""

    received: list[Received] = field(default_factory=list)
    refuse: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        if self.refuse:
            return "451 4.3.0 Mail server temporarily unavailable"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    handler: CollectingHandler
    port: int

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """Started on a free loopback port; Django's SMTP backend pointed at it."""
    handler = CollectingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "https://sync.example.test"
    settings.DEFAULT_FROM_EMAIL = "Spectrum Sync <sync@example.test>"
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()


@pytest.fixture
def make_record(tenant: Any) -> Any:
    from spectrum_sync.models import SyncRecord

    counter = iter(range(1, 10_000))

    def make(**fields: Any) -> SyncRecord:
        n = next(counter)
        values: dict[str, Any] = {
            "tenant": tenant,
            "direction": "export",
            "object_type": "ar_invoice",
            "platform_id": f"inv-{n}",
            "version": "1",
            "document_number": f"INV-{1000 + n}",
            "company_code": "AC1",
        }
        values.update(fields)
        values.setdefault(
            "idempotency_key",
            SyncRecord.make_idempotency_key(
                tenant.pk, values["direction"], values["object_type"], values["platform_id"], values["version"]
            ),
        )
        return SyncRecord.objects.create(**values)

    return make


@pytest.fixture
def make_rule(tenant: Any) -> Any:
    from spectrum_sync.notifications.models import NotificationRule

    def make(**fields: Any) -> NotificationRule:
        values: dict[str, Any] = {
            "tenant": tenant,
            "name": "Accounting",
            "events": ["failed"],
            "recipients": "ap@acme.test, controller@acme.test",
        }
        values.update(fields)
        return NotificationRule.objects.create(**values)

    return make
