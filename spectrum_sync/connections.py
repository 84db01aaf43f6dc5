"""Build the connectors' plain settings and clients from a tenant's rows.

The only place that turns ``SpectrumConnection`` / ``Tenant`` rows (with their decrypted secrets)
into the Django-free objects the connectors take. Everything that talks to Spectrum or the
platform on a tenant's behalf goes through these functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from connectors.outbound import OutboundPolicy
from connectors.redaction import bind_tenant, register_secret
from connectors.spectrum.config import DatabaseConfig, DataExchangeConfig
from spectrum_sync.models import SpectrumConnection, Tenant

if TYPE_CHECKING:
    from connectors.platform.client import PlatformClient
    from connectors.spectrum.client import SpectrumClient
    from connectors.spectrum.database import SpectrumDatabase


def outbound_policy() -> OutboundPolicy:
    """The operator's rules for where requests to Spectrum and the platform may go."""
    return OutboundPolicy.build(
        settings.OUTBOUND_ALLOWED_HOSTS, settings.OUTBOUND_ALLOWED_NETWORKS, debug=settings.OUTBOUND_ALLOW_LOCAL
    )


def _working_for(connection: SpectrumConnection | None, tenant: Tenant) -> None:
    """Logs from here on are about ``tenant``, and masked with all of its secrets, whichever of
    them this task uses (connectors/redaction.py). The objects given may hold values not yet saved."""
    if connection is None:
        try:
            # Read with the tenant when it was loaded with it (the export engine does): no query.
            connection = tenant.connection
        except SpectrumConnection.DoesNotExist:
            connection = None
    secrets = [tenant.platform_signing_secret]
    if connection is not None:
        secrets += [connection.authorization_id, connection.enhanced_client_secret, connection.db_password]
    for secret in secrets:
        register_secret(secret, tenant.slug)
    bind_tenant(tenant.slug)


def dx_config(connection: SpectrumConnection) -> DataExchangeConfig:
    _working_for(connection, connection.tenant)
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
        outbound=outbound_policy(),
    )


def db_config(connection: SpectrumConnection) -> DatabaseConfig | None:
    if not connection.db_enabled:
        return None
    _working_for(connection, connection.tenant)
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
        drivers=tuple(settings.SPECTRUM_ODBC_DRIVERS),
        option_keys=tuple(settings.SPECTRUM_ODBC_OPTION_KEYS),
    )


def spectrum_client(tenant: Tenant) -> SpectrumClient:
    from connectors.spectrum.client import SpectrumClient

    return SpectrumClient(dx_config(tenant.connection))


def spectrum_database(tenant: Tenant, *, keep: bool = False) -> SpectrumDatabase | None:
    """The tenant's Info-Link reader, or None. ``keep``: for short reads repeated often (an export's
    read-back), the ODBC connection stays open in this process for the next one."""
    from connectors.spectrum.database import SpectrumDatabase
    from connectors.spectrum.schema import Schema

    connection = tenant.connection
    config = db_config(connection)
    if config is None:
        return None
    # The names the last schema discovery resolved (docs/spectrum.md#info-link-schema); ours before any.
    report = connection.schema_report if isinstance(connection.schema_report, dict) else {}
    return SpectrumDatabase(config, schema=Schema.from_json(report.get("schema")), keep=keep)


def platform_client(tenant: Tenant) -> PlatformClient:
    from connectors.platform.client import PlatformClient

    _working_for(None, tenant)
    return PlatformClient(
        tenant.platform_url.rstrip("/"),
        tenant.platform_signing_secret,
        timeout=(float(settings.HTTP_CONNECT_TIMEOUT), float(settings.HTTP_READ_TIMEOUT)),
        reply_deadline=float(settings.PLATFORM_REPLY_DEADLINE),
        policy=outbound_policy(),
        tenant=tenant.slug,
    )
