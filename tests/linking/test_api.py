"""POST /api/v1/directory/<type>/: the platform's existing records in, proposals out; bad input is a 400."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from linking.models import DirectoryEntry, LinkStatus, RecordLink
from spectrum_sync.models import MirrorRecord, Tenant

pytestmark = [pytest.mark.django_db]

URL = "/api/v1/directory/vendors/"


@pytest.fixture
def api(tenant: Tenant) -> Client:
    key = tenant.generate_api_key()
    tenant.save()
    data = {"vendor_code": "ACME01", "name": "ACME SUPPLY", "phone_number": "512-555-0100", "company_code": "AC1"}
    MirrorRecord.objects.create(tenant=tenant, object_type="vendor", key="AC1|ACME01", row_hash="x", data=data)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def post(api: Client, body: Any, url: str = URL) -> Any:
    return api.post(url, body, content_type="application/json")


def test_the_directory_is_stored_and_a_match_proposed(api: Client, tenant: Tenant) -> None:
    record = {"platform_id": "co-17", "name": "Acme Supply, Inc.", "phone": "(512) 555-0100", "tax_id": ""}
    response = post(api, {"records": [record]})
    assert response.status_code == 200, response.content
    assert response.json() == {"received": 1, "proposed": 1}
    assert DirectoryEntry.objects.get(tenant=tenant, object_type="vendor").platform_id == "co-17"
    link = RecordLink.objects.get(tenant=tenant)
    assert (link.spectrum_key, link.score, link.reason, link.status) == (
        "AC1|ACME01",
        90,
        "Same name and phone",
        LinkStatus.PROPOSED,
    )
    # Sent again: the record is replaced, the proposal not repeated.
    again = post(api, {"records": [{**record, "name": "Acme Supply"}]})
    assert again.json() == {"received": 1, "proposed": 0}
    assert DirectoryEntry.objects.get().name == "Acme Supply" and RecordLink.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"records": []}, "records"),
        ({"records": [{"name": "No id"}]}, "platform_id"),
        ({"records": [{"platform_id": "p1"}]}, "name"),
        ({"records": [{"platform_id": "p1", "name": "x" * 201}]}, "name"),
        ({"records": [{"platform_id": "p1", "name": "A", "address": "Main St"}]}, "address"),
        ({"records": [{"platform_id": "p1", "name": "A"}, {"platform_id": "p1", "name": "B"}]}, "given twice"),
        ({"records": "co-17"}, "records"),
        ([{"platform_id": "p1"}], "name"),
    ],
)
def test_bad_input_is_a_400_with_the_field_and_stores_nothing(api: Client, body: Any, field: str) -> None:
    response = post(api, body)
    assert response.status_code == 400, response.content
    assert field in str(response.json())
    assert not DirectoryEntry.objects.exists()


def test_an_unknown_type_or_no_key_is_refused(api: Client, tenant: Tenant) -> None:
    body = {"records": [{"platform_id": "p1", "name": "A"}]}
    assert post(api, body, "/api/v1/directory/gl-accounts/").status_code == 404
    assert Client().post(URL, body, content_type="application/json").status_code == 401
    assert post(api, body, "/api/v1/directory/jobs/").status_code == 200  # control: a known type
    assert post(api, body["records"], "/api/v1/directory/customers/").status_code == 200  # a bare list too


def test_the_directory_endpoint_is_in_the_openapi_schema() -> None:
    schema = Client().get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/directory/{kind}/"]["post"]
    assert operation["operationId"] == "directory_receive"
    kind = next(p for p in operation["parameters"] if p["name"] == "kind")
    assert kind["schema"]["enum"] == ["customers", "jobs", "vendors"]
    assert {"200", "400", "401"} <= set(operation["responses"])
