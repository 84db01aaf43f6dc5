"""The demo tenant that `make run` creates: fixed names so the simulators can agree with it.

Further tenants created in the admin while ``PLATFORM_SIMULATOR_URL`` is set (`make run` sets it)
deliver to the platform simulator and are registered there with their signing secret, so a second
demo tenant needs no hand step.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from spectrum_sync.fields import mark_changed
from spectrum_sync.models import SpectrumConnection, Tenant

DEMO_SLUG = "demo"
DEMO_AUTHORIZATION_ID = "SSYNCDEMO"
DEMO_COMPANY_CODES = "DC1,DC2"
SPECTRUM_SIMULATOR_URL = "http://127.0.0.1:8482"
PLATFORM_SIMULATOR_URL = "http://127.0.0.1:8600"
ADMIN_USERNAME = "admin"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


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
    if tenant.platform_signing_secret != signing_secret:
        mark_changed(tenant, "platform_signing_secret")
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
    ensure_demo_mappings(tenant)
    from spectrum_sync.imports.actions import enable_demo_polls

    enable_demo_polls(tenant)  # every minute, so records reach the platform simulator within a minute
    return DemoLogin(ADMIN_USERNAME, password, api_key, tenant)


# Revenue accounts of the Spectrum simulator's demo chart (department + "4000" contract, "4100" service
# revenue); department 30 of DC1 has no active service revenue account, so it books contract revenue.
DEMO_GL_MAPPINGS: tuple[tuple[str, str, str, str], ...] = (
    # (company, department, line kind, GL account); blank department = a line of any other department
    ("DC1", "", "", "204100"),
    ("DC1", "10", "", "104000"),
    ("DC1", "20", "", "204100"),
    ("DC1", "30", "", "304000"),
    ("DC1", "", "commitment", "105200"),
    ("DC2", "", "", "204100"),
    ("DC2", "10", "", "104000"),
    ("DC2", "20", "", "204100"),
    ("DC2", "40", "", "404000"),
    ("DC2", "", "commitment", "105200"),
)


def ensure_demo_mappings(tenant: Tenant) -> None:
    """Mappings so every sample document goes through; rows changed by hand are left as they are."""
    from mappings.models import GLAccountMapping

    for company, department, kind, account in DEMO_GL_MAPPINGS:
        GLAccountMapping.objects.get_or_create(
            tenant=tenant,
            company_code=company,
            department=department,
            line_kind=kind,
            defaults={"gl_account": account},
        )


def simulator_url() -> str:
    """The demo's platform simulator, or "" when there is none (never anything but loopback)."""
    url = str(getattr(settings, "PLATFORM_SIMULATOR_URL", "") or "")
    return url.rstrip("/") if url and urlsplit(url).hostname in LOOPBACK else ""


def fill_demo_platform(tenant: Tenant) -> None:
    """A new demo tenant given no platform delivers to the platform simulator, with a fresh signing secret."""
    simulator = simulator_url()
    if not simulator or tenant.platform_url:
        return
    tenant.platform_url = f"{simulator}/deliveries/{tenant.slug}"
    if not tenant.platform_signing_secret:
        tenant.platform_signing_secret = secrets.token_urlsafe(32)
        mark_changed(tenant, "platform_signing_secret")


def register_with_platform_simulator(tenant: Tenant) -> str:
    """Give the platform simulator the tenant's signing secret when the tenant delivers there.

    Returns a problem to show the user ("" when done or when the tenant delivers elsewhere).
    """
    simulator = simulator_url()
    prefix = f"{simulator}/deliveries/"
    if not simulator or not tenant.platform_url.startswith(prefix) or not tenant.platform_signing_secret:
        return ""
    slug = tenant.platform_url[len(prefix) :].split("/")[0]
    session = requests.Session()
    session.trust_env = False  # loopback only: no proxy, no netrc
    try:
        answer = session.post(
            f"{simulator}/_sim/tenants", json={"slug": slug, "secret": tenant.platform_signing_secret}, timeout=5
        )
        answer.raise_for_status()
    except requests.RequestException as exc:
        return (
            f"The platform simulator at {simulator} did not register {slug} ({type(exc).__name__}): "
            "start it (make run) and save the tenant again."
        )
    finally:
        session.close()
    return ""
