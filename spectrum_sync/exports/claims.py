"""The ledger of one export run: the claim, and the attempts' numbers (spectrum_sync/exports/engine.py).

Kept to as few queries as the guarantees allow (bench/export_throughput.py counts them): the claim
is one UPDATE, and the attempts are read at most once per run.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.utils import timezone

from spectrum_sync.exports import conf
from spectrum_sync.models import SyncRecord, SyncStatus


def claim(record: SyncRecord) -> str | None:
    """``SyncRecord.claim`` in one UPDATE: the attempt count it expects is part of the condition,
    so the count is known without reading it back, and ``sent_at`` (when a worker took it: the
    ledger's split between waiting in the queue and our work) is written with it."""
    token = secrets.token_hex(8)
    now = timezone.now()
    claimed = record.transition(
        SyncStatus.SENDING,
        expected={"attempt_count": record.attempt_count},
        lease_token=token,
        lease_expires_at=now + timedelta(seconds=conf.lease_seconds()),
        attempt_count=record.attempt_count + 1,
        sent_at=now,
    )
    return token if claimed else None


def earlier(record: SyncRecord) -> list[tuple[str, str, str, int]]:
    """(outcome, service, request, number) of the record's attempts so far; the next numbers follow.

    Always read: a retry sets ``attempt_count`` back to 0, so not even a first claim says there are none."""
    attempts = list(record.attempts.values_list("outcome", "service", "request", "number"))
    # Only the lease holder writes attempts: the next numbers follow from this one read.
    record._next_attempt = max((number for *_, number in attempts), default=0) + 1  # type: ignore[attr-defined]
    return attempts


def next_number(record: SyncRecord) -> int:
    """The number of the attempt about to be written: counted on from the attempts :func:`earlier`
    read, else (a path that did not read them) looked up."""
    number = getattr(record, "_next_attempt", None)
    if number is None:
        last = record.attempts.order_by("-number").values_list("number", flat=True).first()
        number = (last or 0) + 1
    record._next_attempt = number + 1  # type: ignore[attr-defined]
    return int(number)
