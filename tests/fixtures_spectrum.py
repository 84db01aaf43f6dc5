"""Spectrum Data Exchange simulator fixtures for any test that talks to Spectrum's web services.

Use them by importing into a test module or a conftest::

    from tests.fixtures_spectrum import spectrum_simulator, spectrum_simulator_process  # noqa: F401
    from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401  (optional, see below)

- ``spectrum_simulator`` — the simulator in a thread of the test process, on a fresh seeded
  PostgreSQL store. When the test also uses the ``spectrum_db`` fixture (imported as
  above), the simulator runs on *that* database, so what a Put writes is what the ODBC reader and
  ``find_document`` see, and rows changed through ``spectrum_db.store`` are what the Gets return.
  Otherwise it gets its own copy of the same seeded database.
- ``spectrum_simulator_process`` — the same, but the simulator is a subprocess
  (``python manage.py spectrum_simulator``) on a free port: for flow tests where real Celery worker
  processes call Spectrum. Same sharing rule with ``spectrum_db``.
- ``spectrum_simulator_sqlite`` — a thread on a SQLite store in the test's tmp dir: fastest, for
  tests of the client and simulator themselves.

All yield a :class:`SpectrumSimulatorHandle`. The seeded data is the ``"demo"`` profile of
``connectors/spectrum/simulator/seed.py`` (companies DC1 and DC2). The Authorization ID
``SSYNCDEMO`` may use every service on DC1 and DC2, with Enhanced Authentication credentials
``ssync-demo-client`` / ``ssync-demo-secret-0001``.

Handle API (stable; the IMPORTS, EXPORTS and NOTIFICATIONS tests rely on it):

- ``.url`` — base URL, e.g. ``http://127.0.0.1:41234``
- ``.auth_id`` — ``"SSYNCDEMO"``; ``.companies`` — ``("DC1", "DC2")``;
  ``.client_id`` / ``.client_secret`` — Enhanced Authentication credentials
- ``.store`` — an open :class:`Store` on the simulator's database (``find``, ``get``, ``query``,
  ``update``...); ``.store_url`` — its URL
- ``.set_faults(rate=0.0, kinds=("fault",), services=(), queue=[...], latency_ms=0, timeout_seconds=3.0,
  seed=None)`` — fault injection. ``queue`` is deterministic: the next matching requests get these
  faults in order. Kinds: ``http500``, ``http503``, ``fault`` (SOAP "Error executing Web Service"),
  all three *before* anything is written; ``timeout`` (reply after ``timeout_seconds``), ``drop``
  (connection closed), ``truncate`` (closing tags cut after the last row: Spectrum's quirk),
  ``truncate_mid``, ``garbage`` (HTML), ``reset_mid`` (part of the body, then the connection
  closes), ``drip`` (the whole reply, ``drip_bytes`` at a time with ``drip_seconds`` pauses, after
  ``drip_after_bytes`` sent at full speed), all *after* the Put was applied; ``hostile_xxe``,
  ``hostile_bomb``, ``hostile_huge`` (200 MB text node).
- ``.configure(row_cap=500, guid_timeout_seconds=86400, server_version="2.0",
  token_lifetime_seconds=3600, rotation_days=30, ar_window_days_back=365, ar_window_days_ahead=60,
  advance_clock_seconds=N)``
- ``.counters()`` — ``{"accepted": {service: {natural_key: times}}, "requests": {service: n},
  "faults_injected": {kind: n}}``; ``.accepted(service)`` — ``{natural_key: times}`` (to prove
  "never two creates": every value is 1)
- ``.add_auth(authorization_id, companies, services=("*",), active=True, client_id="", client_secret="")``
- ``.reset()`` — faults, config, counters and GUIDs back to the start (the store is not touched)
- ``.config(**overrides)`` — a :class:`DataExchangeConfig` for this simulator;
  ``.client(**overrides)`` — a :class:`SpectrumClient` on it (closed at teardown)
- ``.use_for(tenant)`` — point a ``Tenant``'s ``SpectrumConnection`` at the simulator (base URL,
  companies DC1,DC2) and register its Authorization ID (and Enhanced client ID / secret) here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from connectors.spectrum.client import SpectrumClient
from connectors.spectrum.config import DataExchangeConfig
from connectors.spectrum.simulator.seed import seed
from connectors.spectrum.simulator.server import DEMO_AUTH_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SpectrumSimulator
from connectors.spectrum.simulator.store import Store

ROOT = Path(__file__).resolve().parent.parent
COMPANIES = ("DC1", "DC2")


@dataclass
class SpectrumSimulatorHandle:
    url: str
    store: Store
    store_url: str
    auth_id: str = DEMO_AUTH_ID
    companies: tuple[str, ...] = COMPANIES
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    _clients: list[SpectrumClient] = field(default_factory=list)

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            body: dict[str, Any] = json.loads(resp.read() or b"{}")
            return body

    def set_faults(self, **knobs: Any) -> None:
        self._call("POST", "/_sim/faults", knobs)

    def configure(self, **knobs: Any) -> None:
        self._call("POST", "/_sim/config", knobs)

    def counters(self) -> dict[str, Any]:
        return self._call("GET", "/_sim/counters")

    def accepted(self, service: str) -> dict[str, int]:
        result: dict[str, int] = self.counters()["accepted"].get(service, {})
        return result

    def reset(self) -> None:
        self._call("POST", "/_sim/reset", {})

    def add_auth(self, authorization_id: str, companies: tuple[str, ...] | list[str], **extra: Any) -> None:
        self._call("POST", "/_sim/auth", {"authorization_id": authorization_id, "companies": list(companies), **extra})

    def config(self, **overrides: Any) -> DataExchangeConfig:
        base = DataExchangeConfig(
            base_url=self.url,
            authorization_id=self.auth_id,
            company_codes=self.companies,
            client_id=self.client_id,
            client_secret=self.client_secret,
            connect_timeout=2.0,
            read_timeout=10.0,
            tenant="test",
            allowed_hosts=("127.0.0.1", "localhost"),
        )
        return replace(base, **overrides)

    def client(self, **overrides: Any) -> SpectrumClient:
        client = SpectrumClient(self.config(**overrides))
        self._clients.append(client)
        return client

    def use_for(self, tenant: Any) -> None:
        connection = tenant.connection
        connection.base_url = self.url
        connection.company_codes = ",".join(self.companies)
        connection.save()
        extra: dict[str, Any] = {}
        if getattr(connection, "enhanced_client_id", ""):
            extra = {"client_id": connection.enhanced_client_id, "client_secret": connection.enhanced_client_secret}
        self.add_auth(connection.authorization_id, self.companies, **extra)

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()


def _shared_db(request: pytest.FixtureRequest) -> tuple[str, Any, bool]:
    """The ``spectrum_db`` of this test when it uses one, else a private copy of the same seed."""
    try:
        handle = request.getfixturevalue("spectrum_db")
        return handle.url, handle, False
    except pytest.FixtureLookupError:
        from tests.fixtures_spectrum_db import make_spectrum_db

        name = os.environ.get("TEST_DATABASE_NAME", "test_spectrum_sync") + "_spectrum_ws"
        handle = make_spectrum_db(name)
        return handle.url, handle, True


def _drop_private(handle: Any) -> None:
    from tests.fixtures_spectrum_db import _drop

    handle.store.close()
    _drop(handle.name)


@pytest.fixture
def spectrum_simulator(request: pytest.FixtureRequest) -> Iterator[SpectrumSimulatorHandle]:
    url, db, private = _shared_db(request)
    store = Store.open(url)
    sim = SpectrumSimulator(store)
    sim.start()
    handle = SpectrumSimulatorHandle(url=sim.url, store=store, store_url=url)
    try:
        yield handle
    finally:
        handle.close_clients()
        sim.stop()
        store.close()
        if private:
            _drop_private(db)


@pytest.fixture
def spectrum_simulator_sqlite(tmp_path: Path) -> Iterator[SpectrumSimulatorHandle]:
    url = f"sqlite:///{tmp_path / 'spectrum.sqlite3'}"
    store = Store.open(url)
    store.create_schema()
    seed(store, "demo")
    sim = SpectrumSimulator(store)
    sim.start()
    handle = SpectrumSimulatorHandle(url=sim.url, store=store, store_url=url)
    try:
        yield handle
    finally:
        handle.close_clients()
        sim.stop()
        store.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def spectrum_simulator_process(request: pytest.FixtureRequest) -> Iterator[SpectrumSimulatorHandle]:
    url, db, private = _shared_db(request)
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="spectrum-sim-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "spectrum_simulator", "--port", str(port), "--store", url],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        handle = SpectrumSimulatorHandle(url=f"http://127.0.0.1:{port}", store=Store.open(url), store_url=url)
        try:
            _wait_healthy(handle, proc)
        except Exception:
            pytest.fail(f"spectrum simulator did not start: {Path(log.name).read_text()[-2000:]}")
        yield handle
        handle.close_clients()
        handle.store.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        os.unlink(log.name)
        if private:
            _drop_private(db)


def _wait_healthy(handle: SpectrumSimulatorHandle, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            raise RuntimeError("simulator exited")
        try:
            handle._call("GET", "/_sim/health")
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
