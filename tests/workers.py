"""Real Celery worker processes for flow and fault tests (eager mode hides bugs).

The worker runs ``celery -A spectrum_sync worker`` in a subprocess against the same test database
(pytest-django's, so tests must use ``transactional_db`` / ``django_db(transaction=True)`` for the
worker to see committed rows) and the same Redis broker as the test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


class WorkerProcess:
    def __init__(
        self, queues: str, concurrency: int, extra_env: dict[str, str] | None = None, app: str = "spectrum_sync"
    ) -> None:
        self.app = app  # a test may wrap the real app (tests/faults/poison_app.py) to inject a fault
        self.queues = queues
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = Path(os.environ.get("PYTEST_WORKER_LOG_DIR", "/tmp")) / f"celery-worker-{os.getpid()}.log"

    def env(self) -> dict[str, str]:
        settings = connection.settings_dict
        db_url = (
            f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}"
        )
        env = dict(os.environ)
        env.update({"DATABASE_URL": db_url, "DATABASE_CONN_MAX_AGE": "0", **self.extra_env})
        return env

    def start(self) -> None:
        self.log = self.log_path.open("ab")
        self.log_start = self.log.tell()  # the tests of one run share the log file
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                self.app,
                "worker",
                "-Q",
                self.queues,
                "--concurrency",
                str(self.concurrency),
                "--loglevel",
                "INFO",
                "--without-mingle",
                "--without-gossip",
                "-n",
                f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited early; see {self.log_path}")
            if b" ready." in self.log_path.read_bytes()[-20000:]:
                return
            time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready after {timeout}s; see {self.log_path}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole worker (main process and pool children) at once, like a crash."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        if hasattr(self, "log"):
            self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def own_output(self) -> str:
        """What this worker logged since it was started (it keeps its log across an in-place restart)."""
        with self.log_path.open("rb") as log:
            log.seek(getattr(self, "log_start", 0))
            return log.read().decode(errors="replace")


@pytest.fixture
def celery_worker_process(transactional_db: None) -> Iterator[WorkerProcess]:
    """A running worker on every queue; stopped (and its log kept) after the test."""
    worker = WorkerProcess("exports,polls,notifications", concurrency=2)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
