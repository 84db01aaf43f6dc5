"""A poison document: one whose processing kills the worker process every time.

The worker runs the real app with a kill injected for one document number (tests/faults/poison_app.py):
its pool process dies by SIGKILL, as with a segfault or the out-of-memory killer. Without a bound, the
message goes back to the queue (late acks, reject on worker lost) and the sweeper feeds the record to
the next worker, forever. What must happen instead: after a bounded number of deaths the document is
set aside as failed with a plain reason the accountant sees, the platform is told, the other documents
keep flowing through the same worker, and nothing reaches Spectrum twice.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings

from spectrum_sync.exports import engine, sweeper
from spectrum_sync.exports.actions import retry
from spectrum_sync.models import SyncRecord, SyncStatus
from spectrum_sync.plain_words import explain
from tests.exports.test_flow import Exports, wait_for
from tests.faults.conftest import FAST_ENV
from tests.faults.invariants import assert_all
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]


def poisoned_worker(**env: str) -> WorkerProcess:
    return WorkerProcess(
        "exports,notifications",
        concurrency=2,
        app="tests.faults.poison_app",
        extra_env={**FAST_ENV, "WORKER_LOST_RETRY_DELAY": "1", "EXPORT_WORKER_LOSS_LIMIT": "3", **env},
    )


_log_start: dict[int, int] = {}


def started(worker: WorkerProcess) -> WorkerProcess:
    """Start the worker, remembering where its log begins (tests of one run share a log file)."""
    _log_start[id(worker)] = worker.log_path.stat().st_size if worker.log_path.exists() else 0
    worker.start()
    return worker


def pool_deaths(worker: WorkerProcess) -> int:
    """Pool processes this worker lost (Celery's main process logs each one's exit)."""
    return worker.output()[_log_start[id(worker)] :].count("exited with 'signal 9 (SIGKILL)'")


def test_document_that_kills_its_worker_after_the_claim_is_set_aside(
    exports: Exports, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(django_settings, "EXPORT_STALE_SECONDS", 2)
    monkeypatch.setattr(django_settings, "EXPORT_WORKER_LOSS_LIMIT", 3)
    worker = started(poisoned_worker(POISON_AFTER_CLAIM="PZ001"))
    try:
        poison = exports.post("ar-invoices", exports.invoice("PZ001"))
        healthy = exports.post("ar-invoices", exports.invoice("PZ002"))

        def poison_set_aside() -> bool:
            sweeper.sweep()  # what beat does every minute: expired leases are noticed here
            return SyncRecord.objects.get(pk=poison).status == SyncStatus.FAILED

        wait_for(poison_set_aside, 90, "the poison document was never set aside")
        deaths = pool_deaths(worker)
        # The same worker (its pool replaced the dead processes) still exports other documents.
        later = exports.post("ar-invoices", exports.invoice("PZ003"))
        assert exports.final(healthy).status == SyncStatus.SUCCEEDED
        assert exports.final(later).status == SyncStatus.SUCCEEDED
        # No more deaths once it is set aside, however often the sweeper runs.
        for _ in range(3):
            sweeper.sweep()
            time.sleep(1)
        assert pool_deaths(worker) == deaths
    finally:
        worker.stop()

    record = SyncRecord.objects.get(pk=poison)
    assert record.attempt_count == 3  # three claims, each killed its worker: the limit
    assert record.lost_claims == 3
    assert deaths == 3
    assert record.error_code == engine.WORKER_LOST
    assert "stopped 3 times in a row" in record.error_message
    # The accountant reads plain words on the failed queue, and the platform was told.
    explanation = explain(record.error_code, record.error_message, record.error_column)
    assert explanation is not None and "set aside" in explanation.plain
    told = exports.told(poison, "failed")
    assert "stopped 3 times" in str(told)
    assert exports.spectrum.counters()["requests"].get("customer/invoice", 0) == 2  # PZ002 and PZ003 only
    assert_all([poison, healthy, later], exports.spectrum, exports.db.store, exports.tenant)


def test_message_that_kills_its_worker_before_the_claim_is_dropped_and_the_record_set_aside(
    exports: Exports,
) -> None:
    worker = started(poisoned_worker(POISON_BEFORE_CLAIM="PZ010"))
    try:
        poison = exports.post("ar-invoices", exports.invoice("PZ010"))
        healthy = exports.post("ar-invoices", exports.invoice("PZ011"))
        record = exports.final(poison, timeout=90)
        assert exports.final(healthy).status == SyncStatus.SUCCEEDED
        deaths = pool_deaths(worker)
    finally:
        worker.stop()
    # One delivery and Celery's three worker-lost retries, then the message is dropped, not requeued.
    assert deaths == 4
    assert record.status == SyncStatus.FAILED
    assert record.error_code == engine.WORKER_LOST
    assert "stopped 4 times" in record.error_message
    assert record.attempt_count == 0  # never claimed, never sent
    exports.told(poison, "failed")
    assert exports.spectrum.counters()["requests"].get("customer/invoice", 0) == 1
    assert_all([poison, healthy], exports.spectrum, exports.db.store, exports.tenant)


def test_retry_after_the_cause_is_fixed_sends_once(exports: Exports, monkeypatch: pytest.MonkeyPatch) -> None:
    """Set aside by a poison worker, retried by the accountant on a fixed worker: one invoice in Spectrum."""
    monkeypatch.setattr(django_settings, "EXPORT_STALE_SECONDS", 2)
    monkeypatch.setattr(django_settings, "EXPORT_WORKER_LOSS_LIMIT", 2)
    worker = poisoned_worker(POISON_AFTER_CLAIM="PZ020", EXPORT_WORKER_LOSS_LIMIT="2")
    worker.start()
    try:
        poison = exports.post("ar-invoices", exports.invoice("PZ020"))

        def set_aside() -> bool:
            sweeper.sweep()
            return SyncRecord.objects.get(pk=poison).status == SyncStatus.FAILED

        wait_for(set_aside, 90, "never set aside")
    finally:
        worker.stop()
    fixed = WorkerProcess("exports,notifications", concurrency=1, extra_env=FAST_ENV)
    fixed.start()
    try:
        assert retry([poison], None, note="worker fixed") == 1
        record = exports.final(poison)
    finally:
        fixed.stop()
    assert record.status == SyncStatus.SUCCEEDED
    assert record.lost_claims == 0
    assert exports.spectrum.accepted("customer/invoice") == {"DC1|PZ020": 1}
    assert_all([poison], exports.spectrum, exports.db.store, exports.tenant)
