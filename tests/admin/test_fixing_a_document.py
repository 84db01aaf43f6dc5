"""An accountant fixes a held or failed export from its page: who found the problem, every mapping row
it needs with a pre-filled form, release once complete, a dry run, and the UDF form's limits."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from connectors.platform import samples
from connectors.spectrum.simulator.seed import _reference_rows
from mappings.models import GLAccountMapping, ProcessingDateRange, UDFMapping
from spectrum_sync import demo
from spectrum_sync.exports import preflight
from spectrum_sync.models import SyncRecord, SyncStatus, Tenant
from tests.admin.world import World, client_for, make_record

pytestmark = pytest.mark.django_db


def held_invoice(tenant: Tenant, number: str = "S1", **payload: Any) -> SyncRecord:
    document = {
        "document_id": f"inv_{number}",
        "version": "1",
        "invoice_number": number,
        "customer_code": "CUST1",
        "invoice_date": timezone.localdate().isoformat(),
        "department": "20",
        "lines": [{"kind": "labor", "amount": "380.00"}, {"kind": "material", "amount": "225.00"}],
        **payload,
    }
    check = preflight.run(tenant, "ar_invoice", document)
    reason = "Mappings incomplete: " + "; ".join(check.config_problems)
    return make_record(
        tenant,
        number,
        SyncStatus.HELD,
        payload=document,
        error_code="CFG",
        error_message=reason,
        held_reason=reason,
        sent_at=timezone.now(),
    )


def test_the_accountant_adds_the_mapping_row_a_document_needs(world: World) -> None:
    client = client_for(world.accountant)
    form = client.get("/admin/mappings/glaccountmapping/add/")
    assert form.status_code == 200
    answer = client.post(
        "/admin/mappings/glaccountmapping/add/",
        {
            "tenant": world.acme.pk,
            "company_code": "AC1",
            "department": "20",
            "line_kind": "labor",
            "gl_account": "4100",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert GLAccountMapping.objects.filter(tenant=world.acme, department="20", gl_account="4100").exists()
    # Never the tenants or their connections.
    assert client.get("/admin/spectrum_sync/tenant/add/").status_code == 403
    assert client.post(f"/admin/spectrum_sync/tenant/{world.acme.pk}/change/", {"name": "x"}).status_code == 403


def test_the_first_explanation_lists_every_row_with_a_prefilled_form(world: World) -> None:
    record = held_invoice(world.acme)
    page = client_for(world.accountant).get(f"/admin/spectrum_sync/syncrecord/{record.pk}/change/").content.decode()
    assert "Found before sending (pre-flight):" in page and "Spectrum said" not in page
    assert "Not sent: stopped before sending" in page
    assert "labor lines of department 20 in company AC1" in page
    assert "material lines of department 20 in company AC1" in page
    links = [part.split('"')[0].replace("&amp;", "&") for part in page.split('class="fix-link" href="')[1:]]
    assert len(links) == 2
    query = parse_qs(urlparse(links[1]).query)
    assert query == {
        "tenant": [str(world.acme.pk)],
        "company_code": ["AC1"],
        "department": ["20"],
        "line_kind": ["material"],
    }
    form = client_for(world.accountant).get(links[1]).content.decode()
    assert 'name="department" value="20"' in form and 'value="material" selected' in form
    assert 'name="company_code" value="AC1"' in form


def test_a_rejection_by_spectrum_says_so(world: World) -> None:
    SyncRecord.objects.filter(pk=world.acme_failed.pk).update(sent_at=timezone.now() - dt.timedelta(minutes=5))
    page = client_for(world.accountant).get(f"/admin/spectrum_sync/syncrecord/{world.acme_failed.pk}/change/")
    assert "Spectrum answered:" in page.content.decode()


def test_saving_the_last_missing_row_releases_the_held_record(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    record = held_invoice(world.acme)
    other = held_invoice(world.acme, "S2", department="30")
    client = client_for(world.accountant)
    row = {"tenant": world.acme.pk, "company_code": "AC1", "department": "20", "gl_account": "4100"}
    with django_capture_on_commit_callbacks(execute=False):
        client.post("/admin/mappings/glaccountmapping/add/", {**row, "line_kind": "labor"})
    record.refresh_from_db()
    assert record.status == SyncStatus.HELD  # material is still missing
    with django_capture_on_commit_callbacks(execute=False):
        answer = client.post("/admin/mappings/glaccountmapping/add/", {**row, "line_kind": "material"}, follow=True)
    assert "1 record(s) held for incomplete mappings" in answer.content.decode()
    record.refresh_from_db()
    other.refresh_from_db()
    assert record.status == SyncStatus.PENDING and "mappings completed" in record.resolution_note
    assert other.status == SyncStatus.HELD  # department 30 still has no row


def test_a_receipt_without_a_cost_type_is_explained_as_such(world: World) -> None:
    record = make_record(
        world.acme,
        "17003/001",
        SyncStatus.FAILED,
        object_type="po_receipt",
        error_code="M",
        error_column="Cost_Type",
        error_message="M: PO 17003 line 002 has no cost type (phase and cost type); assign one and export again",
    )
    page = client_for(world.accountant).get(f"/admin/spectrum_sync/syncrecord/{record.pk}/change/").content.decode()
    assert "Line 2 of this PO receipt has no cost type" in page
    assert "does not exist on this job" not in page


def test_dry_run_of_a_held_record_shows_calls_needs_and_the_open_date_window(world: World) -> None:
    record = held_invoice(world.acme, invoice_date="2026-10-15")
    client = client_for(world.accountant)
    assert (
        f"/admin/spectrum_sync/syncrecord/{record.pk}/dry-run/"
        in client.get(f"/admin/spectrum_sync/syncrecord/{record.pk}/change/").content.decode()
    )
    page = client.get(f"/admin/spectrum_sync/syncrecord/{record.pk}/dry-run/").content.decode()
    assert "It would be held" in page and "labor lines of department 20 in company AC1" in page
    assert "customer/invoice" in page and "No Accounts Receivable processing date range is recorded" in page
    ProcessingDateRange.objects.create(
        tenant=world.acme, module="AR", minimum_date=dt.date(2026, 11, 1), maximum_date=dt.date(2026, 11, 30)
    )
    page = client.get(f"/admin/spectrum_sync/syncrecord/{record.pk}/dry-run/").content.decode()
    assert "Invoice_Date 10/15/2026 is outside Spectrum&#x27;s open Accounts Receivable processing range" in page
    assert "11/01/2026–11/30/2026" in page and "It would be held" in page
    assert SyncRecord.objects.get(pk=record.pk).status == SyncStatus.HELD  # nothing changed


def test_udf_form_offers_only_what_spectrums_services_take(world: World) -> None:
    client = client_for(world.staff)
    form = client.get("/admin/mappings/udfmapping/add/").content.decode()
    # The screen says which types Spectrum has no UDF service for (docs/spectrum.md#udf-services).
    assert 'value="job"' in form and "no UDF service for AR invoices" in form
    row = {"tenant": world.acme.pk, "platform_field": "region", "udf_slot": 3, "max_length": 20}
    refused = client.post("/admin/mappings/udfmapping/add/", {**row, "document_type": "ar_invoice"})
    page = refused.content.decode()
    assert refused.status_code == 200 and "errorlist" in page and "Send this value another way" in page
    assert not UDFMapping.objects.exists()
    assert client.post("/admin/mappings/udfmapping/add/", {**row, "document_type": "job"}).status_code == 302


def test_the_demo_tenant_has_every_mapping_its_samples_need(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    tenant = demo.ensure_demo().tenant
    accounts = {
        (company, row["GL_Account"])
        for company in ("DC1", "DC2")
        for row in _reference_rows(company)["GL_ACCOUNT_MASTER_MC"]
        if row["Status"] == "A"
    }
    for mapping in GLAccountMapping.objects.filter(tenant=tenant):
        assert (mapping.company_code, mapping.gl_account) in accounts, mapping
    for sample in samples.SAMPLES.values():
        object_type = sample.document_type.rstrip("s").replace("-", "_")
        check = preflight.run(tenant, object_type, sample.build())
        assert check.config_problems == [] and check.mapped.blocking == [], (sample.name, check.problems_as_dicts())
