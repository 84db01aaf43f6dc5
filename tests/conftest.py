from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest

from tests.services import require, start_postgres, start_redis


def pytest_configure(config: pytest.Config) -> None:
    db = urlparse(os.environ.get("DATABASE_URL", ""))
    if db.scheme.startswith("postgres"):
        require("PostgreSQL", db.hostname or "127.0.0.1", db.port or 5432, start_postgres)
    broker = urlparse(os.environ.get("CELERY_BROKER_URL", ""))
    if broker.scheme == "redis":
        require("Redis", broker.hostname or "127.0.0.1", broker.port or 6379, start_redis)


@pytest.fixture(autouse=True)
def _no_tenant_bound() -> None:
    """Each test starts bound to no tenant, as each task and request does (connectors/redaction.py)."""
    from connectors.redaction import bind_tenant

    bind_tenant("")


@pytest.fixture
def tenant(db):  # type: ignore[no-untyped-def]
    from spectrum_sync.models import SpectrumConnection, Tenant

    t = Tenant.objects.create(name="Acme Mechanical", slug="acme", platform_url="http://127.0.0.1:8600/deliveries/acme")
    t.platform_signing_secret = "platform-signing-secret-acme"
    t.save()
    SpectrumConnection.objects.create(
        tenant=t, base_url="http://127.0.0.1:8482", authorization_id="ACMEAUTH42", company_codes="AC1"
    )
    return t
