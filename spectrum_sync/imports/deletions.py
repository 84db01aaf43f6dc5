"""Deletions a poll may not deliver on its own: too many at once wait for a person.

A poll that no longer finds a record delivers a delete for it. A reader gone wrong (a permission
lost on one table, a tenant pointed from a test Spectrum at production) makes many records vanish
at once, and the platform would delete them all. So when one complete poll would delete more than
:func:`limit` of the records it knew, those deletions are held as a :class:`PendingDeletion`: the
run ends "deletions waiting for confirmation", the tenant's failure recipients get an email, and
implementation staff confirm (the next poll delivers the ones still missing then) or discard (the
mirror forgets those records, nothing reaches the platform).

Stable names: :func:`screen` and :func:`mark_delivered` (the engine), :func:`confirm` and
:func:`discard` (the admin).
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from spectrum_sync.imports import bulk
from spectrum_sync.models import PendingDeletion, Tenant

if TYPE_CHECKING:
    from spectrum_sync.imports.engine import Poll

Status = PendingDeletion.Status


def limit(known: int) -> int:
    """The most deletions one poll delivers unasked: IMPORT_DELETION_LIMIT records, or
    IMPORT_DELETION_LIMIT_PERCENT of the records known of that type, whichever is more."""
    floor = int(getattr(settings, "IMPORT_DELETION_LIMIT", 50))
    percent = float(getattr(settings, "IMPORT_DELETION_LIMIT_PERCENT", 5))
    return max(floor, math.floor(known * percent / 100))


def screen(poll: Poll, vanished: list[str], known: int) -> list[str]:
    """The deletions this complete poll may deliver; holds the rest when there are too many."""
    tenant, object_type = poll.tenant, poll.declaration.object_type
    batches = PendingDeletion.objects.filter(tenant=tenant, object_type=object_type)
    confirmed = list(batches.filter(status=Status.CONFIRMED))
    poll.confirmed_batches = [batch.pk for batch in confirmed]
    allowed = {key for batch in confirmed for key in batch.keys}
    unasked = sorted(key for key in vanished if key not in allowed)
    waiting = batches.filter(status=Status.WAITING).order_by("-pk").first()
    held = len(unasked) > limit(known)
    if waiting is not None and not (held and waiting.keys == unasked):
        # This read is newer than the batch still waiting: what it finds missing is what to decide on.
        batches.filter(status=Status.WAITING).update(
            status=Status.SUPERSEDED, note=f"Replaced by poll run {poll.run.pk}."
        )
        waiting = None
    if not held:
        return vanished
    hold(poll, waiting or new_batch(poll, unasked, known))
    return [key for key in vanished if key in allowed]


def new_batch(poll: Poll, keys: list[str], known: int) -> PendingDeletion:
    batch = PendingDeletion.objects.create(
        tenant=poll.tenant,
        object_type=poll.declaration.object_type,
        run=poll.run,
        keys=keys,
        key_count=len(keys),
        known_count=known,
    )
    tell_failure_recipients(poll.tenant, batch)  # once per batch: the same list found again is not news
    return batch


def hold(poll: Poll, batch: PendingDeletion) -> None:
    poll.counts.held = batch.key_count
    poll.counts.notices.append(
        f"{batch.key_count} of {batch.known_count} known {poll.declaration.label} records were not found and were "
        f"NOT deleted on the platform (more than {limit(batch.known_count)} at once): implementation staff confirm "
        "or discard them."
    )


def mark_delivered(poll: Poll) -> None:
    """The confirmed batches this poll screened are done: their deletions reached the platform."""
    if poll.confirmed_batches:
        PendingDeletion.objects.filter(pk__in=poll.confirmed_batches, status=Status.CONFIRMED).update(
            status=Status.DELIVERED, delivered_run=poll.run
        )


def tell_failure_recipients(tenant: Tenant, batch: PendingDeletion) -> None:
    """An email to whoever hears about this tenant's failures; never fails the poll."""
    from spectrum_sync.notifications.api import create_delivery, enqueue_delivery, failure_recipients
    from spectrum_sync.notifications.models import EmailDelivery, NotificationRule

    rules = list(NotificationRule.objects.filter(tenant=tenant, active=True))
    context = {
        "batch_id": batch.pk,
        "run_id": batch.run_id,
        "object_type": batch.object_type,
        "count": batch.key_count,
        "known": batch.known_count,
        "sample": batch.keys[:10],
    }
    key = create_delivery(
        tenant, EmailDelivery.Kind.DELETIONS, f"deletions:{batch.pk}", failure_recipients(rules), context=context
    )
    delivery = EmailDelivery.objects.filter(key=key, status=EmailDelivery.Status.PENDING).first() if key else None
    if delivery is not None:
        transaction.on_commit(partial(enqueue_delivery, delivery.pk), robust=True)


def decide(batch: PendingDeletion, user: Any, status: str, note: str) -> bool:
    """Move a waiting batch to ``status``; False when someone (or a later poll) decided first."""
    return bool(
        PendingDeletion.objects.filter(pk=batch.pk, status=Status.WAITING).update(
            status=status, decided_by=user, decided_at=timezone.now(), note=note
        )
    )


@transaction.atomic
def discard(batch: PendingDeletion, user: Any, note: str = "") -> bool:
    """Discarded: the platform keeps these records and the mirror forgets them, so the next poll
    does not find them missing again (if Spectrum has them after all, they come back as new)."""
    if not decide(batch, user, Status.DISCARDED, note):
        return False
    bulk.mark_deleted(batch.tenant_id, batch.object_type, list(batch.keys), timezone.now())
    return True
