"""A tenant reading the seeded Spectrum store through real ODBC, and helpers to add documents on each side."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from spectrum_sync.models import Direction, SpectrumConnection, SyncRecord, SyncStatus, Tenant
from tests.fixtures_spectrum_db import SpectrumDB, spectrum_db  # noqa: F401

COMPANY = "DC1"


def wire(tenant: Tenant, spectrum: SpectrumDB) -> Tenant:
    """Point the tenant's connection at the seeded store (company DC1), through the PostgreSQL ODBC driver."""
    odbc = spectrum.odbc_config
    connection = SpectrumConnection.objects.get(tenant=tenant)
    connection.company_codes = COMPANY
    connection.db_enabled = True
    connection.db_driver, connection.db_host, connection.db_port = odbc.driver, odbc.host, odbc.port
    connection.db_name, connection.db_user, connection.db_password = odbc.database, odbc.user, odbc.password
    connection.db_options = odbc.options
    connection.save()
    tenant.refresh_from_db()
    return tenant


@pytest.fixture
def wired(tenant: Tenant, spectrum_db: SpectrumDB) -> Tenant:  # noqa: F811
    return wire(tenant, spectrum_db)


def a_customer(spectrum: SpectrumDB) -> str:
    return str(
        next(r["Customer_Code"] for r in spectrum.seed_rows["CR_CUSTOMER_MASTER_MC"] if r["Company_Code"] == COMPANY)
    )


def spectrum_invoice(spectrum: SpectrumDB, number: str, day: dt.date, extension: str, tax: str) -> None:
    """An invoice as Spectrum holds it: header (extension + tax) and one detail line."""
    customer = a_customer(spectrum)
    spectrum.store.insert(
        "CR_INVOICE_HEADER_MC",
        {
            "Company_Code": COMPANY,
            "Invoice_Or_Transaction": number,
            "Customer_Code": customer,
            "Transaction_Type": "I",
            "Invoice_Date": day,
            "GL_Date": day,
            "Invoice_Extension": Decimal(extension),
            "Sales_Tax_Amount": Decimal(tax),
            "Posted_Flag": "N",
        },
    )
    spectrum.store.insert(
        "CR_INVOICE_DETAIL_MC",
        {
            "Company_Code": COMPANY,
            "Invoice_Or_Transaction": number,
            "Line_Number": 1,
            "Line_Extension": Decimal(extension),
        },
    )


def exported_invoice(
    tenant: Tenant, number: str, day: dt.date, labor: str, tax: str, customer: str = "C1", **fields: Any
) -> SyncRecord:
    """An AR invoice the platform exported and Spectrum accepted: one labor line and one tax line."""
    payload = {
        "document_id": f"doc-{number}",
        "version": "1",
        "company_code": COMPANY,
        "invoice_number": number,
        "customer_code": customer,
        "invoice_date": day.isoformat(),
        "lines": [{"kind": "labor", "amount": labor}, {"kind": "tax", "amount": tax}],
    }
    fields.setdefault("status", SyncStatus.SUCCEEDED)
    fields.setdefault("finished_at", timezone.now())
    return SyncRecord.objects.create(
        tenant=tenant,
        direction=Direction.EXPORT,
        object_type="ar_invoice",
        platform_id=f"doc-{number}",
        version="1",
        document_number=number,
        spectrum_key=f"{COMPANY}|{customer}|{number}",
        company_code=COMPANY,
        idempotency_key=f"{tenant.pk}:recon:{number}",
        payload=payload,
        **fields,
    )
