"""The monthly reconciliation as Celery tasks. Their names start with ``spectrum_sync.tasks.notify_`` so
the route in spectrum_sync/celery.py sends them to the ``notifications`` queue, away from exports.
Loaded by the workers through ``CELERY_IMPORTS`` (settings).
"""

from __future__ import annotations

import smtplib

from celery import shared_task
from celery.app.task import Task

from spectrum_sync.models import Tenant
from spectrum_sync.reconciliation import mailing

RETRY_SECONDS = 600


@shared_task(name="spectrum_sync.tasks.notify_reconciliations")
def notify_reconciliations() -> int:
    """Beat, on the 1st: one task per active tenant with a Spectrum connection; returns how many."""
    tenant_ids = list(Tenant.objects.filter(active=True, connection__isnull=False).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        notify_reconciliation.delay(tenant_id)
    return len(tenant_ids)


@shared_task(name="spectrum_sync.tasks.notify_reconciliation", bind=True, max_retries=6)
def notify_reconciliation(self: Task, tenant_id: int) -> int:
    """Reconcile the previous month of one tenant's companies and email each report once."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return 0
    try:
        return len(mailing.monthly(tenant))
    except (smtplib.SMTPException, OSError) as exc:  # the report is stored; only the email waits
        raise self.retry(exc=exc, countdown=RETRY_SECONDS) from exc
