"""Graceful worker shutdown in the middle of a poll.

Covered elsewhere and not repeated: a worker killed mid-poll, an unreachable Spectrum, two
dispatchers and a duplicated message (tests/imports/test_flow.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from spectrum_sync.imports import dispatcher
from spectrum_sync.models import PollSchedule, SyncRun, Tenant
from tests.faults.invariants import assert_no_duplicate_create, assert_one_poll_at_a_time
from tests.imports.test_flow import poll, wait_for, wired  # noqa: F401
from tests.workers import WorkerProcess, celery_worker_process  # noqa: F401

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]


def test_graceful_shutdown_mid_poll_finishes_the_run_and_the_next_poll_converges(
    wired: Tenant,  # noqa: F811
    spectrum_simulator_process: Any,
    platform_simulator_process: Any,
    celery_worker_process: WorkerProcess,  # noqa: F811
) -> None:
    spectrum_simulator_process.set_faults(latency_ms=1500)
    PollSchedule.objects.filter(tenant=wired, object_type="vendor").update(
        next_due_at=timezone.now() - timedelta(seconds=1)
    )
    assert len(dispatcher.dispatch_due()) == 1
    runs = SyncRun.objects.filter(tenant=wired, object_type="vendor")
    wait_for("the poll to start", lambda: runs.filter(status=SyncRun.Status.RUNNING).exists())

    celery_worker_process.stop()  # SIGTERM: warm shutdown, the running poll is allowed to finish
    first = runs.get()
    assert first.status == SyncRun.Status.SUCCEEDED, (first.status, first.error)
    assert_one_poll_at_a_time(wired)

    spectrum_simulator_process.set_faults(latency_ms=0)
    replacement = WorkerProcess("polls,notifications", concurrency=1)
    replacement.start()
    try:
        second = poll(wired, "vendor")
    finally:
        replacement.stop()
    assert second.status == SyncRun.Status.SUCCEEDED
    assert second.created_count == 0  # nothing new: the first run delivered everything once
    delivered = platform_simulator_process.state("acme", "vendors")
    assert first.read_count == second.read_count == len(delivered) > 0  # converged to Spectrum's vendors
    assert_one_poll_at_a_time(wired)
    assert_no_duplicate_create(spectrum_simulator_process)
