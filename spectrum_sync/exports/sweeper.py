"""The sweeper (every few seconds, from beat): what a lost message or a dead worker left behind.

Expired leases become ``unknown`` (or, after repeated worker deaths, a poison document is set
aside), parents that arrived release their held documents, due records are enqueued again, read-backs
that are due are run again, and outcomes the platform was not told of are told.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from spectrum_sync.exports import conf, preflight, queueing
from spectrum_sync.exports.engine import WORKER_LOST
from spectrum_sync.exports.holds import HOLD_PARENT, parents_of
from spectrum_sync.exports.results import TOLD, after_outcome, enqueue_result
from spectrum_sync.models import Direction, SyncRecord, SyncStatus

logger = logging.getLogger(__name__)


def sweep(limit: int = 500) -> dict[str, int]:
    """Re-enqueue what a lost message or a dead worker left behind; retell the platform.

    - ``sending`` with an expired lease → ``unknown`` (the send may have happened: reconcile first);
    - held for a parent that has arrived meanwhile (a release the poll could not make) → pending;
    - ``pending`` / ``unknown`` / ``confirming`` that are due, or untouched for a while → enqueued again;
    - outcomes the platform was not told of → told.
    """
    now = timezone.now()
    counts = {"expired": 0, "released": 0, "enqueued": 0, "results": 0}
    exports = SyncRecord.objects.filter(direction=Direction.EXPORT, tenant__active=True)
    for record in exports.filter(status=SyncStatus.SENDING, lease_expires_at__lt=now).order_by("lease_expires_at")[
        :limit
    ]:
        if _expire_lease(record, now):
            counts["expired"] += 1
    counts["released"] = _release_arrived_parents(exports, limit)
    stale = now - timedelta(seconds=conf.stale_seconds())
    # A confirming record is due when its next look is: the export task runs the read-back.
    due = exports.filter(status__in=[SyncStatus.PENDING, SyncStatus.UNKNOWN, SyncStatus.CONFIRMING]).filter(
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, updated_at__lt=stale)
    )
    for record_id in fair_share(due, limit):
        queueing.enqueue(record_id)
        counts["enqueued"] += 1
    untold = exports.filter(
        status__in=TOLD,
        platform_notified_at__isnull=True,
        updated_at__lt=stale,
    ).exclude(tenant__platform_url="")
    for record_id in fair_share(untold, limit):
        enqueue_result(record_id)
        counts["results"] += 1
    return counts


def fair_share(records: Any, limit: int) -> list[int]:
    """Up to ``limit`` ids, taken round robin over tenants: every tenant's first due record, then
    every tenant's second, and so on. One tenant's backlog cannot fill the window while another
    tenant's lost messages wait."""
    turn = Window(RowNumber(), partition_by=[F("tenant_id")], order_by=[F("next_attempt_at").asc(), F("pk").asc()])
    ranked = records.annotate(turn=turn).order_by("turn", "next_attempt_at", "pk")
    return list(ranked.values_list("pk", flat=True)[:limit])


def _expire_lease(record: SyncRecord, now: datetime) -> bool:
    """A worker took the record and stopped without an outcome (it died, or hung past its lease).

    Usually the record goes to ``unknown``: Spectrum is checked before any resend. When workers
    have now died on it EXPORT_WORKER_LOSS_LIMIT claims in a row, the document itself is the likely
    cause (a poison document): it is set aside as failed instead, so it cannot take the next worker
    down too; the accountant sees why, and a retry still checks Spectrum before sending.
    """
    lost = record.lost_claims + 1
    if lost >= conf.worker_loss_limit():
        what = f"the worker exporting this document stopped {lost} times in a row"
        return _set_aside(record, what, "before finishing", lease_token="", lease_expires_at=None, lost_claims=lost)
    return record.transition(
        SyncStatus.UNKNOWN,
        lease_token="",
        lease_expires_at=None,
        next_attempt_at=now,
        lost_claims=lost,
        error_code="U",
        error_message="The worker sending this stopped before Spectrum's answer was recorded; "
        "Spectrum is checked before any resend",
    )


def set_aside_undeliverable(record_id: int, deliveries: int) -> bool:
    """Its task message killed the worker ``deliveries`` times before the record was even claimed.

    Celery drops such a message after its worker-lost retries (CELERY_TASK_RETRY_ON_WORKER_LOST);
    the record would otherwise sit pending and be fed to workers again by the sweeper. A record
    that is already being sent is left to the lease (``_expire_lease``).
    """
    record = SyncRecord.objects.filter(pk=record_id, direction=Direction.EXPORT).select_related("tenant").first()
    if record is None or record.status not in (SyncStatus.PENDING, SyncStatus.UNKNOWN):
        return False
    what = f"the worker process picking up this document stopped {deliveries} times"
    return _set_aside(record, what, "before it could start")


def _set_aside(record: SyncRecord, what: str, when: str, **changes: Any) -> bool:
    """Fail a poison document with the reason, tell the platform and the rules; False if it moved."""
    message = (
        f"Set aside: {what} (crashed, ran out of memory or was killed) {when}. Spectrum is checked before "
        "any resend, so retrying cannot enter it twice."
    )
    with transaction.atomic():
        if not record.transition(
            SyncStatus.FAILED,
            next_attempt_at=None,
            platform_notified_at=None,
            error_code=WORKER_LOST,
            error_column="",
            error_message=message,
            **changes,
        ):
            return False
        after_outcome(record, SyncStatus.FAILED)
    logger.critical("record %s set aside: %s", record.pk, what)
    return True


def _release_arrived_parents(exports: Any, limit: int) -> int:
    """Held-for-a-parent records whose parents all exist now go back to pending (oldest first)."""
    released = 0
    held = exports.filter(status=SyncStatus.HELD, error_code=HOLD_PARENT).select_related("tenant")
    for record in held.order_by("updated_at")[:limit]:
        parents = parents_of(record)
        if parents and preflight.known_records(record.tenant, parents) >= parents:
            with transaction.atomic():
                if record.transition(
                    SyncStatus.PENDING, next_attempt_at=None, held_reason="", platform_notified_at=None
                ):
                    released += 1
                    queueing.enqueue_on_commit(record.pk)
    return released
