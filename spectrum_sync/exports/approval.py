"""Exports that wait for an accountant: the tenant's approval rules, approve, reject, replace.

A tenant switches approval on per document type (:class:`~spectrum_sync.models.ApprovalRule`,
off by default). A document of such a type is stored ``awaiting_approval`` by intake and is not
queued. The approval queue (spectrum_sync/adminsite/approvals.py) calls :func:`approve` — the
record becomes ``pending`` and goes through the normal export — or :func:`reject` — ``rejected``,
final, and the platform hears the approver's comment. A newer version of a waiting document
replaces it in the queue (:func:`supersede_waiting`, called by intake). Each decision records
who made it and when (``decided_by``, ``decided_at``, ``decision_comment``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from spectrum_sync.enqueue import EXPORT_RESULT, send_on_commit
from spectrum_sync.exports.queueing import enqueue_on_commit
from spectrum_sync.models import ApprovalRule, Direction, SyncRecord, SyncStatus, Tenant

APPROVE_PERMISSION = "spectrum_sync.approve_syncrecord"
NEEDS_COMMENT = "Say why the document is rejected: the comment goes back to the platform with it."


class CommentRequired(ValueError):
    """A rejection without a comment: the sender would not know what to change."""


def needs_approval(tenant: Tenant, object_type: str) -> bool:
    """Whether the tenant approves documents of this type before they are exported (off by default)."""
    return ApprovalRule.objects.filter(tenant=tenant, object_type=object_type, required=True).exists()


def may_approve(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and user.has_perm(APPROVE_PERMISSION))


def waiting(records: Any = None) -> Any:
    """Exports waiting for approval (of ``records``, a queryset, when given), oldest first."""
    base = SyncRecord.objects.all() if records is None else records
    return base.filter(direction=Direction.EXPORT, status=SyncStatus.AWAITING_APPROVAL).order_by("created_at", "pk")


def tell_platform_on_commit(record: SyncRecord) -> None:
    """The platform hears the record's status through the result task, after the caller commits
    (never inside a web request: while the platform is down the task and the sweeper keep trying)."""
    if record.tenant.platform_url:
        send_on_commit(EXPORT_RESULT, record.pk)


def supersede_waiting(older: Iterable[SyncRecord], version: str) -> int:
    """Take the document's waiting versions out of the queue: version ``version`` replaces them.

    Called by intake inside its transaction, with the document locked. Returns how many left the queue.
    """
    note = f"Replaced by version {version} before it was approved; that version is the one to decide on."
    count = 0
    for record in older:
        if record.status != SyncStatus.AWAITING_APPROVAL:
            continue
        now = timezone.now()
        if record.transition(SyncStatus.SUPERSEDED, resolution_note=note, resolved_at=now, finished_at=now):
            count += 1
    return count


def _decision(user: Any, comment: str) -> dict[str, Any]:
    changes: dict[str, Any] = {"decided_at": timezone.now(), "decision_comment": comment.strip()[:2000]}
    if getattr(user, "pk", None):
        changes["decided_by"] = user
    return changes


def _locked_waiting(record_id: int) -> SyncRecord | None:
    return (
        SyncRecord.objects.select_for_update(of=("self",))
        .select_related("tenant")
        .filter(pk=record_id, direction=Direction.EXPORT, status=SyncStatus.AWAITING_APPROVAL)
        .first()
    )


def approve(record: SyncRecord | int, user: Any, comment: str = "") -> bool:
    """Send a waiting document to Spectrum: ``pending`` and queued once this commits.

    Returns False when it no longer waits (decided by someone else, or replaced by a newer version).
    """
    record_id = record.pk if isinstance(record, SyncRecord) else int(record)
    with transaction.atomic():
        target = _locked_waiting(record_id)
        if target is None:
            return False
        changes = {**_decision(user, comment), "next_attempt_at": None, "platform_notified_at": None}
        if not target.transition(SyncStatus.PENDING, **changes):
            return False
        # A tenant without a connection: the engine holds it (CONN) as it holds any other export.
        enqueue_on_commit(target.pk)
    return True


def approve_many(records: Iterable[SyncRecord | int], user: Any, comment: str = "") -> int:
    """Approve each document that still waits; returns how many were sent on."""
    return sum(approve(record, user, comment) for record in records)


def reject(record: SyncRecord | int, user: Any, comment: str) -> bool:
    """Turn a waiting document down: ``rejected`` (final), and the platform is told with the comment.

    Raises :class:`CommentRequired` without a comment. Returns False when it no longer waits.
    """
    if not comment.strip():
        raise CommentRequired(NEEDS_COMMENT)
    record_id = record.pk if isinstance(record, SyncRecord) else int(record)
    with transaction.atomic():
        target = _locked_waiting(record_id)
        if target is None:
            return False
        changes = {**_decision(user, comment), "finished_at": timezone.now(), "platform_notified_at": None}
        if not target.transition(SyncStatus.REJECTED, **changes):
            return False
        tell_platform_on_commit(target)
    return True
