"""The one write path for a document the platform sends: store it once, enqueue it after commit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from spectrum_sync.exports.engine import enqueue_on_commit
from spectrum_sync.models import Direction, SyncRecord, SyncStatus, Tenant


def accept(
    tenant: Tenant, object_type: str, platform_id: str, version: str, document: Mapping[str, Any]
) -> tuple[SyncRecord, bool]:
    """Store ``document`` as a pending sync record; the same (document, version) twice is one record.

    Returns the record and whether it was created now. The record is enqueued once this
    transaction commits (never before: a worker must find the row).
    """
    key = SyncRecord.make_idempotency_key(tenant.pk, Direction.EXPORT, object_type, platform_id, version)
    with transaction.atomic():
        record, created = SyncRecord.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "tenant": tenant,
                "direction": Direction.EXPORT,
                "object_type": object_type,
                "platform_id": platform_id,
                "version": version,
                "status": SyncStatus.PENDING,
                "payload": dict(document),
                "company_code": str(document.get("company_code") or "")[:3],
            },
        )
        if created:
            enqueue_on_commit(record.pk)
    return record, created
