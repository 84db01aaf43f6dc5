"""Real PostgreSQL and Redis on loopback for the tests.

When a server is installed but stopped, it is started; when it cannot be reached and ``CI`` is
set, the run fails (never skips): CI must prove the suite against the real services.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time

import pytest


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _wait_for(host: str, port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_open(host, port):
            return True
        time.sleep(0.2)
    return False


def start_postgres() -> None:
    versions = sorted(os.path.basename(p) for p in glob.glob("/etc/postgresql/*"))
    if versions and shutil.which("pg_ctlcluster"):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
            check=False,
            capture_output=True,
        )


def start_redis() -> None:
    if shutil.which("redis-server"):
        os.makedirs("/var/lib/redis", exist_ok=True)
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "-::1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                "/var/lib/redis",
            ],
            check=False,
            capture_output=True,
        )


def require(name: str, host: str, port: int, start: object) -> None:
    if port_open(host, port):
        return
    if callable(start):
        start()
    if _wait_for(host, port, 20):
        return
    # Never skip: the suite's promises are about the real services.
    pytest.exit(f"{name} is not reachable on {host}:{port} and could not be started", returncode=3)
