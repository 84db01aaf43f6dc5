"""The inbound API under abuse: per-tenant rate, bounded bodies, exact amounts, one record per version."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from spectrum_sync.api.throttling import TenantRateThrottle
from spectrum_sync.exports import queueing, sweeper
from spectrum_sync.models import SpectrumConnection, SyncRecord, SyncStatus, Tenant
from tests.api.test_inbound import invoice
from tests.exports import fakes, test_engine
from tests.exports.fakes import Wiring
from tests.exports.test_engine import invoice as engine_invoice
from tests.exports.test_engine import run, submit

pytestmark = [pytest.mark.django_db]

# The export engine's fixtures: fakes of Spectrum and the platform, a tenant with mappings.
wired = fakes.wired
ready = test_engine.ready


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(queueing, "enqueue", lambda record_id, countdown=None: sent.append(record_id))
    return sent


def client_of(tenant: Tenant) -> Client:
    key = tenant.generate_api_key()
    tenant.save()
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def api(tenant: Tenant, enqueued: list[int]) -> Client:
    return client_of(tenant)


def post(api: Client, body: Any, path: str = "/api/v1/ar-invoices/", **extra: Any) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return api.post(path, data, content_type="application/json", **extra)


def job(phases: int) -> dict[str, Any]:
    return {
        "document_id": "job-1",
        "version": "1",
        "job_number": "J1",
        "phases": [{"phase_code": "1", "cost_type": "L"} for _ in range(phases)],
    }


# --- throttling ------------------------------------------------------------------------------------


def test_a_tenant_over_its_rate_gets_429_with_retry_after_and_others_do_not(
    api: Client, tenant: Tenant, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.clear()
    settings.API_THROTTLE_RATE = "3/min"
    # The throttle's clock, 30 s into a minute: the wait it announces is then exact.
    clock = [60 * 29_000_000 + 30.0]
    monkeypatch.setattr(TenantRateThrottle, "timer", staticmethod(lambda: clock[0]))
    for n in range(3):
        assert post(api, invoice(document_id=f"inv-{n}")).status_code == 202
    refused = post(api, invoice(document_id="inv-4"))
    assert refused.status_code == 429
    # A sliding window: the 3 posts of this minute must first weigh less than 2 in the next one,
    # a third of the way into it: 30 s to the minute's end and 20 s more (up to 80 s, not 60).
    assert int(refused["Retry-After"]) == 50
    assert "throttled" in refused.json()["detail"].lower()
    assert not SyncRecord.objects.filter(platform_id="inv-4").exists()
    clock[0] += 49
    assert post(api, invoice(document_id="inv-4")).status_code == 429  # a second early: still refused
    clock[0] += 1
    assert post(api, invoice(document_id="inv-4")).status_code == 202  # as announced

    other = Tenant.objects.create(name="Other Co", slug="other", platform_url="http://127.0.0.1:8600/d/other")
    SpectrumConnection.objects.create(
        tenant=other, base_url="http://127.0.0.1:8482", authorization_id="X", company_codes="AC1"
    )
    assert post(client_of(other), invoice(document_id="inv-4")).status_code == 202


# --- bounded input ---------------------------------------------------------------------------------


def test_80000_phases_is_a_400_naming_the_field_and_stores_nothing(api: Client) -> None:
    body = json.dumps(job(80_000))
    assert len(body) > 2_500_000
    response = post(api, body, path="/api/v1/jobs/")
    assert response.status_code == 400
    assert "phases" in response.json() and "999" in json.dumps(response.json()["phases"])
    assert not SyncRecord.objects.exists()


@pytest.mark.parametrize("field", ["lines"])
def test_invoice_lines_are_capped(api: Client, field: str) -> None:
    lines = [{"kind": "labor", "amount": "1.00"}] * 1000
    response = post(api, invoice(lines=lines))
    assert response.status_code == 400 and field in response.json()


def test_custom_fields_are_capped(api: Client) -> None:
    response = post(api, invoice(custom_fields={f"f{n}": "x" for n in range(51)}))
    assert response.status_code == 400
    assert "At most 50 custom fields" in response.json()["custom_fields"][0]


def test_a_body_over_the_limit_is_413(api: Client, settings: Any) -> None:
    settings.API_MAX_BODY_BYTES = 10_000
    response = post(api, invoice(remarks="x" * 400, lines=[{"kind": "labor", "amount": "1.00"}] * 400))
    assert response.status_code == 413 and "larger than 10000 bytes" in response.json()["detail"]
    assert not SyncRecord.objects.exists()


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_a_400(api: Client, depth: int) -> None:
    response = post(api, '{"custom_fields": ' + "[" * depth + "]" * depth + "}")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=BoUnDaRy", "application/x-www-form-urlencoded", "text/plain"]
)
def test_only_json_is_accepted(api: Client, content_type: str) -> None:
    if content_type.startswith("multipart"):
        body = b'--BoUnDaRy\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n' + b"x" * 5000
        body += b"\r\n--BoUnDaRy--\r\n"
    else:
        body = b"document_id=1"
    response = api.post("/api/v1/ar-invoices/", body, content_type=content_type)
    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]


def test_amounts_sent_as_json_numbers_are_refused_naming_the_field(api: Client) -> None:
    response = post(api, invoice(lines=[{"kind": "labor", "amount": "180.00"}, {"kind": "labor", "amount": 596.5}]))
    assert response.status_code == 400
    message = 'Send amounts and quantities as decimal strings such as "596.50", not JSON numbers.'
    assert response.json() == {"lines": {"1": {"amount": [message]}}}  # lines[1].amount
    assert post(api, invoice(lines=[{"kind": "labor", "amount": "596.50"}])).status_code == 202


# --- idempotency and version order ---------------------------------------------------------------


def test_ids_and_versions_containing_the_separator_do_not_collide(api: Client) -> None:
    first = post(api, invoice(document_id="A:1", version="2"))
    second = post(api, invoice(document_id="A", version="1:2"))
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] != second.json()["id"] and second.json()["duplicate"] is False
    assert SyncRecord.objects.count() == 2


def test_the_same_version_with_another_body_is_409_and_keeps_the_first(api: Client) -> None:
    first = post(api, invoice(version="5"))
    assert post(api, invoice(version="5")).json()["duplicate"] is True
    changed = post(api, invoice(version="5", lines=[{"kind": "labor", "amount": "999.00"}]))
    assert changed.status_code == 409
    assert changed.json()["code"] == "different_body"
    assert "received before with a different body" in changed.json()["detail"]
    record = SyncRecord.objects.get()
    assert record.pk == first.json()["id"] and record.payload["lines"][0]["amount"] == "180.00"


def test_an_older_version_arriving_late_is_refused_and_never_stored(
    api: Client, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        newer = post(api, invoice(version="10"))
        older = post(api, invoice(version="9"))  # numbers compare as numbers: 9 < 10
    assert older.status_code == 409 and older.json()["code"] == "superseded"
    assert "older than version 10" in older.json()["detail"]
    assert list(SyncRecord.objects.values_list("version", flat=True)) == ["10"]
    assert enqueued == [newer.json()["id"]]
    assert post(api, invoice(version="11")).status_code == 202  # a newer one still goes


# --- a tenant without a Spectrum connection --------------------------------------------------------


def test_without_a_connection_documents_are_held_and_released_when_one_is_added(
    tenant: Tenant, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    SpectrumConnection.objects.filter(tenant=tenant).delete()
    api = client_of(Tenant.objects.get(pk=tenant.pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, invoice())
    assert response.status_code == 202 and response.json()["status"] == "held"
    record = SyncRecord.objects.get()
    assert record.held_reason.startswith("No Spectrum connection yet")
    assert enqueued == []  # nothing a worker could do

    with django_capture_on_commit_callbacks(execute=True):
        SpectrumConnection.objects.create(
            tenant=tenant, base_url="http://127.0.0.1:8482", authorization_id="ACMEAUTH42", company_codes="AC1"
        )
    record.refresh_from_db()
    assert (record.status, record.held_reason) == (SyncStatus.PENDING, "")
    assert enqueued == [record.pk]


def test_a_tenant_cannot_take_the_whole_sweeper_window(tenant: Tenant, enqueued: list[int]) -> None:
    quiet = Tenant.objects.create(name="Quiet Co", slug="quiet", platform_url="http://127.0.0.1:8600/d/quiet")
    SpectrumConnection.objects.create(
        tenant=quiet, base_url="http://127.0.0.1:8482", authorization_id="Q", company_codes="AC1"
    )
    long_ago = timezone.now() - timedelta(hours=1)
    SyncRecord.objects.bulk_create(
        SyncRecord(
            tenant=tenant,
            direction="export",
            object_type="ar_invoice",
            platform_id=f"busy-{n}",
            version="1",
            idempotency_key=f"busy-{n}",
            status=SyncStatus.PENDING,
            next_attempt_at=long_ago - timedelta(seconds=n),  # all older than the quiet tenant's
        )
        for n in range(30)
    )
    lost = SyncRecord.objects.create(
        tenant=quiet,
        direction="export",
        object_type="ar_invoice",
        platform_id="quiet-1",
        version="1",
        idempotency_key="quiet-1",
        status=SyncStatus.PENDING,
        next_attempt_at=long_ago,
    )
    counts = sweeper.sweep(limit=10)
    assert counts["enqueued"] == 10
    assert lost.pk in enqueued  # the quiet tenant's lost message goes in this sweep, not after the backlog
    assert sweeper.sweep(limit=100)["enqueued"] == 31  # a window larger than the demand takes everything


def test_an_older_version_retried_after_a_newer_one_reached_spectrum_is_never_sent(
    ready: Tenant,
    wired: Wiring,
    django_capture_on_commit_callbacks: Any,
) -> None:
    wired.spectrum.faults = ["reject"]
    older = run(submit(ready, engine_invoice(version="1")), django_capture_on_commit_callbacks)
    assert older.status == SyncStatus.FAILED
    newer = engine_invoice(version="2", lines=[{"kind": "labor", "amount": "300.00", "taxable": False}])
    assert run(submit(ready, newer), django_capture_on_commit_callbacks).status == SyncStatus.SUCCEEDED
    sent = list(wired.spectrum.calls)

    assert older.transition(SyncStatus.PENDING)  # the accountant presses Retry on the old failure
    older = run(older, django_capture_on_commit_callbacks)
    assert (older.status, older.error_code) == (SyncStatus.FAILED, "SUPERSEDED")
    assert "newer version of this document has gone to Spectrum" in older.error_message
    assert wired.spectrum.calls == sent  # Spectrum keeps version 2
