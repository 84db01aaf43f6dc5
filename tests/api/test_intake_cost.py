"""What one document's post costs the ledger, and that the fast JSON reader changes no value."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mappings.models import GLAccountMapping
from spectrum_sync.exports import intake, queueing
from spectrum_sync.models import MirrorRecord, SyncRecord, Tenant

pytestmark = [pytest.mark.django_db]

# Authentication (the tenant with its connection), then in one transaction (savepoint and release
# inside a test's own): the document's lock, its stored versions, the tenant's approval rule, the insert.
QUERIES_PER_POST = 7


@pytest.fixture
def api(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.setattr(queueing, "enqueue", lambda record_id, countdown=None: None)
    key = tenant.generate_api_key()
    tenant.save()
    GLAccountMapping.objects.create(tenant=tenant, line_kind="", gl_account="400000")
    MirrorRecord.objects.create(tenant=tenant, object_type="customer", key="AC1|CUST1", row_hash="x")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def invoice(document_id: Any) -> dict[str, Any]:
    return {
        "document_id": document_id,
        "version": "1",
        "invoice_number": "INV1",
        "customer_code": "CUST1",
        "invoice_date": timezone.localdate().isoformat(),
        "lines": [{"kind": "labor", "description": "Service call", "amount": "180.00"}],
    }


def queries_of_a_post(api: Client, document_id: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = api.post("/api/v1/ar-invoices/", invoice(document_id), content_type="application/json")
    assert response.status_code == 202, response.content
    return [query["sql"] for query in captured.captured_queries]


def test_a_post_costs_seven_queries_and_reads_no_secret(api: Client) -> None:
    queries_of_a_post(api, "warm")  # the first request of a process loads what it caches
    queries = queries_of_a_post(api, "inv-1")
    assert len(queries) == QUERIES_PER_POST, "\n".join(queries)
    # The connection's companies come with the tenant; none of its secrets is read.
    assert '"spectrum_sync_spectrumconnection"."company_codes"' in queries[0]
    secrets = ("authorization_id", "enhanced_client_secret", "db_password")
    assert not any(f'."{column}"' in query for column in secrets for query in queries)
    assert SyncRecord.objects.get(platform_id="inv-1").status == "pending"


def test_the_count_sees_one_query_more(api: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """The negative control: looking the connection up again, as intake does for a tenant loaded
    without it, is one query more, and the count above would fail."""
    monkeypatch.setattr(
        intake, "_connected", lambda tenant: type(tenant).objects.filter(connection__isnull=False).exists()
    )
    queries_of_a_post(api, "warm")
    assert len(queries_of_a_post(api, "inv-1")) == QUERIES_PER_POST + 1


def test_a_tenant_loaded_without_its_connection_is_still_held_or_sent_right(tenant: Tenant) -> None:
    plain = Tenant.objects.get(pk=tenant.pk)
    record, created = intake.accept(plain, "ar_invoice", "inv-2", "1", invoice("inv-2"))
    assert created and record.status == "pending"
    plain.connection.delete()
    unconnected = Tenant.objects.get(pk=tenant.pk)
    record, created = intake.accept(unconnected, "ar_invoice", "inv-3", "1", invoice("inv-3"))
    assert created and record.status == "held"


def test_a_tenant_without_a_connection_is_let_in_and_its_document_held(api: Client, tenant: Tenant) -> None:
    tenant.connection.delete()
    response = api.post("/api/v1/ar-invoices/", invoice("inv-4"), content_type="application/json")
    assert response.status_code == 202, response.content
    assert SyncRecord.objects.get(platform_id="inv-4").status == "held"


def test_an_integer_past_64_bits_is_stored_as_sent(api: Client) -> None:
    big = 123456789012345678901234567890
    body = json.dumps(invoice(big))
    # orjson alone reads it as a float, whose text is not what was sent:
    assert str(orjson.loads(body)["document_id"]) != str(big)
    response = api.post("/api/v1/ar-invoices/", body, content_type="application/json")
    assert response.status_code == 202, response.content
    assert SyncRecord.objects.filter(platform_id=str(big)).exists()


def test_the_rate_is_a_sliding_window_and_retry_after_is_when_a_post_fits(
    api: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    from spectrum_sync.api.throttling import TenantRateThrottle

    cache.clear()
    settings.API_THROTTLE_RATE = "3/min"
    start = 60 * 1_000_000.0  # the start of a minute
    clock = [start + 59]
    monkeypatch.setattr(TenantRateThrottle, "timer", staticmethod(lambda: clock[0]))

    def post_at(seconds: float, document_id: str) -> Any:
        clock[0] = start + seconds
        return api.post("/api/v1/ar-invoices/", invoice(document_id), content_type="application/json")

    for n in range(3):
        assert post_at(59, f"inv-{n}").status_code == 202
    # Two seconds later, in the next minute: the three posts are still within the last 60 seconds.
    refused = post_at(61, "inv-3")
    assert refused.status_code == 429
    retry_after = int(refused["Retry-After"])
    assert retry_after == 19
    # Not yet one second before Retry-After (the refused post was not counted), and then it fits.
    assert post_at(61 + retry_after - 1, "inv-3").status_code == 429
    assert post_at(61 + retry_after, "inv-3").status_code == 202
    assert SyncRecord.objects.filter(platform_id="inv-3").count() == 1
