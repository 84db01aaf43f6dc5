"""The once-a-minute tick that starts the polls that are due.

One beat entry runs :func:`dispatch_due` (task ``dispatch_polls``) for every tenant — never one beat
entry per tenant, which stalls django-celery-beat at thousands of rows. The ``PollSchedule`` table
decides what is due; claiming a row takes its lease and bumps its fencing token in the same
statement, so a second beat, a duplicated tick or a concurrent "sync now" cannot start a second poll
of the same (tenant, object type). On PostgreSQL due rows are selected ``FOR UPDATE SKIP LOCKED`` so
concurrent dispatchers split the work instead of waiting; elsewhere (SQLite, ``make run``) each row
is claimed by its own conditional update.

A row leased by the dispatcher whose poll never started (the message was lost) becomes free
when that lease expires and is dispatched again at once, without waiting for its next due time.

The next due time stays anchored to the schedule (``next_due_at + interval``) so a one-minute
interval does not drift to two, but never lands in the past, so a stopped beat does not cause a
burst of catch-up polls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from spectrum_sync import enqueue
from spectrum_sync.imports import leases
from spectrum_sync.models import PollSchedule, SyncRun, Tenant

logger = logging.getLogger(__name__)

MAX_PER_TICK = 5000  # more due rows than this wait for the next tick (a minute later)
# Above this many claims the tick publishes fan-out tasks of this size instead of one message per
# poll: publishing costs ~0.5 ms a message, so 5,000 direct messages would take the tick seconds;
# the fan-out tasks publish the polls from the workers, in parallel.
FANOUT_SIZE = 200

Claimed = list[tuple[int, int]]  # (schedule id, fencing token)
Enqueue = Callable[[Claimed, str], None]

_CLAIM_SQL = f"""
WITH due AS (
    SELECT s.id FROM {PollSchedule._meta.db_table} s
    JOIN {Tenant._meta.db_table} t ON t.id = s.tenant_id
    WHERE s.enabled AND t.active
      AND (s.next_due_at <= %(now)s OR s.lease_owner LIKE 'dispatch:%%')
      AND (s.lease_expires_at IS NULL OR s.lease_expires_at < %(now)s)
    ORDER BY s.next_due_at
    LIMIT %(limit)s
    FOR UPDATE OF s SKIP LOCKED
)
UPDATE {PollSchedule._meta.db_table} s
SET fencing_token = s.fencing_token + 1,
    lease_owner = %(owner)s,
    lease_expires_at = %(lease_until)s,
    next_due_at = CASE
        WHEN s.next_due_at > %(now)s THEN s.next_due_at
        WHEN s.next_due_at + make_interval(mins => s.interval_minutes) > %(now)s
        THEN s.next_due_at + make_interval(mins => s.interval_minutes)
        ELSE %(now)s + make_interval(mins => s.interval_minutes)
    END
FROM due WHERE s.id = due.id
RETURNING s.id, s.fencing_token
"""  # noqa: S608 (table names are ours)


def next_due(schedule_due: datetime, interval_minutes: int, now: datetime) -> datetime:
    if schedule_due > now:  # re-dispatch of a lost message: the schedule itself is not due yet
        return schedule_due
    anchored = schedule_due + timedelta(minutes=interval_minutes)
    return anchored if anchored > now else now + timedelta(minutes=interval_minutes)


def claim_due(now: datetime | None = None, limit: int = MAX_PER_TICK) -> Claimed:
    """Take the lease of every due, free schedule row (up to ``limit``). Call inside a transaction."""
    now = now or timezone.now()
    owner = leases.owner_name("dispatch")
    lease_until = now + timedelta(seconds=leases.dispatch_lease_seconds())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL, {"now": now, "limit": limit, "owner": owner, "lease_until": lease_until})
            return [(int(row[0]), int(row[1])) for row in cursor.fetchall()]
    return _claim_one_by_one(now, limit, owner)


def _claim_one_by_one(now: datetime, limit: int, owner: str) -> Claimed:
    claimed: Claimed = []
    due = (
        PollSchedule.objects.filter(enabled=True, tenant__active=True)
        .filter(Q(next_due_at__lte=now) | Q(lease_owner__startswith="dispatch:"))
        .exclude(lease_expires_at__gte=now)
        .order_by("next_due_at")
        .values_list("pk", "next_due_at", "interval_minutes")[:limit]
    )
    for pk, due_at, interval in due:
        token = leases.take(pk, owner, now, seconds=leases.dispatch_lease_seconds())
        if token is not None:
            PollSchedule.objects.filter(pk=pk, fencing_token=token).update(next_due_at=next_due(due_at, interval, now))
            claimed.append((pk, token))
    return claimed


def enqueue_polls(claimed: Claimed, trigger: str, queue: str | None = None) -> None:
    """Publish one poll task per claimed row over one broker connection (``queue``: benchmarks only)."""
    failed: Claimed = []
    options: dict[str, Any] = {"queue": queue} if queue else {}
    with enqueue.producer() as producer:
        for schedule_id, token in claimed:
            try:
                enqueue.send(enqueue.POLL_OBJECT_TYPE, schedule_id, token, trigger, producer=producer, **options)
            except Exception:
                logger.exception("could not enqueue poll of schedule %s", schedule_id)
                failed.append((schedule_id, token))
    give_back(failed)


def enqueue_fanned_out(claimed: Claimed, trigger: str, queue: str | None = None) -> None:
    """Publish the claims directly when they are few, else as fan-out tasks of FANOUT_SIZE claims."""
    if len(claimed) <= FANOUT_SIZE:
        enqueue_polls(claimed, trigger, queue)
        return
    options: dict[str, Any] = {"queue": queue} if queue else {}
    with enqueue.producer() as producer:
        for start in range(0, len(claimed), FANOUT_SIZE):
            chunk = claimed[start : start + FANOUT_SIZE]
            try:
                pairs = [list(pair) for pair in chunk]
                enqueue.send(enqueue.DISPATCH_FANOUT, pairs, trigger, producer=producer, **options)
            except Exception:
                logger.exception("could not enqueue a fan-out of %s polls", len(chunk))
                give_back(chunk)


def give_back(claimed: Sequence[tuple[int, int]]) -> None:
    """Undo claims whose task never left: free the lease and make the row due again at once."""
    for schedule_id, token in claimed:
        PollSchedule.objects.filter(pk=schedule_id, fencing_token=token).update(
            lease_owner="", lease_expires_at=None, next_due_at=timezone.now()
        )


def dispatch_due(now: datetime | None = None, *, limit: int = MAX_PER_TICK, enqueue: Enqueue | None = None) -> Claimed:
    """Claim what is due and enqueue its polls once the claims are committed. Returns the claims."""
    with transaction.atomic():
        claimed = claim_due(now, limit)
    if claimed:
        try:
            (enqueue or enqueue_fanned_out)(claimed, SyncRun.Trigger.SCHEDULE)
        except Exception:
            logger.exception("could not enqueue %s due polls; giving their leases back", len(claimed))
            give_back(claimed)
    return claimed
