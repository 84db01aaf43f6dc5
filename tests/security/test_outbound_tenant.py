"""A tenant pointed somewhere the policy refuses: the export fails at once, saying why, and nothing
is sent. The engine runs in this process so the name lookup can be answered as a hostile DNS
server would (socket.getaddrinfo)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from connectors.outbound import OutboundPolicy
from mappings.models import GLAccountMapping
from spectrum_sync import connections
from spectrum_sync.exports import engine
from spectrum_sync.models import SyncRecord, SyncStatus, Tenant
from tests.exports.test_flow import Exports
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401
from tests.platform.helpers import recorder
from tests.security.test_outbound import resolving

pytestmark = pytest.mark.django_db


@pytest.fixture
def spectrum_recorder() -> Iterator[Any]:
    with recorder(status=200, answer=b"<?xml version='1.0'?><x/>") as rec:
        yield rec


@pytest.fixture
def production(settings: Any) -> Any:
    """Outbound settings as a production operator sets them; development allowances off."""
    settings.OUTBOUND_ALLOW_LOCAL = False
    settings.OUTBOUND_ALLOWED_HOSTS = ["spectrum.acme.example", "platform.acme.example"]
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    return settings


def export(tenant: Tenant, db: Any) -> SyncRecord:
    wiring = Exports(tenant, None, None, db)
    wiring.mirror("customer", wiring.customer)
    wiring.mirror("job", wiring.job)
    for kind in ("labor", "material"):
        GLAccountMapping.objects.create(tenant=tenant, line_kind=kind, gl_account=wiring.revenue_gl)
    record_id = wiring.post("ar-invoices", wiring.invoice("SSRF1"))
    engine.process(record_id)
    return SyncRecord.objects.get(pk=record_id)


def point_at(tenant: Tenant, base_url: str) -> None:
    connection = tenant.connection
    connection.base_url = base_url
    connection.company_codes = "DC1"
    connection.save()


def test_the_policy_comes_from_the_operator_settings(production: Any) -> None:
    policy = connections.outbound_policy()
    assert policy == OutboundPolicy.build(["spectrum.acme.example", "platform.acme.example"])
    production.OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert connections.outbound_policy().allowed_networks[0].compressed == "10.20.0.0/16"


def test_a_spectrum_host_resolving_to_the_metadata_service_fails_the_export_saying_why(
    tenant: Tenant,
    spectrum_db: Any,  # noqa: F811
    spectrum_recorder: Any,
    production: Any,
    monkeypatch: pytest.MonkeyPatch,
    admin_client: Any,
) -> None:
    port = spectrum_recorder.url.rsplit(":", 1)[1]
    resolving(monkeypatch, "spectrum.acme.example", "169.254.169.254")
    point_at(tenant, f"http://spectrum.acme.example:{port}")

    record = export(tenant, spectrum_db)

    assert record.status == SyncStatus.FAILED  # permanent: no retry storm against the metadata service
    assert "169.254.169.254" in record.error_message and "metadata" in record.error_message
    assert spectrum_recorder.requests == []
    page = admin_client.get(reverse("admin:spectrum_sync_syncrecord_change", args=[record.pk]))
    assert "cloud metadata address" in page.content.decode()


def test_a_spectrum_url_on_this_machine_is_refused_outside_development(
    tenant: Tenant,
    spectrum_db: Any,  # noqa: F811
    spectrum_recorder: Any,
    production: Any,
) -> None:
    point_at(tenant, spectrum_recorder.url)  # http://127.0.0.1:port, not among the allowed hosts

    record = export(tenant, spectrum_db)

    assert record.status == SyncStatus.FAILED
    assert "not in the allowed outbound hosts" in record.error_message
    assert spectrum_recorder.requests == []
