"""The Spectrum simulator database for tests: a fresh, seeded PostgreSQL database per test.

Use it by importing into a test module or a conftest::

    from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401

    def test_department_deleted_in_spectrum(spectrum_db):
        spectrum_db.store.delete("GL_DEPARTMENT_MASTER_MC", {"Company_Code": "DC1", "Department": "30"})
        reader = SpectrumDatabase(spectrum_db.odbc_config)       # pyodbc -> unixODBC -> psqlODBC -> PostgreSQL
        ...

``spectrum_db`` (function scope) creates the database ``<TEST_DATABASE_NAME or test_<database>>_spectrum``
on the PostgreSQL server of ``DATABASE_URL`` (default ``127.0.0.1:5432``, user ``postgres``), holding the
Spectrum-shaped ``_MC`` tables and single-company views of ``connectors/spectrum/simulator/store.py``
seeded with the ``"demo"`` profile of ``seed.py`` (companies DC1 and DC2). The seeded database is built
once per test process as a template and copied for each test (``CREATE DATABASE ... TEMPLATE``), so
every test starts from the same rows and may change them freely. It is dropped after the test.

Handle API (stable; the IMPORTS and EXPORTS tests rely on it):

- ``.url`` — ``postgresql://postgres@127.0.0.1:5432/<name>``, for ``Store.open`` (e.g. to start the
  web-service simulator on the same data in another process)
- ``.name`` — the database name
- ``.store`` — an open :class:`Store` on it: ``insert / update / delete / upsert / get / find / query``;
  keys are padded for you (``store.update("CR_CUSTOMER_MASTER_MC", {"Company_Code": "DC1",
  "Customer_Code": "BAYVIE01"}, {"Name": "Bayview Builders LLC"})``)
- ``.odbc_config`` — a :class:`DatabaseConfig` for :class:`SpectrumDatabase` through the real ODBC stack
  (driver "PostgreSQL Unicode" as registered in /etc/odbcinst.ini)
- ``.seed_rows`` — what was seeded: ``{table: [row dicts]}`` (plain, unpadded values) from
  ``seed.build("demo")``, for expectations
- ``.naming`` — ``"ours"``, or ``"public"`` from ``make_spectrum_db(naming="public")``: the tables public
  schema listings name differently are created under those names (docs/spectrum.md#info-link-schema)
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import psycopg
import pytest

from connectors.spectrum.config import DatabaseConfig
from connectors.spectrum.simulator.seed import build, seed
from connectors.spectrum.simulator.store import Store

ODBC_DRIVER = "PostgreSQL Unicode"


@dataclass
class SpectrumDB:
    url: str
    name: str
    store: Store
    odbc_config: DatabaseConfig
    seed_rows: dict[str, list[dict[str, Any]]]
    naming: str = "ours"


def _server() -> tuple[str, int, str]:
    parsed = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/spectrum_sync"))
    host = parsed.hostname or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost"):
        host = "127.0.0.1"  # tests talk to loopback only
    return host, parsed.port or 5432, parsed.username or "postgres"


def _base_name() -> str:
    """Beside Django's own test database, so runs against different DATABASE_URLs never collide."""
    database = urlparse(os.environ.get("DATABASE_URL", "")).path.lstrip("/") or "spectrum_sync"
    return os.environ.get("TEST_DATABASE_NAME", f"test_{database}") + "_spectrum"


def _url(name: str) -> str:
    host, port, user = _server()
    return f"postgresql://{user}@{host}:{port}/{name}"


def _admin(sql: str) -> None:
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _drop(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_template_ready: list[str] = []


def _template(naming: str = "ours") -> str:
    """The seeded template database of a naming, built once per process (dropped when the process exits)."""
    name = _base_name() + ("_tpl" if naming == "ours" else f"_tpl_{naming}")
    if name not in _template_ready:
        _drop(name)
        _admin(f'CREATE DATABASE "{name}"')
        with Store.open(_url(name), naming=naming) as store:
            store.create_schema()
            seed(store, "demo")
        _template_ready.append(name)
        atexit.register(_drop, name)
    return name


def make_spectrum_db(name: str | None = None, naming: str = "ours") -> SpectrumDB:
    """A fresh copy of the seeded store (also usable outside pytest, e.g. from a benchmark)."""
    template = _template(naming)
    name = name or _base_name()
    _drop(name)
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    host, port, user = _server()
    url = _url(name)
    config = DatabaseConfig(driver=ODBC_DRIVER, host=host, port=port, database=name, user=user, tenant="test")
    store = Store.open(url, naming=naming)
    return SpectrumDB(url=url, name=name, store=store, odbc_config=config, seed_rows=build("demo"), naming=naming)


@pytest.fixture
def spectrum_db() -> Iterator[SpectrumDB]:
    handle = make_spectrum_db()
    try:
        yield handle
    finally:
        handle.store.close()
        _drop(handle.name)
