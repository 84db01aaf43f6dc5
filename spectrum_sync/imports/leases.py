"""The lease on a ``PollSchedule`` row that keeps two polls of one (tenant, object type) apart.

A lease is a conditional update, never a held transaction or a Redis key
(docs/architecture.md#retries-leases-and-the-sweeper): whoever takes it bumps ``fencing_token`` and
gets the new value. The dispatcher takes it and hands the token to the task; the task *starts* by
swapping that token for the next one, so a duplicated or redelivered message (same token) finds the
token gone and does nothing. While it runs, the poll extends the lease and writes its results only
while its token is current; a poll that dies simply stops extending, and once ``lease_expires_at``
passes the next dispatch takes over with a newer token — the dead poll, should it wake up, can no
longer write anything.

Two lengths: a queued poll holds the dispatcher's lease (``POLL_DISPATCH_LEASE_SECONDS``, default
15 minutes: a long queue is not a lost message); a running poll holds ``POLL_LEASE_SECONDS``
(default 5 minutes), extended every ~20 s while it is alive.

Every statement here uses ``UPDATE … RETURNING``, which PostgreSQL and SQLite (3.35+) both speak.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from spectrum_sync.models import PollSchedule

TABLE = PollSchedule._meta.db_table


class LeaseLost(Exception):
    """Another poll took this (tenant, object type) over; results must not be written."""


def lease_seconds() -> int:
    return int(getattr(settings, "POLL_LEASE_SECONDS", 300))


def dispatch_lease_seconds() -> int:
    """How long a queued poll may wait for a worker before its message counts as lost and it is
    dispatched again. Longer than the running lease: a busy queue is not a lost message."""
    return int(getattr(settings, "POLL_DISPATCH_LEASE_SECONDS", 900))


def owner_name(prefix: str) -> str:
    return f"{prefix}:{socket.gethostname()}:{os.getpid()}"[:100]


def take(schedule_id: int, owner: str, now: datetime | None = None, seconds: int | None = None) -> int | None:
    """Take a free (or expired) lease; returns the new fencing token, or None when it is held."""
    now = now or timezone.now()
    seconds = seconds or lease_seconds()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET fencing_token = fencing_token + 1, lease_owner = %s, lease_expires_at = %s "  # noqa: S608 (table name is ours)
            "WHERE id = %s AND (lease_expires_at IS NULL OR lease_expires_at < %s) RETURNING fencing_token",
            [owner, now + timedelta(seconds=seconds), schedule_id, now],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def start(schedule_id: int, token: int, owner: str) -> int | None:
    """Begin the poll the token was handed out for: swap it for the next one and extend the lease.

    Returns the running poll's token, or None when the token is no longer current (the message was
    a duplicate, or its lease expired and someone else took over).
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET fencing_token = fencing_token + 1, lease_owner = %s, lease_expires_at = %s "  # noqa: S608
            "WHERE id = %s AND fencing_token = %s RETURNING fencing_token",
            [owner, now + timedelta(seconds=lease_seconds()), schedule_id, token],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def extend(schedule_id: int, token: int) -> None:
    """Heartbeat: keep the lease while the poll is alive; raises LeaseLost if it was taken over."""
    until = timezone.now() + timedelta(seconds=lease_seconds())
    if not PollSchedule.objects.filter(pk=schedule_id, fencing_token=token).update(lease_expires_at=until):
        raise LeaseLost("another poll took over this object type (its lease had expired)")


def hold_for_write(schedule_id: int, token: int) -> None:
    """Inside the caller's transaction: lock the schedule row if our token is current, else raise.

    Holding the row lock until commit means a takeover cannot slip in between the check and the
    writes it guards.
    """
    if not PollSchedule.objects.select_for_update().filter(pk=schedule_id, fencing_token=token).exists():
        raise LeaseLost("another poll took over this object type (its lease had expired)")


def release(schedule_id: int, token: int, *, run_id: int | None, succeeded: bool) -> bool:
    """End the poll: free the lease and note the run. Does nothing if the token is stale."""
    changes: dict[str, object] = {"lease_owner": "", "lease_expires_at": None}
    if run_id is not None:
        changes["last_run_id"] = run_id
    if succeeded:
        changes["last_success_at"] = timezone.now()
    return bool(PollSchedule.objects.filter(pk=schedule_id, fencing_token=token).update(**changes))


def is_running(schedule: PollSchedule, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return schedule.lease_expires_at is not None and schedule.lease_expires_at >= now
