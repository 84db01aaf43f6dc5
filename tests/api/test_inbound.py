"""The inbound API as the platform uses it: post documents, read their status, dry-run them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mappings.models import GLAccountMapping
from spectrum_sync.models import MirrorRecord, SpectrumConnection, SyncRecord, Tenant

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def api_key(tenant: Tenant) -> str:
    key = tenant.generate_api_key()
    tenant.save()
    GLAccountMapping.objects.create(tenant=tenant, line_kind="", gl_account="400000")
    MirrorRecord.objects.create(tenant=tenant, object_type="customer", key="AC1|CUST1", row_hash="x")
    return key


@pytest.fixture
def api(api_key: str, monkeypatch: pytest.MonkeyPatch) -> Client:
    from spectrum_sync.exports import queueing

    monkeypatch.setattr(queueing, "enqueue", lambda record_id, countdown=None: None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_key}")


def invoice(**extra: Any) -> dict[str, Any]:
    return {
        "document_id": "inv-77",
        "version": "3",
        "invoice_number": "INV77",
        "customer_code": "CUST1",
        "invoice_date": timezone.localdate().isoformat(),
        "lines": [
            {"kind": "labor", "description": "Service call", "amount": "180.00"},
            {"kind": "material", "description": "Filter", "amount": "20.00"},
        ],
        **extra,
    }


def post(api: Client, path: str, body: dict[str, Any]) -> Any:
    return api.post(path, body, content_type="application/json")


def test_post_answers_202_with_id_and_status_url(api: Client, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(api, "/api/v1/ar-invoices/", invoice())
    assert response.status_code == 202, response.content
    body = response.json()
    record = SyncRecord.objects.get(pk=body["id"])
    assert (record.status, record.object_type, record.platform_id, record.version) == (
        "pending",
        "ar_invoice",
        "inv-77",
        "3",
    )
    assert body["status_url"].endswith(f"/api/v1/sync-records/{record.pk}/") and body["duplicate"] is False
    assert len(callbacks) == 1  # enqueued once the record is committed


def test_same_document_and_version_twice_is_one_record(api: Client) -> None:
    first = post(api, "/api/v1/ar-invoices/", invoice()).json()
    second = post(api, "/api/v1/ar-invoices/", invoice()).json()
    assert first["id"] == second["id"] and second["duplicate"] is True
    third = post(api, "/api/v1/ar-invoices/", invoice(version="4")).json()
    assert third["id"] != first["id"]
    assert SyncRecord.objects.count() == 2


def test_invalid_input_answers_400_with_field_errors_and_stores_nothing(api: Client) -> None:
    body = invoice(invoice_date="not a date", lines=[{"kind": "freight", "amount": "x"}])
    del body["customer_code"]
    response = post(api, "/api/v1/ar-invoices/", body)
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"invoice_date", "customer_code", "lines"}
    assert set(errors["lines"]["0"]) == {"kind", "amount"}  # per line, by index
    assert SyncRecord.objects.count() == 0


def test_company_must_be_one_of_the_tenants(api: Client) -> None:
    response = post(api, "/api/v1/ar-invoices/", invoice(company_code="ZZ9"))
    assert response.status_code == 400 and "company_code" in response.json()


@pytest.mark.parametrize("header", ["", "Bearer wrong-key", "Basic abc"])
def test_unknown_or_missing_key_is_refused(api_key: str, header: str) -> None:
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = client.post("/api/v1/ar-invoices/", invoice(), content_type="application/json")
    assert response.status_code in (401, 403)
    assert SyncRecord.objects.count() == 0


def test_dry_run_returns_the_exact_payload_and_every_problem_without_storing(
    api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spectrum_sync import connections
    from tests.exports.fakes import FakeSpectrum

    monkeypatch.setattr(connections, "spectrum_client", lambda tenant: FakeSpectrum())
    body = invoice(customer_code="NEWCUST", invoice_number="TOO-LONG-NUMBER")
    response = post(api, "/api/v1/ar-invoices/?dry_run=true", body)
    assert response.status_code == 200
    result = response.json()
    assert result["verdict"] == "fail"
    call = result["calls"][0]
    assert call["service"] == "customer/invoice"
    assert [d["Line_Extension"] for d in call["fields"]["invoiceDetails"]] == [180.0, 20.0]
    problems = {(p["code"], p["column"]) for p in result["problems"]}
    assert problems == {("M", "Customer_Code"), ("I", "Invoice_Or_Transaction")}
    waits = next(p for p in result["problems"] if p["column"] == "Customer_Code")["waits_for"]
    assert waits == {"object_type": "customer", "key": "AC1|NEWCUST"}
    assert SyncRecord.objects.count() == 0


def test_status_endpoint_shows_the_outcome_and_hides_other_tenants(api: Client, api_key: str) -> None:
    created = post(api, "/api/v1/ar-invoices/", invoice()).json()
    SyncRecord.objects.filter(pk=created["id"]).update(
        status="failed", error_code="I", error_message="GL Account does not match GL Mask", error_column="GL_Account"
    )
    status = api.get(f"/api/v1/sync-records/{created['id']}/").json()
    assert status["status"] == "failed" and status["document_type"] == "ar-invoices"
    assert status["error"] == {"code": "I", "message": "GL Account does not match GL Mask", "column": "GL_Account"}

    other = Tenant.objects.create(name="Other", slug="other")
    SpectrumConnection.objects.create(
        tenant=other, base_url="http://127.0.0.1:1", authorization_id="X", company_codes="OT1"
    )
    other_key = other.generate_api_key()
    other.save()
    response = Client(HTTP_AUTHORIZATION=f"Bearer {other_key}").get(f"/api/v1/sync-records/{created['id']}/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("jobs", {"job_number": "J9", "customer_code": "CUST1"}),
        (
            "po-receipts",
            {
                "po_number": "PO1",
                "receipt_number": "PL1",
                "receipt_sequence": 2,
                "job_number": "J9",
                "receipt_date": "2026-11-20",
                "lines": [{"item_code": "!x", "quantity_received": "1", "phase_code": "01", "cost_type": "M"}],
            },
        ),
        (
            "maintenances",
            {
                "work_order_number": "WO1",
                "site_id": "S1",
                "customer_code": "CUST1",
                "scheduled_date": "2026-12-01",
                "work_order_type": "SVC",
            },
        ),
        (
            "commitments",
            {
                "commitment_number": "SC1",
                "vendor_code": "V1",
                "job_number": "J9",
                "lines": [{"phase_code": "01", "cost_type": "S", "amount": "10"}],
            },
        ),
        (
            "change-orders",
            {"change_order_number": "CO1", "job_number": "J9", "customer_code": "CUST1", "lines": [{"amount": "5"}]},
        ),
    ],
)
def test_every_document_type_is_accepted(api: Client, path: str, body: dict[str, Any]) -> None:
    response = post(api, f"/api/v1/{path}/", {"document_id": f"{path}-1", "version": "1", **body})
    assert response.status_code == 202, response.content


def test_unscheduled_maintenance_is_refused(api: Client) -> None:
    body = {
        "document_id": "m1",
        "version": "1",
        "status": "completed",
        "work_order_number": "WO1",
        "site_id": "S1",
        "customer_code": "CUST1",
        "scheduled_date": "2026-12-01",
    }
    response = post(api, "/api/v1/maintenances/", body)
    assert response.status_code == 400 and "status" in response.json()


def test_openapi_schema_and_docs_are_served() -> None:
    client = Client()
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for name in ("ar-invoices", "jobs", "po-receipts", "maintenances", "commitments", "change-orders"):
        assert f"/api/v1/{name}/" in paths
    assert "/api/v1/sync-records/{id}/" in paths
    assert "tenantApiKey" in schema.json()["components"]["securitySchemes"]
    for page, asset in (
        ("/api/docs/", b"swagger-ui-dist/swagger-ui-bundle.js"),
        ("/api/redoc/", b"redoc.standalone.js"),
    ):
        html = client.get(page)
        assert html.status_code == 200 and asset in html.content
        assert b"cdn." not in html.content and b"jsdelivr" not in html.content  # assets served locally


def test_a_phase_keeps_its_custom_fields_for_its_udfs(api: Client) -> None:
    phase = {"phase_code": "0100", "cost_type": "L", "custom_fields": {"crew": "North"}}
    body = {"document_id": "job-udf", "version": "1", "job_number": "J77", "phases": [phase]}
    created = post(api, "/api/v1/jobs/", body)
    assert created.status_code == 202, created.content
    record = SyncRecord.objects.get(pk=created.json()["id"])
    assert record.payload["phases"][0]["custom_fields"] == {"crew": "North"}
    # Negative control: a custom field's value is bounded like a document's.
    phase["custom_fields"] = {"crew": "x" * 251}
    refused = post(api, "/api/v1/jobs/", {**body, "document_id": "job-udf-2"})
    assert refused.status_code == 400 and "custom_fields" in str(refused.json())


def test_a_custom_field_name_with_a_control_character_is_a_field_error(api: Client) -> None:
    body = invoice(custom_fields={"crew\u0000": "North"})
    refused = post(api, "/api/v1/ar-invoices/", body)
    assert refused.status_code == 400 and "custom_fields" in str(refused.json())
    assert post(api, "/api/v1/ar-invoices/", invoice(custom_fields={"crew": "North"})).status_code == 202
