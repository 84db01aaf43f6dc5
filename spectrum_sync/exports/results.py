"""Telling the platform what became of an export: one signed ``export-results`` delivery per outcome.

The delivery id names the outcome (record, status, attempt), so a repeat after a crash is a
duplicate the platform ignores. Each result carries what Spectrum holds when the export was read
back (docs/architecture.md#read-back): its number, total, tax and line count.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from spectrum_sync import connections
from spectrum_sync.catalogue import EXPORTS
from spectrum_sync.enqueue import EXPORT_RESULT
from spectrum_sync.enqueue import send as send_task
from spectrum_sync.models import SyncRecord, SyncStatus

logger = logging.getLogger(__name__)

# What the platform is told of: the outcomes, a read-back that takes longer than a glance, and
# approval: waiting for an accountant, or rejected by one (with the comment).
TOLD = (
    SyncStatus.SUCCEEDED,
    SyncStatus.FAILED,
    SyncStatus.HELD,
    SyncStatus.BYPASSED,
    SyncStatus.CONFIRMING,
    SyncStatus.AWAITING_APPROVAL,
    SyncStatus.REJECTED,
)
# Statuses the notification rules hear of (the others are no event of theirs).
NOT_NOTIFIED = (SyncStatus.CONFIRMING, SyncStatus.AWAITING_APPROVAL, SyncStatus.REJECTED)


def listeners() -> dict[str, Any]:
    """Annotations for the query that reads a record: whether its tenant has notification rules or
    an open escalation, so that :func:`after_outcome` need not ask (notifications.api)."""
    from spectrum_sync.notifications.api import listening_annotations

    return listening_annotations()


def alone(record: SyncRecord, status: str) -> bool:
    """The outcome's notification is its event row only (no rule, no escalation: the record was
    read with :func:`listeners`): the move and that row need no transaction around them. Were the
    worker to die between the two, only an event nobody listens for would be missing."""
    from spectrum_sync.notifications.api import nobody_listens

    return status not in NOT_NOTIFIED and nobody_listens(record, str(status))


def after_outcome(record: SyncRecord, status: str) -> None:
    """Tell the notification rules and, once the outcome is committed, the platform (the record in
    hand is what was committed: it is not read again)."""
    from spectrum_sync.notifications.api import notify_event

    if status not in NOT_NOTIFIED:
        notify_event(record.tenant, str(status), record=record)
    transaction.on_commit(partial(tell_platform, record.pk, record), robust=True)


def result_item(record: SyncRecord) -> dict[str, Any]:
    from connectors.platform.client import upsert

    return upsert(
        str(record.pk),
        {
            "sync_record_id": record.pk,
            "document_type": EXPORTS[record.object_type].api_name,
            "platform_id": record.platform_id,
            "version": record.version,
            "status": record.status,
            "document_number": record.document_number,
            "error_code": record.error_code,
            "error_message": record.error_message,
            "error_column": record.error_column,
            "held_reason": record.held_reason,
            # Read-back: confirmed / unverified / mismatch / not_found, and what Spectrum holds.
            "verification": record.verification,
            "spectrum": record.readback.get("spectrum") or {},
            # Approval: who approved or rejected it, when, and the comment (a rejection always has one).
            "decision_comment": record.decision_comment,
            "decided_by": record.decided_by.get_username() if record.decided_by is not None else "",
            "decided_at": record.decided_at.isoformat() if record.decided_at else "",
        },
    )


def post_result(record_id: int) -> bool:
    """Post a record's current outcome to the tenant's platform (signed, retried by the client).

    The delivery id names the outcome, so a repeat after a crash is a duplicate the platform
    ignores. On failure ``platform_notified_at`` stays empty and the sweeper tries again.
    """
    record = _untold(record_id)
    return record is not None and _deliver_result(record, patient=True)


def tell_platform(record_id: int, committed: SyncRecord | None = None) -> None:
    """Right after an outcome commits, in the worker: one quick try without retry sleeps, so the
    worker moves on at once; if the platform did not take it, the result task tries patiently.
    ``committed``: the record as its outcome was just committed (else it is read)."""
    record = _untold(record_id) if committed is None else _still_untold(committed)
    if record is not None and not _deliver_result(record, patient=False):
        enqueue_result(record.pk)


def _untold(record_id: int) -> SyncRecord | None:
    """The record, if it has a final outcome its tenant's platform has not been told of."""
    record = SyncRecord.objects.select_related("tenant").filter(pk=record_id).first()
    if record is None or record.platform_notified_at or not record.tenant.platform_url:
        return None
    if record.status not in TOLD:
        return None
    return record


def _still_untold(record: SyncRecord) -> SyncRecord | None:
    """:func:`_untold` for the record in hand, as it was just committed (the marking after the
    delivery is conditional on its status, so a later move is never marked told by this one)."""
    if record.platform_notified_at or not record.tenant.platform_url or record.status not in TOLD:
        return None
    return record


def _deliver_result(record: SyncRecord, *, patient: bool) -> bool:
    from connectors.platform.client import RetryPolicy
    from connectors.platform.errors import PlatformError

    delivery_id = f"export-result-{record.pk}-{record.status}-{record.attempt_count}"
    client = connections.platform_client(record.tenant)
    if not patient:
        client.retry = RetryPolicy(max_attempts=1)
    try:
        client.deliver("export-results", [result_item(record)], delivery_id=delivery_id)
    except PlatformError:
        logger.warning("record %s: telling the platform failed; it is tried again later", record.pk, exc_info=True)
        return False
    finally:
        client.close()
    SyncRecord.objects.filter(pk=record.pk, status=record.status, platform_notified_at__isnull=True).update(
        platform_notified_at=timezone.now()
    )
    return True


def enqueue_result(record_id: int) -> None:
    try:
        send_task(EXPORT_RESULT, record_id)
    except Exception:
        logger.warning("could not enqueue the result of record %s", record_id, exc_info=True)
