"""ODBC drivers and options come from the operator's lists: a path as a driver name would make
unixODBC load that library into the worker, an option such as DRIVER= or FILEDSN= likewise."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from connectors.spectrum.config import ODBC_DRIVERS, DatabaseConfig
from connectors.spectrum.database import SpectrumDatabase
from connectors.spectrum.errors import SpectrumConfigurationError
from spectrum_sync.adminsite.tenants import ConnectionForm
from spectrum_sync.models import Tenant
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def refused(config: DatabaseConfig) -> str:
    with SpectrumDatabase(config) as database, pytest.raises(SpectrumConfigurationError) as caught:
        database.test()
    return caught.value.message


def test_a_library_path_as_driver_is_refused_before_unixodbc_sees_it(spectrum_db: Any, tmp_path: Path) -> None:  # noqa: F811
    library = tmp_path / "evil.so"
    library.write_bytes(b"\x7fELF not really")
    message = refused(dataclasses.replace(spectrum_db.odbc_config, driver=str(library)))
    assert "is not one of the allowed ODBC drivers" in message
    assert "ODBC Driver 18 for SQL Server" in message  # says which are allowed
    assert "can't open lib" not in message  # unixODBC was never asked


@pytest.mark.parametrize("options", ["DRIVER=/tmp/evil.so", "FILEDSN=/tmp/x.dsn", "SAVEFILE=/tmp/out", "Encrypt={yes}"])
def test_options_outside_the_list_are_refused(spectrum_db: Any, options: str) -> None:  # noqa: F811
    message = refused(dataclasses.replace(spectrum_db.odbc_config, options=options))
    assert "option" in message or "value" in message


def test_allowed_driver_and_options_still_connect(spectrum_db: Any) -> None:  # noqa: F811
    config = dataclasses.replace(spectrum_db.odbc_config, options="sslmode=disable")
    with SpectrumDatabase(config) as database:
        assert database.test().startswith("PostgreSQL ")


def test_the_demo_sqlite_driver_is_refused_unless_listed(spectrum_db: Any) -> None:  # noqa: F811
    assert "sqlite3" not in ODBC_DRIVERS
    message = refused(dataclasses.replace(spectrum_db.odbc_config, driver="sqlite3", database="/etc/passwd"))
    assert "not one of the allowed ODBC drivers" in message


def _settings_value(name: str, debug: str) -> str:
    env = {
        **os.environ,
        "DJANGO_DEBUG": debug,
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "sync.example.com",
        "FIELD_ENCRYPTION_KEYS": "Yk8tYz3bX2Yt0cV7mC1eQ2uT3vS4rP5oN6mL7kJ8iH0=",
    }
    code = f"from spectrum_sync import settings; print(settings.{name})"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout


def test_the_demo_driver_is_allowed_in_development_only() -> None:
    assert "sqlite3" in _settings_value("SPECTRUM_ODBC_DRIVERS", "true")
    production = _settings_value("SPECTRUM_ODBC_DRIVERS", "false")
    assert "sqlite3" not in production and "ODBC Driver 18 for SQL Server" in production


@pytest.mark.django_db
def test_the_connection_form_refuses_drivers_and_options_outside_the_lists(tenant: Tenant, settings: Any) -> None:
    settings.SPECTRUM_ODBC_DRIVERS = list(ODBC_DRIVERS)
    connection = tenant.connection
    data = {
        "tenant": tenant.pk,
        "hosting": connection.hosting,
        "base_url": "https://spectrum.example.com:8482",
        "company_codes": "AC1",
        "auth_mode": "basic",
        "db_driver": "/usr/lib/x86_64-linux-gnu/libevil.so",
        "db_options": "DSN=other;Encrypt=yes",
        "db_host": "db.example.com",
    }
    form = ConnectionForm(data=data, instance=connection)
    assert not form.is_valid()
    assert "is not one of the allowed ODBC drivers" in " ".join(form.errors["db_driver"])
    assert "'DSN' is not allowed" in " ".join(form.errors["db_options"])

    data.update(db_driver="sqlite3", db_options="Encrypt=yes")
    form = ConnectionForm(data=data, instance=connection)
    assert not form.is_valid()
    assert "db_driver" in form.errors and "db_options" not in form.errors


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://spectrum.example.com/?x=", "query"),
        ("https://spectrum.example.com/#", "fragment"),
        ("https://me:pw@spectrum.example.com", "user name or password"),
    ],
)
def test_base_urls_with_query_fragment_or_credentials_are_form_errors(tenant: Tenant, url: str, words: str) -> None:
    from spectrum_sync.adminsite.tenants import TenantForm

    form = ConnectionForm(data={"base_url": url}, instance=tenant.connection)
    form.is_valid()
    assert words in " ".join(form.errors.get("base_url", [])), form.errors
    tenant_form = TenantForm(data={"platform_url": url.replace("spectrum", "platform")}, instance=tenant)
    tenant_form.is_valid()
    assert words in " ".join(tenant_form.errors.get("platform_url", [])), tenant_form.errors
