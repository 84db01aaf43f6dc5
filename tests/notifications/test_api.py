"""notify_event: records the event, makes one delivery per matching rule, sends only after commit,
and never breaks the caller's flow."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from spectrum_sync.models import SyncRun
from spectrum_sync.notifications import api
from spectrum_sync.notifications.api import notify_event
from spectrum_sync.notifications.models import EmailDelivery, NotificationEvent

pytestmark = pytest.mark.django_db


def test_failure_makes_one_delivery_per_matching_rule(
    tenant: Any, make_record: Any, make_rule: Any, django_capture_on_commit_callbacks: Any
) -> None:
    failures = make_rule(name="Accounting", events=["failed", "held"], object_types=["ar_invoice"])
    make_rule(name="Jobs only", events=["failed"], object_types=["job"], recipients="pm@acme.test")
    make_rule(name="Successes", events=["succeeded"], recipients="ops@acme.test")
    make_rule(name="Digest", events=["failed"], delivery="digest", recipients="daily@acme.test")
    record = make_record(status="failed", error_code="I", error_message="Invalid customer", error_column="Customer")

    with django_capture_on_commit_callbacks() as callbacks:
        notify_event(tenant, "failed", record=record)

    deliveries = list(EmailDelivery.objects.all())
    assert [(d.rule_id, d.recipient_list) for d in deliveries] == [
        (failures.pk, ["ap@acme.test", "controller@acme.test"])
    ]
    assert len(callbacks) == 1  # sending waits for the commit
    event = NotificationEvent.objects.get()
    assert event.detail["error_message"] == "Invalid customer"
    assert event.detail["document_number"] == record.document_number


def test_same_outcome_reported_twice_is_one_email(tenant: Any, make_record: Any, make_rule: Any) -> None:
    make_rule()
    record = make_record(status="failed", error_code="I", error_message="Invalid customer")
    notify_event(tenant, "failed", record=record)
    notify_event(tenant, "failed", record=record)
    assert EmailDelivery.objects.count() == 1
    # A later attempt that fails again is news.
    record.attempt_count = 2
    record.save()
    notify_event(tenant, "failed", record=record)
    assert EmailDelivery.objects.count() == 2


def test_poll_failure_matches_rule_by_object_type(tenant: Any, make_rule: Any) -> None:
    make_rule(events=["poll_failed"], object_types=["customer"])
    run = SyncRun.objects.create(tenant=tenant, object_type="vendor", status="failed", error="timeout")
    notify_event(tenant, "poll_failed", run=run)
    assert EmailDelivery.objects.count() == 0
    run = SyncRun.objects.create(tenant=tenant, object_type="customer", status="failed", error="timeout")
    notify_event(tenant, "poll_failed", run=run)
    assert EmailDelivery.objects.get().event.run == run  # type: ignore[union-attr]


def test_unknown_event_is_ignored_not_raised(tenant: Any, make_rule: Any) -> None:
    make_rule(events=["failed"])
    notify_event(tenant, "exploded")
    assert NotificationEvent.objects.count() == 0


def test_a_broken_notification_never_breaks_the_callers_transaction(
    tenant: Any, make_record: Any, make_rule: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a database error inside notify_event (which aborts a PostgreSQL transaction) is contained."""
    make_rule()
    record = make_record(status="failed", error_message="Invalid customer")

    def failing_snapshot(*args: Any, **kwargs: Any) -> dict[str, Any]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
        return {}

    monkeypatch.setattr(api, "snapshot", failing_snapshot)
    with transaction.atomic():
        notify_event(tenant, "failed", record=record)
        # The caller carries on in the same transaction and its work is kept.
        record.error_message = "still saved"
        record.save()
    record.refresh_from_db()
    assert record.error_message == "still saved"
    assert NotificationEvent.objects.count() == 0


def test_unsaved_tenant_is_contained(make_rule: Any) -> None:
    from spectrum_sync.models import Tenant

    notify_event(Tenant(name="Ghost", slug="ghost"), "failed")
    assert NotificationEvent.objects.count() == 0
