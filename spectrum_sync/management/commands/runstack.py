"""Run the whole service in the foreground: web admin, worker, beat (and the simulators).

Ctrl-C (or SIGTERM) stops every process cleanly; if one process dies, the others are stopped too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from spectrum_sync.demo import spectrum_simulator_store


def stack_commands(
    host: str, port: int, platform_port: int = 8600, spectrum_port: int = 8482
) -> list[tuple[str, list[str]]]:
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "spectrum_sync"]
    var = Path(settings.VAR_DIR)
    return [
        # The demo's two outside systems, on loopback (DESIGN.md "The Spectrum simulator").
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
                "8600",
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


class Command(BaseCommand):
    help = "Run web admin, Celery worker and beat together in the foreground; Ctrl-C stops all."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--platform-port", type=int, default=8600, help="platform simulator port")
        parser.add_argument("--spectrum-port", type=int, default=8482, help="Spectrum simulator port")

    def handle(self, *args: Any, **options: Any) -> None:
        procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, cmd in stack_commands(
            options["host"], options["port"], options["platform_port"], options["spectrum_port"]
        ):
            # Own process group: Ctrl-C reaches us once, and we stop the children in order.
            procs.append((name, subprocess.Popen(cmd, env=os.environ.copy(), start_new_session=True)))  # noqa: S603
            self.stdout.write(f"started {name} (pid {procs[-1][1].pid})")
        self.stdout.write(
            self.style.SUCCESS(f"Spectrum Sync is running: http://{options['host']}:{options['port']}/admin/")
        )
        try:
            while not stopping:
                for name, proc in procs:
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with code {proc.returncode}; stopping the rest")
                        stopping = True
                time.sleep(0.5)
        finally:
            self.stdout.write("stopping…")
            for _, proc in reversed(procs):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)  # each stops its own children (warm shutdown)
            deadline = time.monotonic() + 15
            for name, proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.stderr.write(f"{name} did not stop in time; killing it")
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            self.stdout.write("stopped.")
