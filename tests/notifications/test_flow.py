"""The real thing: a Celery worker process listening only on the notifications queue, Redis, PostgreSQL
and an SMTP server on loopback. An export that commits a failure gets its email; the same send task
delivered twice sends once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from spectrum_sync.celery import app
from spectrum_sync.notifications.api import notify_event
from spectrum_sync.notifications.models import EmailDelivery
from spectrum_sync.notifications.tasks import notify_send
from tests.notifications.conftest import SmtpServer
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def notifications_worker(smtp_server: SmtpServer) -> Iterator[WorkerProcess]:
    app.control.purge()  # messages left by earlier runs against another test database
    worker = WorkerProcess(
        "notifications",
        concurrency=1,  # one process: the queue is handled in order (see the marker below)
        extra_env={
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_server.port),
            "SITE_URL": "https://sync.example.test",
            "DEFAULT_FROM_EMAIL": "sync@example.test",
        },
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def wait_until(condition: Any, what: str, worker: WorkerProcess, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}; worker log:\n{worker.output()[-4000:]}")


def test_committed_failure_is_emailed_by_the_notifications_worker_once(
    tenant: Any, make_record: Any, make_rule: Any, smtp_server: SmtpServer, notifications_worker: WorkerProcess
) -> None:
    make_rule(recipients="ap@acme.test")
    with transaction.atomic():  # the export engine's transaction
        record = make_record(status="failed", error_code="I", error_message="Invalid Customer_Code")
        notify_event(tenant, "failed", record=record)
    delivery = EmailDelivery.objects.get()

    wait_until(lambda: EmailDelivery.objects.get().status == "sent", "the email to be sent", notifications_worker)
    # Deliver the same task twice more, as a redelivered message would.
    notify_send.delay(delivery.pk)
    notify_send.delay(delivery.pk)
    marker = EmailDelivery.objects.create(
        key="marker", tenant=tenant, kind="event", event=delivery.event, recipients="marker@acme.test"
    )
    notify_send.delay(marker.pk)  # processed after the duplicates by the same FIFO queue
    wait_until(lambda: EmailDelivery.objects.get(pk=marker.pk).status == "sent", "the marker", notifications_worker)

    to_ap = [m for m in smtp_server.messages if m.rcpt_tos == ["ap@acme.test"]]
    assert len(to_ap) == 1
    assert "failed in Spectrum" in to_ap[0].subject
    assert f"https://sync.example.test/admin/spectrum_sync/syncrecord/{record.pk}/change/" in to_ap[0].text


def test_rolled_back_export_sends_nothing(tenant: Any, make_record: Any, make_rule: Any) -> None:
    make_rule(recipients="ap@acme.test")
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_event(tenant, "failed", record=make_record(status="failed"))
        raise RuntimeError("the export failed after notifying")
    assert EmailDelivery.objects.count() == 0
