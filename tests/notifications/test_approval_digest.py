"""The approvers' daily digest of what waits for approval, sent through a real SMTP server on loopback."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission

from spectrum_sync.adminsite.roles import ACCOUNTANT, MANAGER, sync_roles
from spectrum_sync.models import SyncStatus, Tenant
from spectrum_sync.notifications import emails
from spectrum_sync.notifications.approvals import approver_emails, build_approval_digests
from spectrum_sync.notifications.models import EmailDelivery
from spectrum_sync.notifications.tasks import notify_approval_digests
from tests.admin.world import make_user
from tests.notifications.conftest import SmtpServer

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
MORNING = datetime(2026, 3, 11, 8, 0, tzinfo=CHICAGO)


@pytest.fixture
def people(tenant: Tenant) -> Tenant:
    """Who approves Acme: its accountant. Not its manager, nor another tenant's accountant."""
    sync_roles()
    tenant.timezone = "America/Chicago"
    tenant.save()
    other = Tenant.objects.create(name="Bolt Electric", slug="bolt")
    make_user("ana", ACCOUNTANT, (tenant,))
    make_user("max", MANAGER, (tenant,))
    make_user("olga", ACCOUNTANT, (other,))
    nomail = make_user("nomail", ACCOUNTANT, (tenant,))
    nomail.email = ""
    nomail.save()
    granted = make_user("gus", None, (tenant,))
    granted.user_permissions.add(Permission.objects.get(codename="approve_syncrecord"))
    return tenant


def test_the_approvers_are_the_accountants_who_serve_the_tenant(people: Tenant) -> None:
    assert approver_emails(people) == ["ana@example.test", "gus@example.test"]


def test_approvers_get_one_digest_a_day_of_what_waits(
    people: Tenant, make_record: Any, smtp_server: SmtpServer
) -> None:
    make_record(platform_id="doc-1", document_number="", status=SyncStatus.AWAITING_APPROVAL)
    make_record(platform_id="doc-2", document_number="", status=SyncStatus.AWAITING_APPROVAL, object_type="job")
    make_record(platform_id="doc-3", status=SyncStatus.SUCCEEDED)  # decided long ago: not listed

    assert build_approval_digests(MORNING - timedelta(hours=3)) == []  # before 07:00 local nothing is due
    assert len(build_approval_digests(MORNING)) == 1
    assert build_approval_digests(MORNING + timedelta(hours=2)) == []  # the same day: no second email
    for pk in EmailDelivery.objects.filter(status="pending").values_list("pk", flat=True):
        assert emails.send_delivery(pk)

    [mail] = smtp_server.messages
    assert sorted(mail.rcpt_tos) == ["ana@example.test", "gus@example.test"]
    assert mail.subject == "[Spectrum Sync] Acme Mechanical: 2 documents wait for your approval (2026-03-11)"
    assert "AR invoice: 1" in mail.text and "Job: 1" in mail.text
    assert "doc-1" in mail.text and "doc-2" in mail.text and "doc-3" not in mail.text
    assert "https://sync.example.test/admin/spectrum_sync/approvalrule/queue/?tenant=" in mail.text
    assert "Open the approval queue" in mail.html and "you approve exports" in mail.html

    # The next morning, another digest.
    assert len(build_approval_digests(MORNING + timedelta(days=1))) == 1


def test_nothing_waiting_or_nobody_to_tell_means_no_email(people: Tenant, make_record: Any) -> None:
    make_record(status=SyncStatus.REJECTED)
    assert build_approval_digests(MORNING) == []  # negative control: nothing waits
    make_record(status=SyncStatus.AWAITING_APPROVAL)
    people.staff.clear()
    assert build_approval_digests(MORNING) == []  # nobody approves this tenant
    assert EmailDelivery.objects.count() == 0


def test_the_beat_task_makes_the_digest(
    people: Tenant, make_record: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spectrum_sync.notifications import tasks

    settings.NOTIFY_DIGEST_HOUR = 0  # due at any hour
    make_record(status=SyncStatus.AWAITING_APPROVAL)
    # Kept out of the broker: this test's transaction is rolled back, and a queued send for a
    # delivery that never existed would reach the next test's notifications worker.
    queued: list[int] = []
    monkeypatch.setattr(tasks, "enqueue_delivery", queued.append)
    assert notify_approval_digests.apply().result == 1
    assert notify_approval_digests.apply().result == 0
    assert len(queued) == 1
    assert "notify-approval-digests" in settings.CELERY_BEAT_SCHEDULE
