"""Redis emptied (FLUSHALL) mid-burst on our own redis-server: the queued tasks are gone, the
database still knows the work, and the sweeper brings every document to Spectrum exactly once.

The Redis *restart* case is tests/exports/test_flow.py::
test_redis_restart_during_a_burst_loses_nothing_and_doubles_nothing.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from spectrum_sync.models import SyncRecord, SyncStatus
from tests.exports.test_flow import Exports, RedisServer, wait_for
from tests.faults.conftest import fast_worker
from tests.faults.invariants import assert_all

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]


def _flushall(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
        assert sock.recv(64).startswith(b"+OK")


def test_redis_emptied_during_a_burst(exports: Exports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spectrum_sync.celery import app
    from spectrum_sync.exports import sweeper

    monkeypatch.setattr(django_settings, "EXPORT_STALE_SECONDS", 2)
    redis = RedisServer(tmp_path)
    redis.start()
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)
    monkeypatch.setattr(app.conf, "broker_url", redis.url)
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    worker = fast_worker(CELERY_BROKER_URL=redis.url)
    worker.start()
    try:
        exports.spectrum.set_faults(latency_ms=300)
        ids = [exports.post("ar-invoices", exports.invoice(f"FE{i:02d}")) for i in range(8)]
        wait_for(lambda: SyncRecord.objects.filter(pk__in=ids, status=SyncStatus.SUCCEEDED).exists(), 60, "no start")
        _flushall(redis.port)
        assert SyncRecord.objects.filter(pk__in=ids).exclude(status=SyncStatus.SUCCEEDED).exists()
        exports.spectrum.set_faults()

        def all_done() -> bool:
            sweeper.sweep()
            return SyncRecord.objects.filter(pk__in=ids, status=SyncStatus.SUCCEEDED).count() == len(ids)

        wait_for(all_done, 120, "not every invoice reached Spectrum after FLUSHALL")
    finally:
        worker.stop()
        redis.stop()
        pool = getattr(app, "_pool", None)  # the test process's broker connections to our Redis
        if pool is not None:
            pool.force_close_all()
    assert exports.spectrum.accepted("customer/invoice") == {f"DC1|FE{i:02d}": 1 for i in range(8)}
    assert_all(ids, exports.spectrum, exports.db.store, exports.tenant)
