"""Fixtures of the fault suite: the export wiring of tests/exports/test_flow.py, a worker with short timers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.exports.test_flow import exports  # noqa: F401
from tests.fixtures_platform import platform_simulator_process  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_process  # noqa: F401
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401
from tests.workers import WorkerProcess

# Short timers so a fault is noticed and retried within seconds, not minutes.
FAST_ENV = {
    "EXPORT_LEASE_SECONDS": "4",
    "EXPORT_BACKOFF_BASE_SECONDS": "1",
    "EXPORT_BACKOFF_CAP_SECONDS": "2",
    "HTTP_READ_TIMEOUT": "2",
    "SPECTRUM_REPLY_DEADLINE": "3",
}


def fast_worker(**extra: str) -> WorkerProcess:
    return WorkerProcess("exports,notifications", concurrency=2, extra_env={**FAST_ENV, **extra})


@pytest.fixture
def worker(transactional_db: None) -> Iterator[WorkerProcess]:
    process = fast_worker()
    process.start()
    try:
        yield process
    finally:
        process.stop()
