"""A real Celery worker process tells the platform simulator process an export's outcome."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures_platform import PlatformSimulatorHandle
from tests.workers import WorkerProcess, celery_worker_process

__all__ = ["celery_worker_process"]


@pytest.fixture
def empty_queues() -> None:
    """Drop messages other platform tests left in this run's broker DB (e.g. exports the API enqueued)."""
    from spectrum_sync.celery import app

    app.control.purge()


@pytest.mark.flow
def test_a_worker_delivers_an_export_result_through_platform_failures(
    tenant: Any,
    platform_simulator_process: PlatformSimulatorHandle,
    empty_queues: None,
    celery_worker_process: WorkerProcess,
) -> None:
    from spectrum_sync.models import Direction, ObjectType, SyncRecord, SyncStatus
    from spectrum_sync.tasks import export_result

    platform_simulator_process.use_for(tenant)
    record = SyncRecord.objects.create(
        tenant=tenant,
        direction=Direction.EXPORT,
        object_type=ObjectType.AR_INVOICE,
        platform_id="inv_77",
        version="1",
        document_number="S0000077",
        status=SyncStatus.SUCCEEDED,
        idempotency_key=SyncRecord.make_idempotency_key(tenant.pk, "export", "ar_invoice", "inv_77", "1"),
    )
    platform_simulator_process.fail(2, 503)

    export_result.delay(record.pk)

    state = platform_simulator_process.wait_for(
        lambda: platform_simulator_process.state("acme", "export-results"), timeout=60, message="no export result"
    )
    assert state[str(record.pk)]["status"] == "succeeded"
    assert state[str(record.pk)]["document_number"] == "S0000077"
    statuses = [r["status"] for r in reversed(platform_simulator_process.requests("acme"))]
    assert statuses == [503, 503, 200]
