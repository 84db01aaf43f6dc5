"""Platform simulator fixtures for any test that delivers to the operations platform.

Use them by importing into a test module or a conftest::

    from tests.fixtures_platform import platform_simulator, platform_simulator_process  # noqa: F401

- ``platform_simulator`` — the simulator in a thread of the test process, fresh (in-memory store)
  for each test. For tests that call the client or an engine function directly.
- ``platform_simulator_process`` — the simulator as a subprocess on a free port (SQLite store in
  the test's tmp dir), for flow tests where real Celery worker processes deliver.

Both yield a :class:`PlatformSimulatorHandle`. Tenants ``acme`` (the secret of the ``tenant``
fixture in tests/conftest.py) and ``demo`` are known from the start; :meth:`~PlatformSimulatorHandle.use_for`
points a ``Tenant`` row at the simulator and registers its secret in one call::

    def test_customer_reaches_platform(tenant, platform_simulator):
        platform_simulator.use_for(tenant)          # tenant.platform_url now points at the simulator
        ... run a poll ...
        assert "AC1:C100" in platform_simulator.state("acme", "customers")

Handle API (stable; the IMPORTS and EXPORTS tests rely on it):

- ``.url`` — base URL, e.g. ``http://127.0.0.1:41234``; ``.tenant_url(slug)`` → ``{url}/deliveries/{slug}``
- ``.deliveries(tenant="", resource="", limit=1000)`` — stored deliveries, newest first, each a dict
  with ``delivery_id, tenant, resource, received_at, item_count, created, updated, deleted,
  unchanged, items``
- ``.items(tenant, resource)`` — every item received for a resource, oldest first (duplicates are
  never stored, so this is exactly what the platform applied)
- ``.state(tenant, resource)`` — the platform's current records: ``{key: data}``
- ``.requests(tenant="")`` — every delivery request seen, newest first, with the HTTP status it got
- ``.fail(count=1, status=503 | "timeout" | "reset", retry_after=None, delay=5.0)`` — fail the next
  ``count`` delivery requests
- ``.add_tenant(slug, secret)``, ``.use_for(tenant_row)``, ``.reset()``
- ``.wait_for(fn, timeout=30)`` — poll ``fn()`` until it returns something truthy (for flow tests
  where a worker delivers asynchronously); returns that value or fails the test with a message.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from connectors.platform.simulator import PlatformSimulatorApp, RunningSimulator, TenantSecrets
from connectors.platform.simulator.cli import READY_LINE
from connectors.platform.simulator.control import SimulatorControl

ROOT = Path(__file__).resolve().parent.parent

ACME_SLUG = "acme"
ACME_SECRET = "platform-signing-secret-acme"  # the `tenant` fixture's secret (tests/conftest.py)
DEMO_SLUG = "demo"
DEMO_SECRET = "platform-signing-secret-demo"
KNOWN_TENANTS = {ACME_SLUG: ACME_SECRET, DEMO_SLUG: DEMO_SECRET}

T = TypeVar("T")


class PlatformSimulatorHandle(SimulatorControl):
    """A running simulator, seen through its HTTP test endpoints (same for thread and process)."""

    def items(self, tenant: str, resource: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for delivery in reversed(self.deliveries(tenant, resource, limit=100_000)):
            out.extend(delivery["items"])
        return out

    def use_for(self, tenant: Any) -> None:
        """Point a ``spectrum_sync.models.Tenant`` at this simulator and register its signing secret."""
        if not tenant.platform_signing_secret:
            tenant.platform_signing_secret = KNOWN_TENANTS.get(tenant.slug, f"platform-signing-secret-{tenant.slug}")
        self.add_tenant(tenant.slug, tenant.platform_signing_secret)
        tenant.platform_url = self.tenant_url(tenant.slug)
        tenant.save(update_fields=["platform_url", "platform_signing_secret"])

    def wait_for(self, fn: Callable[[], T], timeout: float = 30.0, message: str = "") -> T:
        deadline = time.monotonic() + timeout
        while True:
            value = fn()
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail(message or f"condition not met within {timeout:g} s (last value {value!r})")
            time.sleep(0.1)


@pytest.fixture
def platform_simulator() -> Iterator[PlatformSimulatorHandle]:
    """The platform simulator in a thread; fresh for each test."""
    tenants = TenantSecrets()
    for slug, secret in KNOWN_TENANTS.items():
        tenants.add(slug, secret)
    running = RunningSimulator(PlatformSimulatorApp(tenants=tenants)).start()
    handle = PlatformSimulatorHandle(running.url)
    try:
        yield handle
    finally:
        handle.close()
        running.stop()
        running.app.store.close()


class SimulatorProcess:
    """The simulator as ``python -m connectors.platform.simulator --port 0`` with its log in a file."""

    def __init__(self, workdir: Path) -> None:
        self.log_path = workdir / "platform-simulator.log"
        self.store_path = workdir / "platform-simulator.sqlite3"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> str:
        tenants = [arg for slug, secret in KNOWN_TENANTS.items() for arg in ("--tenant", f"{slug}={secret}")]
        command = [sys.executable, "-m", "connectors.platform.simulator", "--port", "0"]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [*command, "--store", str(self.store_path), *tenants],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"platform simulator exited early: {self.output()}")
            for line in self.output().splitlines():
                if line.startswith(READY_LINE):
                    return line.split()[len(READY_LINE.split())]
            time.sleep(0.05)
        raise RuntimeError(f"platform simulator not ready after {timeout:g} s: {self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def platform_simulator_process(tmp_path: Path) -> Iterator[PlatformSimulatorHandle]:
    """The platform simulator as a separate process on a free port (for flows with real workers)."""
    process = SimulatorProcess(tmp_path)
    url = process.start()
    handle = PlatformSimulatorHandle(url)
    try:
        yield handle
    finally:
        handle.close()
        process.stop()
