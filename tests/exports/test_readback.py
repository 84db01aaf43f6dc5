# ruff: noqa: F811  (the fixtures of test_flow are imported by name, as pytest needs them here)
"""Read-back: an export is `succeeded` only once Spectrum is seen to hold what the platform sent.

Real processes as in test_flow: a Celery worker, the Spectrum simulator (web services) and its
PostgreSQL store read through the real ODBC stack (Info-Link), and the platform simulator.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from mappings.models import TaxCodeDefault
from mappings.signals import rules_changed
from spectrum_sync.exports import readback
from spectrum_sync.models import SpectrumConnection, SyncRecord, SyncStatus, Tenant, Verification
from tests.exports.test_flow import Exports, exports, wait_for, worker  # noqa: F401
from tests.fixtures_platform import platform_simulator_process  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_process  # noqa: F401
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]


def taxed_invoice(exports: Exports, number: str) -> dict[str, Any]:
    """The invoice of the report: 580.00 of taxable work and a 16.50 tax line, 596.50 in all."""
    return exports.invoice(
        number,
        job_number=exports.job,
        lines=[
            {"kind": "labor", "description": "Technician", "amount": "215.70", "taxable": True},
            {"kind": "material", "description": "Valve", "amount": "364.30", "taxable": False},
            {"kind": "tax", "description": "Sales tax", "amount": "16.50"},
        ],
    )


def test_invoice_is_confirmed_by_reading_it_back(exports: Exports, worker: WorkerProcess) -> None:
    record = exports.final(exports.post("ar-invoices", exports.invoice("RB1001")))
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    assert record.verification == Verification.CONFIRMED
    assert record.readback["source"] == "Info-Link"
    assert record.readback["held"]["line_count"] == 2 and record.readback["held"]["invoice_extension"] == "300.00"
    told = exports.told(record.pk, "succeeded")
    assert told["verification"] == "confirmed"
    assert told["spectrum"] == {"document_number": "RB1001", "line_count": 2, "total": "300.00", "tax": "0.00"}
    status = exports.api.get(f"/api/v1/sync-records/{record.pk}/").json()
    assert status["status"] == "succeeded" and status["verification"] == "confirmed"
    assert status["spectrum"]["total"] == "300.00"


def test_the_other_types_are_confirmed_by_reading_them_back(exports: Exports, worker: WorkerProcess) -> None:
    rows = exports.db.seed_rows
    vendor = next(r["Vendor_Code"] for r in rows["VN_VENDOR_MASTER_MC"] if r["Company_Code"] == "DC1")
    phase = next(r for r in rows["JC_PHASE_MASTER_MC"] if r["Company_Code"] == "DC1" and r["Job_Number"] == exports.job)
    exports.mirror("vendor", vendor)
    exports.mirror("phase", f"{exports.job}|{phase['Phase_Code']}|{phase['Cost_Type']}")
    documents = {
        "jobs": {"job_number": "RBJ1", "description": "Read-back job", "customer_code": exports.customer},
        "commitments": {
            "commitment_number": "RBSC1",
            "vendor_code": vendor,
            "job_number": exports.job,
            "lines": [{"phase_code": phase["Phase_Code"], "cost_type": phase["Cost_Type"], "amount": "1200.00"}],
        },
        "change-orders": {
            "change_order_number": "RBCO1",
            "job_number": exports.job,
            "customer_code": exports.customer,
            "lines": [{"amount": "500"}],
        },
    }
    for path, body in documents.items():
        record = exports.final(exports.post(path, {"document_id": f"rb-{path}", "version": "1", **body}))
        assert record.status == SyncStatus.SUCCEEDED, (path, record.error_message)
        assert record.verification == Verification.CONFIRMED, path
        assert record.readback["source"] == "Info-Link" and record.readback["held"], path
        assert exports.told(record.pk, "succeeded")["verification"] == "confirmed"


def put_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's first look finds nothing and schedules no other: the test looks when it wants."""
    monkeypatch.setattr(readback, "first_look", lambda record, accepted=None: "put off by the test")
    monkeypatch.setattr(readback, "look_again", lambda record, why: "confirming")


def test_spectrum_holding_another_tax_fails_with_the_explanation(
    exports: Exports, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spectrum takes the tax from the job's rate (docs/spectrum.md#addarinvoice); the simulator
    # keeps what it was sent. So the engine runs here, its first look is put off, and Spectrum's
    # row is given the job's 6.75 % before the look: what a Spectrum applying its own rate holds.
    from spectrum_sync.exports import engine

    record_id = exports.post("ar-invoices", taxed_invoice(exports, "RB1002"))
    look = readback.confirm
    put_off(monkeypatch)
    assert engine.process(record_id) == "confirming"
    assert SyncRecord.objects.get(pk=record_id).status == SyncStatus.CONFIRMING
    exports.db.store.update(
        "CR_INVOICE_HEADER_MC",
        {"Company_Code": "DC1", "Invoice_Or_Transaction": "RB1002"},
        {"Sales_Tax_Amount": Decimal("14.56")},
    )
    assert look(record_id) == "failed"
    record = SyncRecord.objects.get(pk=record_id)
    assert record.verification == Verification.MISMATCH and record.error_code == readback.MISMATCH
    assert f"Spectrum computed tax 14.56 at job {exports.job}'s rate 6.75 %" in record.error_message
    assert "the platform's tax line was 16.50" in record.error_message
    assert "Sales_Tax_Amount: we sent 16.50, Spectrum holds 14.56" in record.error_message
    told = exports.told(record.pk, "failed")
    assert told["verification"] == "mismatch" and told["spectrum"]["tax"] == "14.56"
    assert told["spectrum"]["total"] == "594.56"


def test_spectrum_holding_what_was_sent_is_no_mismatch(exports: Exports, monkeypatch: pytest.MonkeyPatch) -> None:
    # Negative control of the one above: the same invoice, Spectrum's row untouched.
    from spectrum_sync.exports import engine

    record_id = exports.post("ar-invoices", taxed_invoice(exports, "RB1009"))
    look = readback.confirm
    put_off(monkeypatch)
    engine.process(record_id)
    assert look(record_id) == "succeeded"
    assert SyncRecord.objects.get(pk=record_id).readback["spectrum"]["total"] == "596.50"


def test_a_reply_of_an_unknown_shape_is_confirmed_by_read_back_and_never_resent(
    exports: Exports, worker: WorkerProcess
) -> None:
    exports.spectrum.set_faults(queue=["other_shape"], services=["customer/invoice"])
    record = exports.final(exports.post("ar-invoices", exports.invoice("RB1003")))
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    assert record.verification == Verification.CONFIRMED
    attempts = list(record.attempts.values_list("outcome", "response"))
    assert len(attempts) == 1 and attempts[0][0] == "accepted" and '"unconfirmed": true' in attempts[0][1]
    assert exports.spectrum.counters()["accepted"]["customer/invoice"]["DC1|RB1003"] == 1


def test_a_reply_of_an_unknown_shape_for_a_refused_invoice_fails_without_a_resend(
    exports: Exports, worker: WorkerProcess
) -> None:
    # Negative control: the unknown 2xx reply was for nothing Spectrum kept (it refused the invoice:
    # an unknown GL account). Read-back never finds it; the record is flagged, nothing resent.
    from mappings.models import GLAccountMapping

    GLAccountMapping.objects.filter(tenant=exports.tenant).update(gl_account="999999")
    rules_changed(exports.tenant.pk)  # update() sends no signal: the workers' copies are stale
    exports.spectrum.set_faults(queue=["other_shape"], services=["customer/invoice"])
    record_id = exports.post("ar-invoices", exports.invoice("RB1004"))
    record = wait_for(
        lambda: (r := SyncRecord.objects.get(pk=record_id)).readback.get("looks") and r, 60, "never looked for"
    )
    assert record.status == SyncStatus.CONFIRMING and "not found yet through Info-Link" in record.readback["last_look"]
    assert exports.told(record_id, "confirming")["verification"] == ""  # the platform sees it wait
    SyncRecord.objects.filter(pk=record_id).update(confirm_until=timezone.now() - timedelta(seconds=1))
    assert readback.confirm(record_id) == "failed"
    record = SyncRecord.objects.get(pk=record_id)
    assert record.verification == Verification.NOT_FOUND and record.error_code == readback.NOT_FOUND
    assert "still not found" in record.error_message and "Nothing was resent" in record.error_message
    assert exports.spectrum_has_invoice("RB1004") == 0
    assert exports.spectrum.counters()["requests"]["customer/invoice"] == 1
    assert exports.told(record_id, "failed")["verification"] == "not_found"


def test_without_info_link_access_success_says_not_verified(exports: Exports, worker: WorkerProcess) -> None:
    SpectrumConnection.objects.filter(tenant=exports.tenant).update(db_enabled=False)
    record = exports.final(exports.post("ar-invoices", exports.invoice("RB1005")))
    assert record.status == SyncStatus.SUCCEEDED
    assert record.verification == Verification.UNVERIFIED
    assert record.readback["note"] == "Accepted by Spectrum, not verified (no Info-Link access)"
    assert exports.told(record.pk, "succeeded")["verification"] == "unverified"


def _job_taxed_at(exports: Exports, rate: str) -> None:
    """The mirror knows the job's tax code and its rate: pre-flight can compute Spectrum's tax."""
    from spectrum_sync.models import MirrorRecord

    code = next(
        r["Sales_Tax_Code"] for r in exports.db.seed_rows["CR_SALES_TAX_MASTER_MC"] if r["Company_Code"] == "DC1"
    )

    MirrorRecord.objects.update_or_create(
        tenant=exports.tenant,
        object_type="job",
        key=f"DC1|{exports.job}",
        defaults={"row_hash": "t", "data": {"tax_class_code": code}},
    )
    MirrorRecord.objects.update_or_create(
        tenant=exports.tenant,
        object_type="sales_tax",
        key=f"DC1|{code}",
        defaults={"row_hash": "t", "data": {"rate": rate}},
    )


def test_pre_flight_holds_an_invoice_whose_spectrum_total_will_differ(exports: Exports, worker: WorkerProcess) -> None:
    _job_taxed_at(exports, "6.75")
    record = exports.final(exports.post("ar-invoices", taxed_invoice(exports, "RB1006")))
    assert record.status == SyncStatus.HELD and record.error_code == "TOTAL"
    assert f"Spectrum will compute tax 14.56 at job {exports.job}'s rate 6.75 %" in record.held_reason
    assert "the platform's tax line is 16.50" in record.held_reason
    assert "Spectrum's total will be 594.56, the platform's 596.50" in record.held_reason
    assert exports.spectrum_has_invoice("RB1006") == 0

    # The accountant reads the reason on the record page and sends it with Spectrum's total.
    from django.contrib.auth import get_user_model
    from django.test import Client

    admin = get_user_model().objects.create_superuser("acct", "acct@example.com", "pw-123456789")
    browser = Client()
    browser.force_login(admin)
    page = browser.get(f"/admin/spectrum_sync/syncrecord/{record.pk}/change/")
    assert b"Send with Spectrum&#x27;s total" in page.content or b"Send with Spectrum's total" in page.content
    assert (
        browser.post(f"/admin/spectrum_sync/syncrecord/{record.pk}/accept-total/", {"note": "job rate"}).status_code
        == 302
    )
    record = exports.final(record.pk)
    assert record.status == SyncStatus.SUCCEEDED and record.verification == Verification.CONFIRMED
    assert "Spectrum's total accepted by acct" in record.readback["difference_accepted"]
    assert exports.told(record.pk, "succeeded")["spectrum"]["total"] == "594.56"
    page = browser.get(f"/admin/spectrum_sync/syncrecord/{record.pk}/change/")
    assert b"Read through Info-Link" in page.content and b"total: 594.56" in page.content


def test_a_tenant_that_sends_anyway_gets_spectrums_totals_back(
    exports: Exports, worker: WorkerProcess, tenant: Tenant
) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(total_difference=Tenant.TotalDifference.SEND)
    _job_taxed_at(exports, "6.75")
    record = exports.final(exports.post("ar-invoices", taxed_invoice(exports, "RB1007")))
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    assert record.verification == Verification.CONFIRMED
    told = exports.told(record.pk, "succeeded")
    assert told["spectrum"]["total"] == "594.56" and told["spectrum"]["tax"] == "14.56"


def test_an_invoice_without_a_known_rate_passes_pre_flight(exports: Exports, tenant: Tenant) -> None:
    # Negative control for the hold: no rate known, the platform's tax is sent as it is.
    from spectrum_sync.exports import preflight

    TaxCodeDefault.objects.filter(tenant=tenant).delete()
    tenant.refresh_from_db()  # its rules_stamp is new (the delete's signals)
    check = preflight.run(tenant, "ar_invoice", taxed_invoice(exports, "RB1008"))
    assert check.total_difference == ""
