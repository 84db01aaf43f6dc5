"""Sample platform documents, as the operations platform posts them to Spectrum Sync's inbound API.

The platform simulator's page offers them in a form, ``platform_simulator --post-sample NAME`` posts
one from the command line, and tests use them. Each builder returns a fresh document (new id and
number unless given) against the Spectrum simulator's demo data (company DC1; see DEMO_* below).

**The shape** is the inbound API's (``spectrum_sync/api/serializers.py``, owned by the API): what
``POST {sync_url}/api/v1/<document-type>/`` receives as its JSON body, with
``Authorization: Bearer <tenant API key>``. Money and quantities are decimal strings, never floats;
dates are ISO ``YYYY-MM-DD``; ``document_id`` + ``version`` identify one version of one platform
document (the same pair posted twice is one sync record). Every document may carry
``company_code`` and ``custom_fields`` ({name: text}, sent to Spectrum UDFs by the tenant's UDF
configuration).

``ar-invoices`` — an invoice after review::

    {"document_id", "version", "company_code", "invoice_number", "customer_code", "job_number",
     "invoice_date", "gl_date", "customer_po", "remarks", "department", "tax_code",
     "lines": [{"kind": "labor" | "material" | "discount" | "tax", "description", "quantity",
                "unit_of_measure", "amount", "taxable": bool}]}

  A discount line carries a negative ``amount``; the tax line the tax the platform computed
  (Spectrum takes the rate from the job's tax code when the invoice has a job, else the invoice's).

``jobs`` — a project created or updated on the platform::

    {"document_id", "version", "company_code", "job_number", "description", "customer_code",
     "address_1", "city", "state", "zip_code", "tax_class_code", "taxable": bool,
     "price_method": "F" | "T" | "C" | "U", "status": "A" | "I" | "C", "est_start_date",
     "est_complete_date", "original_contract",
     "phases": [{"phase_code", "cost_type", "description", "budget_amount", "budget_hours"}]}

``po-receipts`` — materials received against an open purchase order of a job::

    {"document_id", "version", "company_code", "po_number", "receipt_number" (packing list),
     "receipt_sequence" (1-999, this receipt's number on the PO), "job_number", "receipt_date", "remarks",
     "lines": [{"po_line_number", "item_code", "quantity_received", "phase_code", "cost_type"}]}
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

# Demo master data in the Spectrum simulator's deterministic seed (connectors/spectrum/simulator/seed.py,
# profile "demo"); tests/platform/test_samples.py checks these still exist there.
DEMO_COMPANY = "DC1"
DEMO_CUSTOMER = "FALCON01"
DEMO_JOB = "24001"  # customer FALCON01, tax class TRAVIS
DEMO_JOB_TAX_CODE = "TRAVIS"
DEMO_DEPARTMENT = "20"  # Service
DEMO_PO = "17003"  # open PO of job 24004, nothing received yet
DEMO_PO_JOB = "24004"
DEMO_PO_LINES = ((1, "!ITEM1", "2"), (2, "!ITEM2", "10"))  # (line, item, quantity received per sample)
DEMO_PO_PHASE, DEMO_PO_COST_TYPE = "0300", "M"

# A process-wide counter seeded from the clock: each sample gets a new number, even across restarts.
_numbers = itertools.count(int(time.time()) % 10_000_000)


def next_number() -> str:
    return f"{next(_numbers) % 10_000_000:07d}"


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def ar_invoice(
    *,
    number: str = "",
    company: str = DEMO_COMPANY,
    customer: str = DEMO_CUSTOMER,
    job: str = DEMO_JOB,
    invoice_date: date | None = None,
    version: str = "1",
) -> dict[str, Any]:
    """An AR invoice with a labor, a material, a discount and a tax line for the demo customer and job."""
    number = number or next_number()
    day = (invoice_date or date.today()).isoformat()
    labor = Decimal("4") * Decimal("95.00")
    material = Decimal("12") * Decimal("18.75")
    discount = Decimal("-25.00")
    tax = ((material + discount) * Decimal("0.0825")).quantize(Decimal("0.01"))
    return {
        "document_id": f"inv_{number}",
        "version": version,
        "company_code": company,
        "invoice_number": f"S{number}"[:10],
        "customer_code": customer,
        "job_number": job,
        "invoice_date": day,
        "gl_date": day,
        "customer_po": f"PO-{number}",
        "remarks": "Rooftop unit service call",
        "department": DEMO_DEPARTMENT,
        "tax_code": DEMO_JOB_TAX_CODE,
        "lines": [
            {
                "kind": "labor",
                "description": "Service technician 4 h",
                "quantity": "4",
                "unit_of_measure": "HR",
                "amount": _money(labor),
                "taxable": False,
            },
            {
                "kind": "material",
                "description": "Air filter 20x25x2",
                "quantity": "12",
                "unit_of_measure": "EA",
                "amount": _money(material),
                "taxable": True,
            },
            {
                "kind": "discount",
                "description": "Service agreement discount",
                "quantity": "1",
                "unit_of_measure": "",
                "amount": _money(discount),
                "taxable": True,
            },
            {
                "kind": "tax",
                "description": "Sales tax",
                "quantity": "1",
                "unit_of_measure": "",
                "amount": _money(tax),
                "taxable": False,
            },
        ],
    }


def job(
    *, number: str = "", company: str = DEMO_COMPANY, customer: str = DEMO_CUSTOMER, version: str = "1"
) -> dict[str, Any]:
    """A fixed-price project for the demo customer with phases, cost types and budgets."""
    number = number or next_number()
    start = date.today()
    return {
        "document_id": f"prj_{number}",
        "version": version,
        "company_code": company,
        "job_number": f"J{number}"[:10],
        "description": "Clinic HVAC retrofit",
        "customer_code": customer,
        "address_1": "400 Congress Ave",
        "city": "Austin",
        "state": "TX",
        "zip_code": "78701",
        "tax_class_code": DEMO_JOB_TAX_CODE,
        "taxable": True,
        "price_method": "F",
        "status": "A",
        "est_start_date": start.isoformat(),
        "est_complete_date": (start + timedelta(days=365)).isoformat(),
        "original_contract": "125000.00",
        "custom_fields": {"permit_number": f"BP-{number}"},
        "phases": [
            {
                "phase_code": "0100",
                "cost_type": "L",
                "description": "General Conditions",
                "budget_amount": "8000.00",
                "budget_hours": "120",
            },
            {
                "phase_code": "0100",
                "cost_type": "O",
                "description": "General Conditions",
                "budget_amount": "1500.00",
                "budget_hours": "0",
            },
            {
                "phase_code": "0300",
                "cost_type": "L",
                "description": "Rooftop units",
                "budget_amount": "22000.00",
                "budget_hours": "300",
            },
            {
                "phase_code": "0300",
                "cost_type": "M",
                "description": "Rooftop units",
                "budget_amount": "64000.00",
                "budget_hours": "0",
            },
        ],
    }


def po_receipt(
    *, number: str = "", company: str = DEMO_COMPANY, po: str = DEMO_PO, sequence: int = 0, version: str = "1"
) -> dict[str, Any]:
    """A partial receipt of the demo job's open purchase order (every line names a phase and cost type)."""
    number = number or next_number()
    # Spectrum numbers receipts 1-999 per PO; derive one from the sample number so each post is new.
    sequence = sequence or (int(number) % 999 + 1 if number.isdigit() else 1)
    return {
        "document_id": f"rcv_{number}",
        "version": version,
        "company_code": company,
        "po_number": po,
        "receipt_number": f"PS{number}",
        "receipt_sequence": sequence,
        "job_number": DEMO_PO_JOB,
        "receipt_date": date.today().isoformat(),
        "remarks": "Delivered to site, checked by foreman",
        "lines": [
            {
                "po_line_number": line,
                "item_code": item,
                "quantity_received": quantity,
                "phase_code": DEMO_PO_PHASE,
                "cost_type": DEMO_PO_COST_TYPE,
            }
            for line, item, quantity in DEMO_PO_LINES
        ],
    }


@dataclass(frozen=True)
class Sample:
    name: str  # what the form and the CLI call it
    label: str
    document_type: str  # the inbound API's path segment
    build: Callable[[], dict[str, Any]]


SAMPLES: dict[str, Sample] = {
    sample.name: sample
    for sample in (
        Sample("ar-invoice", "AR invoice (labor, material, discount, tax)", "ar-invoices", ar_invoice),
        Sample("job", "Job with two phases and budgets", "jobs", job),
        Sample("po-receipt", "PO receipt (two material lines)", "po-receipts", po_receipt),
    )
}
