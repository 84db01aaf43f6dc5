"""Thin Celery tasks for notifications. Their names start with ``spectrum_sync.tasks.notify_`` so the
route in spectrum_sync/celery.py sends them to the ``notifications`` queue, away from exports.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from celery.app.task import Task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from spectrum_sync.models import Tenant
from spectrum_sync.notifications import digest, emails
from spectrum_sync.notifications.api import enqueue_delivery
from spectrum_sync.notifications.models import EmailDelivery, NotificationEvent

logger = logging.getLogger(__name__)

# A delivery pending longer than this was probably never enqueued (broker down at commit time).
SWEEP_AFTER = timedelta(minutes=2)


@shared_task(name="spectrum_sync.tasks.notify_send", bind=True, max_retries=emails.MAX_ATTEMPTS)
def notify_send(self: Task, delivery_id: int) -> bool:
    """Send one email delivery (a second run finds it sent and does nothing)."""
    try:
        return emails.send_delivery(delivery_id)
    except emails.RetryableEmailError as exc:
        raise self.retry(exc=exc, countdown=exc.delay.total_seconds()) from exc


@shared_task(name="spectrum_sync.tasks.notify_sweep")
def notify_sweep() -> int:
    """Re-enqueue deliveries whose message was lost or whose sender died; returns how many."""
    now = timezone.now()
    never_sent = Q(next_attempt_at__isnull=True, created_at__lt=now - SWEEP_AFTER)
    retry_lost = Q(next_attempt_at__lt=now - SWEEP_AFTER)
    stuck = EmailDelivery.objects.filter(never_sent | retry_lost, status=EmailDelivery.Status.PENDING)
    expired = EmailDelivery.objects.filter(status=EmailDelivery.Status.SENDING, lease_expires_at__lt=now)
    ids = list(stuck.values_list("pk", flat=True)[:500]) + list(expired.values_list("pk", flat=True)[:500])
    for delivery_id in ids:
        enqueue_delivery(delivery_id)
    return len(ids)


@shared_task(name="spectrum_sync.tasks.notify_digests")
def notify_digests() -> int:
    """Create and send the daily digests that are due (safe to run every hour)."""
    ids = digest.build_digests()
    for delivery_id in ids:
        enqueue_delivery(delivery_id)
    return len(ids)


@shared_task(name="spectrum_sync.tasks.notify_approval_digests")
def notify_approval_digests() -> int:
    """Hourly: each tenant's approvers hear once a day, from their digest hour, what waits for approval."""
    from spectrum_sync.notifications.approvals import build_approval_digests

    ids = build_approval_digests()
    for delivery_id in ids:
        enqueue_delivery(delivery_id)
    return len(ids)


@shared_task(name="spectrum_sync.tasks.notify_health_checks")
def notify_health_checks() -> int:
    """Daily: one health check task per active tenant with a Spectrum connection."""
    tenant_ids = list(Tenant.objects.filter(active=True, connection__isnull=False).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        notify_health_check.delay(tenant_id)
    return len(tenant_ids)


@shared_task(name="spectrum_sync.tasks.notify_health_check")
def notify_health_check(tenant_id: int) -> bool:
    """Check one tenant's connection, store the result and alert; returns whether it is healthy."""
    from spectrum_sync.notifications.health import check_connection

    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return False
    return check_connection(tenant).ok


@shared_task(name="spectrum_sync.tasks.notify_late_polls")
def notify_late_polls() -> int:
    """Every few minutes: alert about polls that are late (cheap: reads the schedules only)."""
    from spectrum_sync.notifications.health import check_late_polls

    late = 0
    for tenant in Tenant.objects.filter(active=True, poll_schedules__enabled=True).distinct():
        late += not check_late_polls(tenant).ok
    return late


# How long the notification ledger is kept (setting NOTIFY_KEEP_DAYS).
def keep_for() -> timedelta:
    return timedelta(days=int(getattr(settings, "NOTIFY_KEEP_DAYS", 90)))


@shared_task(name="spectrum_sync.tasks.notify_prune")
def notify_prune() -> int:
    """Daily: forget events and finished emails older than the retention period; returns rows deleted."""
    cutoff = timezone.now() - keep_for()
    finished = (EmailDelivery.Status.SENT, EmailDelivery.Status.FAILED)
    deleted, _ = EmailDelivery.objects.filter(created_at__lt=cutoff, status__in=finished).delete()
    events, _ = NotificationEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted + events
