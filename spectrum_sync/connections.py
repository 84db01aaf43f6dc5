"""Build the connectors' plain settings and clients from a tenant's rows.

The only place that turns ``SpectrumConnection`` / ``Tenant`` rows (with their decrypted secrets)
into the Django-free objects the connectors take. Everything that talks to Spectrum or the
platform on a tenant's behalf goes through these functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from connectors.spectrum.config import DatabaseConfig, DataExchangeConfig
from spectrum_sync.models import SpectrumConnection, Tenant

if TYPE_CHECKING:
    from connectors.platform.client import PlatformClient
    from connectors.spectrum.client import SpectrumClient
    from connectors.spectrum.database import SpectrumDatabase


def dx_config(connection: SpectrumConnection) -> DataExchangeConfig:
    return DataExchangeConfig(
        base_url=connection.base_url.rstrip("/"),
        authorization_id=connection.authorization_id,
        company_codes=tuple(connection.companies),
        auth_mode=connection.auth_mode,
        client_id=connection.enhanced_client_id,
        client_secret=connection.enhanced_client_secret,
        secret_expires_at=connection.enhanced_secret_expires_at,
        verify_tls=connection.verify_tls,
        connect_timeout=float(settings.HTTP_CONNECT_TIMEOUT),
        read_timeout=float(settings.HTTP_READ_TIMEOUT),
        reply_deadline=float(settings.SPECTRUM_REPLY_DEADLINE),
        tenant=connection.tenant.slug,
        allowed_hosts=tuple(settings.OUTBOUND_ALLOWED_HOSTS),
    )


def db_config(connection: SpectrumConnection) -> DatabaseConfig | None:
    if not connection.db_enabled:
        return None
    return DatabaseConfig(
        driver=connection.db_driver,
        host=connection.db_host,
        port=connection.db_port,
        database=connection.db_name,
        user=connection.db_user,
        password=connection.db_password,
        options=connection.db_options,
        timeout=int(settings.HTTP_CONNECT_TIMEOUT) * 3,
        tenant=connection.tenant.slug,
    )


def spectrum_client(tenant: Tenant) -> SpectrumClient:
    from connectors.spectrum.client import SpectrumClient

    return SpectrumClient(dx_config(tenant.connection))


def spectrum_database(tenant: Tenant) -> SpectrumDatabase | None:
    from connectors.spectrum.database import SpectrumDatabase

    config = db_config(tenant.connection)
    return SpectrumDatabase(config) if config else None


def platform_client(tenant: Tenant) -> PlatformClient:
    from connectors.platform.client import PlatformClient

    return PlatformClient(
        tenant.platform_url.rstrip("/"),
        tenant.platform_signing_secret,
        timeout=(float(settings.HTTP_CONNECT_TIMEOUT), float(settings.HTTP_READ_TIMEOUT)),
        reply_deadline=float(settings.PLATFORM_REPLY_DEADLINE),
        allowed_hosts=tuple(settings.OUTBOUND_ALLOWED_HOSTS),
        tenant=tenant.slug,
    )
