"""Versions of one document reach Spectrum in order, and an older one never overwrites a newer one."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from spectrum_sync.exports.results import after_outcome
from spectrum_sync.models import ALLOWED_TRANSITIONS, Direction, SyncRecord, SyncStatus

# An older version in one of these is out of the way: final, or failed (a person decides).
DONE = [status for status, moves in ALLOWED_TRANSITIONS.items() if not moves] + [SyncStatus.FAILED]
# A newer version in one of these has gone (or is going) to Spectrum.
SENT = [SyncStatus.SUCCEEDED, SyncStatus.SENDING, SyncStatus.UNKNOWN, SyncStatus.CONFIRMING]
# error_code of an older version retried after a newer one reached Spectrum: never sent.
SUPERSEDED = "SUPERSEDED"


def _same_document(record: SyncRecord) -> QuerySet[SyncRecord]:
    return SyncRecord.objects.filter(
        tenant_id=record.tenant_id,
        direction=Direction.EXPORT,
        object_type=record.object_type,
        platform_id=record.platform_id,
    )


def older_unfinished(record: SyncRecord) -> bool:
    """An older version of the document is still on its way (a job's create before its update)."""
    return _same_document(record).filter(created_at__lt=record.created_at).exclude(status__in=DONE).exists()


def newer_sent(record: SyncRecord) -> bool:
    """A later version of the document went to Spectrum (an older one failed, then was retried)."""
    return _same_document(record).filter(created_at__gt=record.created_at, status__in=SENT).exists()


def around_annotations() -> dict[str, Exists]:
    """:func:`around`'s answers as annotations of the query that reads the record (no query of their own)."""
    same = SyncRecord.objects.filter(
        tenant_id=OuterRef("tenant_id"),
        direction=Direction.EXPORT,
        object_type=OuterRef("object_type"),
        platform_id=OuterRef("platform_id"),
    )
    return {
        "older_unfinished_": Exists(same.filter(created_at__lt=OuterRef("created_at")).exclude(status__in=DONE)),
        "newer_sent_": Exists(same.filter(created_at__gt=OuterRef("created_at"), status__in=SENT)),
    }


def around(record: SyncRecord) -> tuple[bool, bool]:
    """(:func:`older_unfinished`, :func:`newer_sent`): from :func:`around_annotations` when the record
    was read with them, else in one query (most documents have one version, so the other versions'
    statuses are read, not asked about twice)."""
    if hasattr(record, "older_unfinished_"):
        return bool(record.older_unfinished_), bool(getattr(record, "newer_sent_", True))
    older = newer = False
    others = _same_document(record).exclude(pk=record.pk).values_list("created_at", "status")
    for created_at, status in others:
        older = older or (created_at < record.created_at and status not in DONE)
        newer = newer or (created_at > record.created_at and status in SENT)
    return older, newer


def supersede(record: SyncRecord) -> None:
    message = "Not sent: a newer version of this document has gone to Spectrum, and this one would overwrite it."
    with transaction.atomic():
        if record.transition(
            SyncStatus.FAILED, error_code=SUPERSEDED, error_message=message, error_column="", platform_notified_at=None
        ):
            after_outcome(record, SyncStatus.FAILED)
