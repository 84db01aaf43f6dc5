"""Each kind of email, delivered to a real SMTP server on loopback."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from spectrum_sync.models import SyncRun
from spectrum_sync.notifications import emails
from spectrum_sync.notifications.api import notify_event
from spectrum_sync.notifications.digest import build_digests
from spectrum_sync.notifications.models import EmailDelivery, Escalation, NotificationEvent
from spectrum_sync.notifications.tasks import notify_digests, notify_prune, notify_send, notify_sweep
from tests.notifications.conftest import SmtpServer, free_port

pytestmark = pytest.mark.django_db


def answered_by_spectrum(record: Any, outcome: str = "rejected") -> None:
    """The attempt in which Spectrum gave the record's error (what the export engine records)."""
    record.attempts.create(number=1, outcome=outcome, service="customer/invoice", error_code=record.error_code)


def send_pending() -> int:
    sent = 0
    for pk in EmailDelivery.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True):
        sent += emails.send_delivery(pk)
    return sent


def test_failure_email_names_document_error_in_plain_words_and_links_to_record(
    tenant: Any, make_record: Any, make_rule: Any, smtp_server: SmtpServer
) -> None:
    make_rule(events=["failed"], recipients="ap@acme.test, controller@acme.test")
    record = make_record(
        status="failed",
        document_number="INV-2041",
        error_code="A",
        error_message="Authorization ID not authorized for this service",
    )
    answered_by_spectrum(record, "authorization")
    notify_event(tenant, "failed", record=record)
    assert send_pending() == 1

    [mail] = smtp_server.messages
    assert sorted(mail.rcpt_tos) == ["ap@acme.test", "controller@acme.test"]
    assert mail.mail_from == "sync@example.test"
    assert mail.subject == "[Spectrum Sync] Acme Mechanical: AR invoice INV-2041 failed in Spectrum"
    link = f"https://sync.example.test/admin/spectrum_sync/syncrecord/{record.pk}/change/"
    assert "Spectrum did not accept AR invoice INV-2041." in mail.text
    assert "Spectrum answered: [A] Authorization ID not authorized for this service" in mail.text
    assert "Authorized Web Services" in mail.text  # the plain-words explanation of an A abort
    assert f"Open the record: {link}" in mail.text
    assert f'href="{link}"' in mail.html
    delivery = EmailDelivery.objects.get()
    assert delivery.status == "sent" and delivery.subject == mail.subject


def test_a_problem_our_pre_flight_found_is_not_said_to_come_from_spectrum(
    tenant: Any, make_record: Any, make_rule: Any, smtp_server: SmtpServer
) -> None:
    make_rule(events=["failed"], recipients="ap@acme.test")
    record = make_record(status="failed", document_number="INV-77", error_code="I", error_message="Job 99 is closed")
    notify_event(tenant, "failed", record=record)  # no attempt: nothing was ever sent
    assert send_pending() == 1

    [mail] = smtp_server.messages
    assert "AR invoice INV-77 failed before it was sent to Spectrum." in mail.text
    assert "Found before sending (pre-flight): [I] Job 99 is closed" in mail.text
    assert "Spectrum did not accept" not in mail.text and "Spectrum answered" not in mail.text
    assert "Spectrum did not accept" not in mail.html


def test_send_task_run_twice_sends_one_email(
    tenant: Any, make_record: Any, make_rule: Any, smtp_server: SmtpServer
) -> None:
    make_rule()
    notify_event(tenant, "failed", record=make_record(status="failed", error_message="Invalid job"))
    delivery = EmailDelivery.objects.get()
    notify_send.apply(args=(delivery.pk,))
    notify_send.apply(args=(delivery.pk,))
    assert len(smtp_server.messages) == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempt_count == 1


def test_held_succeeded_and_recovered_emails(
    tenant: Any, make_record: Any, make_rule: Any, smtp_server: SmtpServer
) -> None:
    make_rule(name="Compliance", events=["held", "succeeded", "recovered"], object_types=["job"], recipients="c@a.test")
    job = make_record(
        object_type="job",
        document_number="24-1017",
        status="held",
        held_reason="Customer C-88 is not in Spectrum yet; the job is sent when it arrives.",
    )
    notify_event(tenant, "held", record=job)
    notify_event(tenant, "succeeded", record=make_record(object_type="job", document_number="24-1018"))
    notify_event(tenant, "recovered", record=make_record(object_type="job", document_number="24-1019"))
    notify_event(tenant, "failed", record=make_record(object_type="job", status="failed"))  # not asked for
    assert send_pending() == 3

    by_subject = {m.subject: m for m in smtp_server.messages}
    assert set(by_subject) == {
        "[Spectrum Sync] Acme Mechanical: Job 24-1017 is held",
        "[Spectrum Sync] Acme Mechanical: Job 24-1018 is in Spectrum",
        "[Spectrum Sync] Acme Mechanical: Job 24-1019 went through after failing",
    }
    held = by_subject["[Spectrum Sync] Acme Mechanical: Job 24-1017 is held"]
    assert held.rcpt_tos == ["c@a.test"]
    assert "Customer C-88 is not in Spectrum yet" in held.text
    assert (
        "Job 24-1018 reached Spectrum."
        in by_subject["[Spectrum Sync] Acme Mechanical: Job 24-1018 is in Spectrum"].text
    )


def test_poll_failed_email(tenant: Any, make_rule: Any, smtp_server: SmtpServer) -> None:
    make_rule(events=["poll_failed"], recipients="it@acme.test")
    run = SyncRun.objects.create(
        tenant=tenant, object_type="vendor", status="failed", error="Spectrum did not answer within 60 s"
    )
    notify_event(tenant, "poll_failed", run=run)
    send_pending()
    [mail] = smtp_server.messages
    assert mail.subject == "[Spectrum Sync] Acme Mechanical: Vendor poll failed"
    assert "Spectrum did not answer within 60 s" in mail.text
    assert mail.rcpt_tos == ["it@acme.test"]


def test_poll_and_exports_recovered_emails(tenant: Any, make_rule: Any, smtp_server: SmtpServer) -> None:
    make_rule(events=["recovered"], recipients="it@acme.test")
    run = SyncRun.objects.create(tenant=tenant, object_type="customer", status="succeeded")
    notify_event(tenant, "recovered", run=run)  # a poll succeeded after a failed one
    notify_event(tenant, "recovered")  # the connection hold on exports was released
    send_pending()
    by_subject = {m.subject: m for m in smtp_server.messages}
    poll = by_subject["[Spectrum Sync] Acme Mechanical: Customer poll works again"]
    assert "Reading Customer records from Spectrum works again" in poll.text
    exports = by_subject["[Spectrum Sync] Acme Mechanical: exports to Spectrum resumed"]
    assert "held documents are being sent again" in exports.text


def test_smtp_refusing_keeps_the_export_going_and_retries_later(
    tenant: Any, make_record: Any, make_rule: Any, smtp_server: SmtpServer
) -> None:
    make_rule()
    smtp_server.handler.refuse = True
    with transaction.atomic():  # the export's own transaction
        record = make_record(status="failed", error_message="Invalid customer")
        notify_event(tenant, "failed", record=record)
    delivery = EmailDelivery.objects.get()
    with pytest.raises(emails.RetryableEmailError):
        emails.send_delivery(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "pending" and "451" in delivery.last_error
    assert delivery.next_attempt_at is not None and delivery.next_attempt_at > timezone.now()
    assert notify_sweep.apply().result == 0  # the task's own retry is due: the sweeper leaves it alone

    smtp_server.handler.refuse = False
    assert emails.send_delivery(delivery.pk) is True
    assert len(smtp_server.messages) == 1


def test_smtp_server_down_gives_up_after_bounded_attempts(
    tenant: Any, make_record: Any, make_rule: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    make_rule()
    notify_event(tenant, "failed", record=make_record(status="failed", error_message="Invalid customer"))
    delivery = EmailDelivery.objects.get()
    for _ in range(emails.MAX_ATTEMPTS - 1):
        with pytest.raises(emails.RetryableEmailError):
            emails.send_delivery(delivery.pk)
    assert emails.send_delivery(delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "ConnectionRefusedError" in delivery.last_error


def test_escalation_when_tenant_keeps_failing_then_recovered_when_it_clears(
    tenant: Any, make_record: Any, make_rule: Any, smtp_server: SmtpServer, settings: Any
) -> None:
    settings.NOTIFY_ESCALATION_FAILURES = 3
    make_rule(events=["failed"], delivery="digest", recipients="controller@acme.test")
    for n in range(5):
        notify_event(tenant, "failed", record=make_record(status="failed", error_message=f"Invalid GL {n}"))
    assert Escalation.objects.filter(closed_at__isnull=True).count() == 1
    notify_event(tenant, "succeeded", record=make_record(status="succeeded"))
    notify_event(tenant, "succeeded", record=make_record(status="succeeded"))
    send_pending()

    subjects = [m.subject for m in smtp_server.messages]
    assert subjects == [
        "[Spectrum Sync] Acme Mechanical keeps failing: 3 failures in the last 60 minutes",
        "[Spectrum Sync] Acme Mechanical has recovered: syncs go through again",
    ]
    escalation, recovered = smtp_server.messages
    assert escalation.rcpt_tos == ["controller@acme.test"]
    assert "Invalid GL 2" in escalation.text and "/admin/spectrum_sync/syncrecord/" in escalation.text
    assert "syncs are going through to Spectrum again" in recovered.text
    # One more failure right after the recovery does not escalate again at once.
    notify_event(tenant, "failed", record=make_record(status="failed"))
    assert Escalation.objects.filter(closed_at__isnull=True).count() == 0


def test_a_success_of_one_kind_does_not_clear_an_escalation_while_another_kind_keeps_failing(
    tenant: Any, make_record: Any, make_rule: Any, smtp_server: SmtpServer, settings: Any
) -> None:
    settings.NOTIFY_ESCALATION_FAILURES = 3
    make_rule(events=["failed"], delivery="digest", recipients="controller@acme.test")
    for n in range(2):
        notify_event(tenant, "failed", record=make_record(status="failed", error_message=f"Invalid GL {n}"))
    notify_event(tenant, "failed", record=make_record(object_type="job", status="failed", error_message="Bad job"))
    assert Escalation.objects.filter(closed_at__isnull=True).count() == 1
    # Invoices go through again, jobs still fail: still escalated, no "recovered" email.
    notify_event(tenant, "succeeded", record=make_record(status="succeeded"))
    assert Escalation.objects.filter(closed_at__isnull=True).count() == 1
    # Once a job goes through too, the tenant has recovered.
    notify_event(tenant, "succeeded", record=make_record(object_type="job", status="succeeded"))
    assert Escalation.objects.filter(closed_at__isnull=True).count() == 0
    send_pending()
    assert [m.subject.split(":")[0] for m in smtp_server.messages] == [
        "[Spectrum Sync] Acme Mechanical keeps failing",
        "[Spectrum Sync] Acme Mechanical has recovered",
    ]


def test_daily_digest_lists_succeeded_failed_and_held(
    tenant: Any, make_record: Any, make_rule: Any, smtp_server: SmtpServer
) -> None:
    tenant.timezone = "America/Chicago"
    tenant.save()
    rule = make_rule(
        name="Daily", events=["succeeded", "failed", "held"], delivery="digest", recipients="owner@acme.test"
    )
    chicago = ZoneInfo("America/Chicago")
    now = datetime(2026, 3, 11, 8, 0, tzinfo=chicago)
    yesterday = datetime(2026, 3, 10, 15, 0, tzinfo=chicago)
    make_record(document_number="INV-1", status="succeeded", finished_at=yesterday)
    make_record(document_number="INV-2", status="succeeded", finished_at=yesterday - timedelta(days=1))  # older
    answered_by_spectrum(
        make_record(
            document_number="INV-3", status="failed", finished_at=yesterday, error_code="M", error_message="Missing Job"
        )
    )
    make_record(object_type="job", document_number="24-7", status="held", held_reason="Waiting for customer C-9")

    assert len(build_digests(now)) == 1
    assert build_digests(now) == []  # run again (or every hour): no second digest
    assert build_digests(now - timedelta(hours=3)) == []  # before 07:00 local nothing is due
    send_pending()

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["owner@acme.test"]
    assert mail.subject == (
        "[Spectrum Sync] Acme Mechanical: daily digest for 2026-03-10: 1 succeeded, 1 failed, 1 held"
    )
    text = mail.text
    assert "SUCCEEDED: 1" in text and "AR invoice INV-1" in text and "INV-2" not in text
    assert "FAILED: 1" in text and "AR invoice INV-3: Spectrum needs a value that was not sent" in text
    assert "Spectrum answered: [M] Missing Job" in text
    assert "STILL HELD: 1" in text and "Job 24-7: Waiting for customer C-9" in text
    assert EmailDelivery.objects.get().key == f"digest:{rule.pk}:2026-03-10"


def test_digest_task_and_sweeper_are_safe_to_repeat(
    tenant: Any, make_record: Any, make_rule: Any, smtp_server: SmtpServer
) -> None:
    make_rule(events=["held"], delivery="digest")
    make_record(status="held", held_reason="Waiting for job 24-1")
    notify_digests.apply()
    notify_digests.apply()
    assert EmailDelivery.objects.count() == (1 if timezone.now().hour >= 7 else 0)
    # A delivery whose message never reached the broker is picked up by the sweeper.
    EmailDelivery.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    for delivery in EmailDelivery.objects.all():
        emails.send_delivery(delivery.pk)
    assert notify_sweep.apply().result == 0  # nothing left pending


def test_prune_forgets_old_events_and_finished_emails(tenant: Any, make_record: Any, make_rule: Any) -> None:
    make_rule()
    notify_event(tenant, "failed", record=make_record(status="failed"))
    notify_event(tenant, "failed", record=make_record(status="failed"))
    old = timezone.now() - timedelta(days=120)
    NotificationEvent.objects.update(created_at=old)
    EmailDelivery.objects.update(created_at=old)
    EmailDelivery.objects.filter(pk=EmailDelivery.objects.order_by("pk").first().pk).update(status="sent")  # type: ignore[union-attr]
    assert notify_prune.apply().result == 3  # two events, one sent email; the unsent one stays
    assert list(EmailDelivery.objects.values_list("status", flat=True)) == ["pending"]
