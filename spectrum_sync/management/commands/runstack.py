"""Run the whole service in the foreground: web admin, worker, beat (and the simulators).

Ctrl-C (or SIGTERM) stops every process cleanly. The worker and beat are restarted when they exit,
after a back-off of 1 s, doubling up to 30 s while they keep failing (the worker exits with code 70
when its liveness watchdog finds it stuck and it cannot restart in place; spectrum_sync/liveness.py).
If any other process (the web server, a simulator) exits, the others are stopped too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from spectrum_sync.demo import PLATFORM_SIMULATOR_URL, spectrum_simulator_store


def stack_commands(
    host: str, port: int, platform_port: int = 8600, spectrum_port: int = 8482
) -> list[tuple[str, list[str]]]:
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "spectrum_sync"]
    var = Path(settings.VAR_DIR)
    return [
        # The demo's two outside systems, simulated on loopback.
        (
            "spectrum",
            [
                *[python, "manage.py", "spectrum_simulator", "--port", str(spectrum_port)],
                *["--store", f"sqlite:///{spectrum_simulator_store()}", "--seed", "demo"],
            ],
        ),
        (
            "platform",
            [
                python,
                "manage.py",
                "platform_simulator",
                "--port",
                str(platform_port),
                "--store",
                str(var / "platform-simulator.sqlite3"),
            ],
        ),
        ("web", [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"]),
        (
            "worker",
            [*celery, "worker", "-Q", "exports,polls,notifications", "--concurrency", "2", "--loglevel", "INFO"],
        ),
        ("beat", [*celery, "beat", "--loglevel", "INFO"]),
    ]


RESTARTED = frozenset({"worker", "beat"})
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0
RAN_WELL = 60.0  # a process that ran this long before exiting starts again from the first back-off


class Child:
    def __init__(self, name: str, cmd: list[str]) -> None:
        self.name, self.cmd = name, cmd
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.backoff = BACKOFF_FIRST
        self.restart_at: float | None = None

    def start(self) -> None:
        # Own process group: Ctrl-C reaches us once, and we stop the children in order.
        self.proc = subprocess.Popen(self.cmd, env=os.environ.copy(), start_new_session=True)  # noqa: S603
        self.started_at = time.monotonic()
        self.restart_at = None


class Supervisor:
    """Start the processes, restart those in ``restart`` when they exit, stop them all at the end."""

    def __init__(
        self, commands: list[tuple[str, list[str]]], say: Callable[[str], None], restart: frozenset[str] = RESTARTED
    ) -> None:
        self.children = [Child(name, cmd) for name, cmd in commands]
        self.say, self.restart = say, restart

    def start(self) -> None:
        for child in self.children:
            child.start()
            self.say(f"started {child.name} (pid {child.proc.pid if child.proc else '?'})")

    def check(self) -> bool:
        """One look at every process; False when the stack must stop."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.start()
                    self.say(f"restarted {child.name} (pid {child.proc.pid if child.proc else '?'})")
                continue
            if child.proc is None or child.proc.poll() is None:
                continue
            code = child.proc.returncode
            if child.name not in self.restart:
                self.say(f"{child.name} exited with code {code}; stopping the rest")
                return False
            if now - child.started_at >= RAN_WELL:
                child.backoff = BACKOFF_FIRST
            self.say(f"{child.name} exited with code {code}; restarting it in {child.backoff:g}s")
            child.restart_at = now + child.backoff
            child.backoff = min(child.backoff * 2, BACKOFF_MAX)
        return True

    def stop(self, grace: float = 15) -> None:
        running = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in reversed(running):
            proc.send_signal(signal.SIGTERM)  # each stops its own children (warm shutdown)
        deadline = time.monotonic() + grace
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{child.name} did not stop in time; killing it")
                os.killpg(child.proc.pid, signal.SIGKILL)
                child.proc.wait()


class Command(BaseCommand):
    help = "Run web admin, Celery worker and beat together in the foreground; Ctrl-C stops all."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--platform-port", type=int, default=8600, help="platform simulator port")
        parser.add_argument("--spectrum-port", type=int, default=8482, help="Spectrum simulator port")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        # The web admin registers each new tenant with the demo's platform simulator (spectrum_sync/demo.py).
        os.environ.setdefault("PLATFORM_SIMULATOR_URL", PLATFORM_SIMULATOR_URL)
        commands = stack_commands(options["host"], options["port"], options["platform_port"], options["spectrum_port"])
        supervisor = Supervisor(commands, say=self.stdout.write)
        supervisor.start()
        self.stdout.write(
            self.style.SUCCESS(f"Spectrum Sync is running: http://{options['host']}:{options['port']}/admin/")
        )
        try:
            while not stopping and supervisor.check():
                time.sleep(0.5)
        finally:
            self.stdout.write("stopping…")
            supervisor.stop()
            self.stdout.write("stopped.")
