"""The platform hears of a result through the queue: never inside the accountant's request, and the
export worker makes one quick try only, so a platform outage slows neither."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.urls import reverse

from spectrum_sync.exports import results
from spectrum_sync.models import SyncRecord, SyncStatus, Tenant
from tests.admin.world import build_world, client_for
from tests.fixtures_platform import PlatformSimulatorHandle, platform_simulator_process
from tests.workers import WorkerProcess

__all__ = ["platform_simulator_process"]

pytestmark = pytest.mark.flow


@pytest.fixture
def empty_queues(transactional_db: None) -> None:
    """Drop messages earlier tests left in this run's broker DB."""
    from spectrum_sync.celery import app

    app.control.purge()


def statuses(platform: PlatformSimulatorHandle) -> list[int]:
    return [r["status"] for r in reversed(platform.requests("acme"))]


def test_bypass_returns_at_once_while_the_platform_fails_and_the_result_arrives_later(
    tenant: Tenant, platform_simulator_process: PlatformSimulatorHandle, empty_queues: None
) -> None:
    world = build_world(tenant)
    platform_simulator_process.use_for(tenant)
    record = world.acme_failed
    platform_simulator_process.fail(3, 503)  # the platform is down for the next three requests

    started = time.monotonic()
    response = client_for(world.accountant).post(
        reverse("admin:spectrum_sync_syncrecord_bypass", args=[record.pk]), {"reason": "entered by hand as 88812"}
    )
    took = time.monotonic() - started

    assert response.status_code == 302 and took < 2.0, took
    record.refresh_from_db()
    assert record.status == SyncStatus.BYPASSED and record.platform_notified_at is None
    assert statuses(platform_simulator_process) == []  # nothing was tried inside the request

    worker = WorkerProcess("exports", concurrency=1)
    worker.start()
    try:
        state = platform_simulator_process.wait_for(
            lambda: platform_simulator_process.state("acme", "export-results"), timeout=60, message="no result"
        )
    finally:
        worker.stop()
    assert state[str(record.pk)]["status"] == "bypassed"
    assert statuses(platform_simulator_process) == [503, 503, 503, 200]  # the result task's own retries
    record.refresh_from_db()
    assert record.platform_notified_at is not None


def test_the_worker_tries_the_platform_once_then_leaves_the_result_to_the_task(
    tenant: Tenant,
    platform_simulator_process: PlatformSimulatorHandle,
    empty_queues: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_world(tenant)
    platform_simulator_process.use_for(tenant)
    queued: list[int] = []
    monkeypatch.setattr(results, "enqueue_result", queued.append)
    record: SyncRecord = world.acme_failed
    platform_simulator_process.fail(5, 503)

    started = time.monotonic()
    results.tell_platform(record.pk)

    assert time.monotonic() - started < 2.0
    assert statuses(platform_simulator_process) == [503]  # one try, no retry sleeps
    assert queued == [record.pk]
    record.refresh_from_db()
    assert record.platform_notified_at is None


def test_the_worker_tells_a_platform_that_answers_at_once(
    tenant: Tenant, platform_simulator_process: PlatformSimulatorHandle, empty_queues: None, monkeypatch: Any
) -> None:
    world = build_world(tenant)
    platform_simulator_process.use_for(tenant)
    queued: list[int] = []
    monkeypatch.setattr(results, "enqueue_result", queued.append)

    results.tell_platform(world.acme_failed.pk)

    assert platform_simulator_process.state("acme", "export-results")[str(world.acme_failed.pk)]["status"] == "failed"
    assert queued == []
