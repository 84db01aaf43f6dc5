"""`make run`'s supervisor restarts the worker and beat when they exit (a stuck worker exits 70)."""

from __future__ import annotations

import sys
import time

from spectrum_sync.management.commands.runstack import Supervisor

EXITS_70 = [sys.executable, "-c", "import sys; sys.exit(70)"]
SLEEPS = [sys.executable, "-c", "import time; time.sleep(60)"]


def run_for(supervisor: Supervisor, seconds: float) -> bool:
    """Supervise for a while; False as soon as the supervisor wants the stack stopped."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not supervisor.check():
            return False
        time.sleep(0.05)
    return True


def test_an_exiting_worker_is_restarted_after_a_growing_back_off() -> None:
    said: list[str] = []
    supervisor = Supervisor([("worker", EXITS_70), ("web", SLEEPS)], say=said.append)
    supervisor.start()
    try:
        assert run_for(supervisor, 4.2)  # exits at ~0, restarts at ~1, exits, restarts at ~3
        web = supervisor.children[1].proc
        assert web is not None and web.poll() is None  # the rest of the stack kept running
    finally:
        supervisor.stop(grace=5)
    exits = [line for line in said if line.startswith("worker exited with code 70")]
    assert exits[:2] == [
        "worker exited with code 70; restarting it in 1s",
        "worker exited with code 70; restarting it in 2s",
    ]
    assert sum(line.startswith("restarted worker") for line in said) == 2
    assert all(c.proc is None or c.proc.poll() is not None for c in supervisor.children)


def test_any_other_process_exiting_stops_the_stack() -> None:
    said: list[str] = []
    supervisor = Supervisor([("worker", SLEEPS), ("web", EXITS_70)], say=said.append)
    supervisor.start()
    try:
        assert not run_for(supervisor, 10)
    finally:
        supervisor.stop(grace=5)
    assert "web exited with code 70; stopping the rest" in said
    worker = supervisor.children[0].proc
    assert worker is not None and worker.poll() is not None
