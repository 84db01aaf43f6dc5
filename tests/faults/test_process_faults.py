"""Faults of our own processes and infrastructure during exports; the four invariants after each.

Covered elsewhere and not repeated: SIGKILL of a worker mid-request and a Redis restart during a
burst (tests/exports/test_flow.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection

from spectrum_sync.exports import queueing, sweeper
from spectrum_sync.exports.actions import release_connection_hold
from spectrum_sync.models import SyncRecord, SyncStatus
from tests.exports.test_flow import Exports, wait_for
from tests.faults.conftest import fast_worker
from tests.faults.invariants import assert_all, invoice_rows
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]


def all_succeed(ids: list[int], timeout: float = 90) -> None:
    def done() -> bool:
        sweeper.sweep()  # what the beat does every few seconds
        return SyncRecord.objects.filter(pk__in=ids, status=SyncStatus.SUCCEEDED).count() == len(ids)

    wait_for(
        done,
        timeout,
        f"not every record succeeded: {list(SyncRecord.objects.filter(pk__in=ids).values_list('pk', 'status'))}",
    )


def test_worker_dies_after_claim_before_the_spectrum_call(exports: Exports, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(django_settings, "EXPORT_STALE_SECONDS", 2)
    # No worker yet: the record is claimed as a worker would, and that worker "dies" before calling Spectrum.
    record_id = exports.post("ar-invoices", exports.invoice("FP001"))
    record = SyncRecord.objects.get(pk=record_id)
    assert record.claim(lease_seconds=1)
    assert exports.spectrum.counters()["requests"].get("customer/invoice", 0) == 0
    worker = fast_worker()
    worker.start()
    try:
        all_succeed([record_id])
    finally:
        worker.stop()
    assert exports.spectrum.accepted("customer/invoice") == {"DC1|FP001": 1}
    assert_all([record_id], exports.spectrum, exports.db.store, exports.tenant)


def test_worker_killed_after_spectrum_accepted_before_our_update(
    exports: Exports, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(django_settings, "EXPORT_STALE_SECONDS", 2)
    # Spectrum applies the Put, then holds its reply 20 s; the worker waits (read timeout 60 s) and is killed.
    exports.spectrum.set_faults(queue=["timeout"], timeout_seconds=20.0, services=["customer/invoice"])
    worker = fast_worker(HTTP_READ_TIMEOUT="60", SPECTRUM_REPLY_DEADLINE="90")
    worker.start()
    try:
        record_id = exports.post("ar-invoices", exports.invoice("FP002"))
        wait_for(lambda: invoice_rows(exports.db.store, "DC1", "FP002") == 1, 30, "Spectrum never applied the Put")
        assert SyncRecord.objects.get(pk=record_id).status == SyncStatus.SENDING
        worker.kill()
    finally:
        worker.stop()
    exports.spectrum.set_faults()
    replacement = fast_worker()
    replacement.start()
    try:
        all_succeed([record_id])
    finally:
        replacement.stop()
    record = SyncRecord.objects.get(pk=record_id)
    assert record.attempts.filter(outcome="found").exists()  # reconciled, not sent again
    assert exports.spectrum.accepted("customer/invoice") == {"DC1|FP002": 1}
    assert_all([record_id], exports.spectrum, exports.db.store, exports.tenant)


def test_same_task_delivered_twice_creates_once(exports: Exports, worker: WorkerProcess) -> None:
    exports.spectrum.set_faults(latency_ms=1500)  # the first delivery is still in Spectrum when the others arrive
    record_id = exports.post("ar-invoices", exports.invoice("FP003"))
    queueing.enqueue(record_id)
    queueing.enqueue(record_id)
    all_succeed([record_id])
    exports.spectrum.set_faults()
    assert exports.spectrum.accepted("customer/invoice") == {"DC1|FP003": 1}
    assert_all([record_id], exports.spectrum, exports.db.store, exports.tenant)


def test_two_sweeps_at_once_create_once(exports: Exports, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two beats firing together: both sweeps enqueue the same due records; each is sent once."""
    monkeypatch.setattr(django_settings, "EXPORT_STALE_SECONDS", 1)
    ids = [exports.post("ar-invoices", exports.invoice(f"FP1{i}")) for i in range(4)]  # queued, no worker yet
    sweeper.sweep()
    sweeper.sweep()
    worker = fast_worker()
    worker.start()
    try:
        all_succeed(ids)
    finally:
        worker.stop()
    accepted = exports.spectrum.accepted("customer/invoice")
    assert accepted == {f"DC1|FP1{i}": 1 for i in range(4)}
    assert_all(ids, exports.spectrum, exports.db.store, exports.tenant)


def _terminate_test_db_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        row: Any = cursor.fetchone()
        return int(row[0])


def test_postgres_connections_dropped_mid_burst(
    exports: Exports, worker: WorkerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(django_settings, "EXPORT_STALE_SECONDS", 2)
    exports.spectrum.set_faults(latency_ms=400)
    ids = [exports.post("ar-invoices", exports.invoice(f"FP2{i}")) for i in range(6)]
    wait_for(lambda: SyncRecord.objects.filter(pk__in=ids, status=SyncStatus.SENDING).exists(), 30, "nothing in flight")
    assert _terminate_test_db_connections() > 0
    exports.spectrum.set_faults()
    all_succeed(ids, timeout=120)
    accepted = exports.spectrum.accepted("customer/invoice")
    assert accepted == {f"DC1|FP2{i}": 1 for i in range(6)}
    assert_all(ids, exports.spectrum, exports.db.store, exports.tenant)


def test_authorization_id_revoked_then_restored(exports: Exports, worker: WorkerProcess) -> None:
    spectrum = exports.spectrum
    spectrum.add_auth(spectrum.auth_id, ["DC1"], active=False)
    record_id = exports.post("ar-invoices", exports.invoice("FP004"))
    record = exports.final(record_id)
    assert record.status == SyncStatus.HELD, record.status
    assert invoice_rows(exports.db.store, "DC1", "FP004") == 0
    assert_all([record_id], spectrum, exports.db.store, exports.tenant)  # visible, not lost
    spectrum.add_auth(spectrum.auth_id, ["DC1", "DC2"], active=True)
    assert record.status == SyncStatus.HELD  # held with the connection flagged, not burned as failed
    assert release_connection_hold(exports.tenant) == 1  # the admin's "authorization fixed" action
    all_succeed([record_id])
    assert spectrum.accepted("customer/invoice") == {"DC1|FP004": 1}
    assert_all([record_id], spectrum, exports.db.store, exports.tenant)
