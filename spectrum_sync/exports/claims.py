"""The lease an export run holds and the attempts it writes (spectrum_sync/exports/engine.py).

Kept to as few queries as the guarantees allow (bench/export_throughput.py counts them): the
attempts are read at most once per run (the claim itself is one UPDATE, ``SyncRecord.claim``), and
on PostgreSQL renewing the lease and opening an attempt are one statement.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.db import connection as db_connection
from django.utils import timezone

from connectors.spectrum.errors import SpectrumError, SpectrumRejected
from mappings.mappers import SpectrumCall
from spectrum_sync.exports import conf
from spectrum_sync.models import SyncAttempt, SyncRecord, SyncStatus
from spectrum_sync.redaction import redact

Outcome = SyncAttempt.Outcome


def earlier(record: SyncRecord, *, first_claim: bool = False) -> list[tuple[str, str, str, int]]:
    """(outcome, service, request, number) of the record's attempts so far; the next numbers follow.

    ``first_claim``: the record had never been claimed (no ``sent_at``) before this run's claim, so it
    has no attempts (only a lease holder writes them) and nothing is read. Otherwise always read: a
    retry sets ``attempt_count`` back to 0, so not even a count of 0 says there are none."""
    attempts = [] if first_claim else list(record.attempts.values_list("outcome", "service", "request", "number"))
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


class LostLease(Exception):
    """The lease ran out and someone else owns the record now: stop without touching it."""


def check_lease(record: SyncRecord, token: str) -> None:
    """Before each call to Spectrum: still ours? Then the lease is renewed for another full term.

    One conditional UPDATE does both, so a document of many calls (a job with its phases) keeps its
    lease while it makes progress, and a worker that lost it stops before the next call.
    """
    until = timezone.now() + timedelta(seconds=conf.lease_seconds())
    renewed = SyncRecord.objects.filter(pk=record.pk, status=SyncStatus.SENDING, lease_token=token).update(
        lease_expires_at=until
    )
    if not renewed:
        raise LostLease


def open_attempt(record: SyncRecord, token: str, service: str, request: str) -> int:
    """Before a call: :func:`check_lease`, then the attempt written with outcome ``unknown`` and
    committed, so that if we die waiting the row says the outcome is unknown. Its id.

    On PostgreSQL both are one statement: the attempt is inserted only if the lease was renewed."""
    number = next_number(record)
    if db_connection.vendor != "postgresql":
        check_lease(record, token)
        created = SyncAttempt.objects.create(
            record=record, number=number, outcome=Outcome.UNKNOWN, service=service, request=request
        )
        return int(created.pk)
    until = timezone.now() + timedelta(seconds=conf.lease_seconds())
    records, attempts = SyncRecord._meta.db_table, SyncAttempt._meta.db_table  # the models' own names
    sql = (
        f"WITH renewed AS (UPDATE {records} SET lease_expires_at = %s "  # noqa: S608 (values are parameters)
        "WHERE id = %s AND status = %s AND lease_token = %s RETURNING id) "
        f"INSERT INTO {attempts} (record_id, number, started_at, duration_ms, remote_ms, "
        "outcome, service, http_status, request, response, error_code, error_message, error_column) "
        "SELECT id, %s, %s, 0, 0, %s, %s, NULL, %s, '', '', '', '' FROM renewed RETURNING id"
    )
    params: list[Any] = [
        until,
        record.pk,
        SyncStatus.SENDING,
        token,
        number,
        timezone.now(),
        Outcome.UNKNOWN,
        service,
        request,
    ]
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise LostLease
    return int(row[0])


def close_attempt(attempt: int, started: float, outcome: str, exc: SpectrumError) -> None:
    first = exc.first if isinstance(exc, SpectrumRejected) else None
    elapsed = int((time.monotonic() - started) * 1000)
    SyncAttempt.objects.filter(pk=attempt).update(
        outcome=outcome,
        duration_ms=elapsed,
        remote_ms=elapsed,
        response=redact(exc.detail or "")[:20000],
        error_code=(first.code if first else getattr(exc, "code", ""))[:10],
        error_message=redact(str(exc))[:5000],
        error_column=(first.column if first else getattr(exc, "column", ""))[:100],
    )


def record_found(record: SyncRecord, call: SpectrumCall, request: str, note: str) -> None:
    SyncAttempt.objects.create(
        record=record,
        number=next_number(record),
        outcome=Outcome.FOUND,
        service=call.service,
        request=request,
        response=note,
    )
