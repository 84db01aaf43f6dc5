"""The demo tenant that `make run` creates: fixed names so the simulators can agree with it."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from spectrum_sync.models import SpectrumConnection, Tenant

DEMO_SLUG = "demo"
DEMO_AUTHORIZATION_ID = "SSYNCDEMO"
DEMO_COMPANY_CODES = "DC1,DC2"
SPECTRUM_SIMULATOR_URL = "http://127.0.0.1:8482"
PLATFORM_SIMULATOR_URL = "http://127.0.0.1:8600"
ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    api_key: str
    tenant: Tenant


def _remembered(name: str, make: Callable[[], str]) -> str:
    """A value generated once and kept under var/, so every `make run` prints the same login."""
    path = Path(settings.VAR_DIR) / name
    if path.exists():
        return path.read_text().strip()
    value = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def spectrum_simulator_store() -> Path:
    """The Spectrum simulator's store file for `make run` (shared by its web services and database)."""
    return Path(settings.VAR_DIR) / "spectrum-simulator.sqlite3"


@transaction.atomic
def ensure_demo() -> DemoLogin:
    password = _remembered("admin-password.txt", lambda: secrets.token_urlsafe(12))
    api_key = _remembered("demo-api-key.txt", lambda: "ssk_" + secrets.token_urlsafe(32))
    signing_secret = _remembered("demo-signing-secret.txt", lambda: secrets.token_urlsafe(32))

    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username=ADMIN_USERNAME, defaults={"is_staff": True, "is_superuser": True, "email": "admin@localhost"}
    )
    if not user.check_password(password):
        user.set_password(password)
        user.save()

    tenant, _ = Tenant.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={"name": "Demo Construction Co", "timezone": "America/Chicago"},
    )
    tenant.platform_url = f"{PLATFORM_SIMULATOR_URL}/deliveries/{DEMO_SLUG}"
    tenant.platform_signing_secret = signing_secret
    tenant.api_key_prefix = api_key[:12]
    tenant.api_key_hash = Tenant.hash_api_key(api_key)
    tenant.save()
    SpectrumConnection.objects.update_or_create(
        tenant=tenant,
        defaults={
            "hosting": SpectrumConnection.Hosting.ON_PREMISE,
            "base_url": SPECTRUM_SIMULATOR_URL,
            "authorization_id": DEMO_AUTHORIZATION_ID,
            "company_codes": DEMO_COMPANY_CODES,
            # Demo only: the reader opens the Spectrum simulator's SQLite store with Python's sqlite3
            # and runs the same SQL it runs over ODBC, so `make run` needs no ODBC driver.
            "db_enabled": True,
            "db_driver": "sqlite3",
            "db_host": "127.0.0.1",
            "db_user": "demo",
            "db_name": str(spectrum_simulator_store()),
        },
    )
    from spectrum_sync.imports.actions import enable_demo_polls

    enable_demo_polls(tenant)  # every minute, so records reach the platform simulator within a minute
    return DemoLogin(ADMIN_USERNAME, password, api_key, tenant)
