"""The documented services end to end (real worker, both simulators, the database through ODBC):
a service-agreement maintenance becomes a scheduled visit on its service contract, a maintenance
without one a stand-alone work order, UDFs reach the services Spectrum documents for them, and a UDF
mapping for a type Spectrum has no UDF service for is refused on the UDF screen.
(docs/spectrum.md#service-contract-visit-rest, #workorderheader, #udf-services)
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from mappings.admin import UDFMappingForm
from mappings.models import UDFMapping
from spectrum_sync.models import SyncStatus, Tenant, Verification
from tests.exports.test_flow import Exports, exports, worker  # noqa: F401
from tests.fixtures_platform import platform_simulator_process  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_process  # noqa: F401
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]


def udf(tenant: Tenant, document_type: str, field: str, slot: int) -> None:
    UDFMapping.objects.create(tenant=tenant, document_type=document_type, platform_field=field, udf_slot=slot)


def maintenance(document_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "document_id": document_id,
        "version": "1",
        "work_order_number": "PM9101",
        "site_id": "SITE01",
        "customer_code": "",
        "work_order_type": "SVC",
        "description": "Quarterly rooftop unit maintenance",
        "scheduled_date": timezone.localdate().isoformat(),
        "custom_fields": {"tier": "Gold"},
        **extra,
    }


def rows(exports: Exports, sql: str, *params: str) -> list[dict[str, Any]]:  # noqa: F811
    return list(exports.db.store.query(sql, list(params)))


def test_a_service_agreement_visit_lands_on_its_contract_and_a_stand_alone_one_as_a_work_order(
    exports: Exports,  # noqa: F811
    worker: WorkerProcess,  # noqa: F811
) -> None:
    udf(exports.tenant, "maintenance", "tier", 4)
    on_contract = maintenance("pm-sa-1", service_contract_number="SA001", customer_code=exports.customer)
    record = exports.final(exports.post("maintenances", on_contract))
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    assert record.verification == Verification.CONFIRMED  # read back from the visit table by site, contract, date
    visits = rows(
        exports,
        "SELECT Visit_Date, Work_Summary FROM SC_CONTRACT_VISIT_MC "
        "WHERE TRIM(Site_ID) = ? AND TRIM(Contract_Number) = ?",
        "SITE01",
        "SA001",
    )
    assert len(visits) == 1 and visits[0]["Work_Summary"].strip() == "Quarterly rooftop unit maintenance"
    assert [
        r["UDF4"] for r in rows(exports, "SELECT UDF4 FROM SC_CONTRACT_UDF_MC WHERE TRIM(Site_ID) = ?", "SITE01")
    ] == ["Gold"]
    # A visit, not a work order: WorkOrderHeader was not called for it.
    assert exports.spectrum.accepted("WorkOrderHeader") == {}
    assert [s for s, _ in record.attempts.values_list("service", "outcome")] == [
        "serviceContract/Visit",
        "UpdateServiceContract_UDF",
    ]

    stand_alone = maintenance("pm-wo-1", customer_code=exports.customer)
    record = exports.final(exports.post("maintenances", stand_alone))
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    assert exports.spectrum.accepted("WorkOrderHeader") == {"DC1|PM9101": 1}
    assert [
        r["UDF4"] for r in rows(exports, "SELECT UDF4 FROM WO_HEADER_UDF_MC WHERE TRIM(WO_Number) = ?", "PM9101")
    ] == ["Gold"]
    assert len(rows(exports, "SELECT Visit_Number FROM SC_CONTRACT_VISIT_MC WHERE TRIM(Site_ID) = ?", "SITE01")) == 1


def test_a_subcontract_udf_reaches_spectrum(exports: Exports, worker: WorkerProcess) -> None:  # noqa: F811
    seeded = exports.db.seed_rows
    vendor = next(r["Vendor_Code"] for r in seeded["VN_VENDOR_MASTER_MC"] if r["Company_Code"] == "DC1")
    phase = next(
        r for r in seeded["JC_PHASE_MASTER_MC"] if r["Company_Code"] == "DC1" and r["Job_Number"] == exports.job
    )
    exports.mirror("vendor", vendor)
    exports.mirror("phase", f"{exports.job}|{phase['Phase_Code']}|{phase['Cost_Type']}")
    udf(exports.tenant, "commitment", "bond", 2)
    body = {
        "document_id": "sc-udf-1",
        "version": "1",
        "commitment_number": "FLSCU1",
        "vendor_code": vendor,
        "job_number": exports.job,
        "custom_fields": {"bond": "Bonded 2026"},
        "lines": [{"phase_code": phase["Phase_Code"], "cost_type": phase["Cost_Type"], "amount": "700.00"}],
    }
    record = exports.final(exports.post("commitments", body))
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    held = rows(exports, "SELECT UDF2 FROM VN_SUBCONTRACT_UDF_MC WHERE TRIM(Subcontract_Number) = ?", "FLSCU1")
    assert [r["UDF2"] for r in held] == ["Bonded 2026"]


def test_a_udf_mapping_for_ar_invoices_is_refused_and_one_for_jobs_accepted(tenant: Tenant) -> None:
    data = {"tenant": tenant.pk, "platform_field": "region", "udf_slot": 1, "max_length": 20}
    refused = UDFMappingForm(data={**data, "document_type": "ar_invoice"})
    assert not refused.is_valid()
    assert "no UDF service for AR invoices" in refused.errors["document_type"][0]
    for_receipts = UDFMappingForm(data={**data, "document_type": "po_receipt"})
    assert not for_receipts.is_valid() and "PO receipts" in for_receipts.errors["document_type"][0]
    # The screen says which types Spectrum takes UDFs for, and which it cannot.
    help_text = str(refused.fields["document_type"].help_text)
    assert "UpdateSubcontract_UDF" in help_text and "no UDF service for AR invoices" in help_text
    assert UDFMappingForm(data={**data, "document_type": "job"}).is_valid()
