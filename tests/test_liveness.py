"""The liveness watchdog's decision (spectrum_sync/liveness.py), without worker processes.

The real fault, with real processes, is in tests/faults/test_worker_liveness.py.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spectrum_sync.liveness import CANARY_TASK, Watch, Watchdog, _not_a_canary
from tests.test_settings import ROOT, _manage

TIMEOUT = 10.0


def test_a_canary_that_arrives_in_time_is_never_overdue() -> None:
    watch = Watch(timeout=TIMEOUT)
    watch.publishing("c1", now=0)
    watch.received("c1", now=0.1)
    assert watch.overdue(now=100) is None
    assert watch.last_seen_at == 0.1


def test_a_canary_missing_for_the_timeout_with_a_free_slot_is_overdue() -> None:
    watch = Watch(timeout=TIMEOUT)
    watch.publishing("c1", now=0)
    assert watch.overdue(now=9.9) is None
    assert watch.overdue(now=10) == 10


def test_time_with_every_slot_busy_does_not_count() -> None:
    watch = Watch(timeout=TIMEOUT)
    watch.publishing("c1", now=0)
    for t in range(1, 30):  # a long export holds the only slot: the worker fetches nothing
        watch.pool_full(now=t)
        assert watch.overdue(now=t) is None
    assert watch.overdue(now=29 + 9) is None
    assert watch.overdue(now=29 + 10) == 10


def test_a_lost_canary_is_forgiven_when_a_later_one_arrives() -> None:
    """A canary lost with a flushed or restarted Redis must not restart a healthy worker."""
    watch = Watch(timeout=TIMEOUT)
    watch.publishing("lost", now=0)
    watch.publishing("c2", now=3)
    watch.received("c2", now=3.1)
    assert watch.pending == {}
    assert watch.overdue(now=50) is None


def test_an_earlier_canary_arriving_late_does_not_forgive_a_later_one() -> None:
    watch = Watch(timeout=TIMEOUT)
    watch.publishing("c1", now=0)
    watch.publishing("c2", now=3)
    watch.received("c1", now=4)
    assert watch.overdue(now=12.9) is None
    assert watch.overdue(now=13) == 10


def test_canaries_of_an_earlier_run_are_ignored() -> None:
    watch = Watch(timeout=TIMEOUT)
    watch.publishing("c1", now=0)
    watch.received("from-before-the-restart", now=1)
    assert watch.last_seen_at is None
    assert watch.overdue(now=10) == 10


def test_a_broker_that_cannot_be_reached_is_not_a_stuck_worker() -> None:
    watch = Watch(timeout=TIMEOUT)
    watch.publishing("c1", now=0)
    watch.publishing("c2", now=3)
    watch.publish_failed()
    assert watch.overdue(now=100) is None


# --- the thread, with a stand-in for the Celery app -------------------------------------------------


class FakeApp:
    """Publishes into a list; ``deliver`` says whether the consumer gets the canary."""

    def __init__(self, deliver: bool = True, reachable: bool = True) -> None:
        self.deliver, self.reachable = deliver, reachable
        self.sent: list[dict[str, Any]] = []
        self.watchdog: Watchdog | None = None

    @contextlib.contextmanager
    def connection_for_write(self, **options: Any) -> Iterator[object]:
        if not self.reachable:
            raise ConnectionRefusedError("broker down")
        yield object()

    def send_task(self, name: str, **options: Any) -> None:
        self.sent.append({"name": name, **options})
        if self.deliver and self.watchdog is not None:
            self.watchdog.received(options["task_id"])


def watched(app: FakeApp) -> tuple[Watchdog, threading.Event]:
    restarted = threading.Event()
    watchdog = Watchdog(
        app,  # type: ignore[arg-type]
        hostname="w1@test",
        slots=2,
        interval=0.05,
        timeout=0.3,
        restart_grace=1,
        restart=restarted.set,
    )
    app.watchdog = watchdog
    watchdog.start()
    return watchdog, restarted


def test_watchdog_restarts_a_worker_whose_canaries_never_arrive() -> None:
    app = FakeApp(deliver=False)
    watchdog, restarted = watched(app)
    try:
        assert restarted.wait(5)
        assert watchdog.status()["stuck"] is True
    finally:
        watchdog.stop()
    canary = app.sent[0]
    assert canary["name"] == CANARY_TASK
    assert canary["queue"].name == "w1@test.dq2"  # the worker's own queue
    assert canary["declare"] == [canary["queue"]]
    assert canary["retry"] is False


def test_watchdog_leaves_a_healthy_worker_alone() -> None:
    app = FakeApp(deliver=True)
    watchdog, restarted = watched(app)
    try:
        assert not restarted.wait(1)
        status = watchdog.status()
    finally:
        watchdog.stop()
    assert len(app.sent) >= 5
    assert status["stuck"] is False and status["last_canary_age"] is not None


def test_watchdog_does_not_restart_when_the_broker_is_down(caplog: pytest.LogCaptureFixture) -> None:
    app = FakeApp(reachable=False)
    watchdog, restarted = watched(app)
    try:
        assert not restarted.wait(1)
    finally:
        watchdog.stop()
    assert "could not be published" in caplog.text


def test_canary_lines_are_kept_out_of_the_log() -> None:
    def record(msg: str, *args: Any) -> logging.LogRecord:
        return logging.LogRecord("celery.worker.strategy", logging.INFO, __file__, 1, msg, args, None)

    assert not _not_a_canary(record("Task %s[%s] received", CANARY_TASK, "liveness-1"))
    assert _not_a_canary(record("Task %s[%s] received", "spectrum_sync.tasks.export_record", "1"))


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"WORKER_LIVENESS_INTERVAL": "30", "WORKER_LIVENESS_TIMEOUT": "45"}, "WORKER_LIVENESS_TIMEOUT"),
        ({"WORKER_LIVENESS_ENABLED": "perhaps"}, "WORKER_LIVENESS_ENABLED"),
        ({"CELERY_BROKER_URL": "redis://127.0.0.1:6379/0", "CELERY_BROKER_SOCKET_TIMEOUT": "0"}, "SOCKET_TIMEOUT"),
    ],
)
def test_bad_liveness_settings_stop_start_up(tmp_path: Path, env: dict[str, str], named: str) -> None:
    result = _manage(["check"], env, tmp_path)
    assert result.returncode != 0
    assert named in result.stderr


STUCK_LOOP = """
import sys, threading, time
import billiard
from celery.worker import state
from spectrum_sync.liveness import Watchdog

def pool_process():
    time.sleep(60)

if __name__ == "__main__":
    busy_for = float(sys.argv[1])
    child = billiard.Process(target=pool_process)
    child.start()
    print(child.pid, flush=True)
    long_export = billiard.Process  # any object: the set holds weak references to requests
    if busy_for:
        state.active_requests.add(long_export)
        threading.Timer(busy_for, state.active_requests.clear).start()
    watchdog = Watchdog(None, hostname="w1@test", slots=1, interval=1, timeout=2, restart_grace=0.5, task_time_limit=60)
    print(time.monotonic(), flush=True)  # the same clock as the test's, on Linux
    threading.Thread(target=watchdog._restart).start()
    time.sleep(30)  # the worker's loop, stuck on a dead connection: it never sees the shutdown flag
"""


@pytest.mark.parametrize("busy_for", [0, 2])
def test_a_worker_that_cannot_shut_down_kills_its_pool_and_exits_70(busy_for: float) -> None:
    """The last resort, after the grace (counted from the end of any task still running)."""
    result = subprocess.run(
        [sys.executable, "-c", STUCK_LOOP, str(busy_for)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    ended = time.monotonic()
    assert result.returncode == 70, result.stderr
    assert "killing its pool processes and exiting with code 70" in result.stderr
    pool_pid, restart_began = int(result.stdout.split()[0]), float(result.stdout.split()[1])
    assert max(busy_for, 0.5) <= ended - restart_began < busy_for + 5
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pool_pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pool_pid}").exists(), "the pool process outlived its worker"
