"""Typed records read from Spectrum, whichever way they were read.

The web-service reader and the database reader both yield these, so the import engine never cares
where a record came from. Keys are trimmed of Spectrum's padding; money, rates and quantities are
``Decimal``; dates are ``datetime.date`` or ``None``; text is ``""`` when empty, never ``None``.
Field names follow Spectrum's own element / column names in snake_case (docs/spectrum.md#services).

Each record knows its natural key within a tenant: ``key`` (a string stable across polls).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar


@dataclass(frozen=True)
class SpectrumRecord:
    object_type: ClassVar[str] = ""
    key_fields: ClassVar[tuple[str, ...]] = ()

    company_code: str

    @property
    def key(self) -> str:
        return "|".join(str(getattr(self, name)) for name in ("company_code", *self.key_fields))

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly: Decimal as string, date as ISO text."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, date):
                value = value.isoformat()
            out[f.name] = value
        return out


@dataclass(frozen=True)
class Customer(SpectrumRecord):
    """GetCustomers (docs/spectrum.md#getcustomers) / CR_CUSTOMER_MASTER_MC."""

    object_type: ClassVar[str] = "customer"
    key_fields: ClassVar[tuple[str, ...]] = ("customer_code",)

    customer_code: str = ""
    name: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    first_name: str = ""
    last_name: str = ""
    phone_number: str = ""
    email: str = ""
    price_level_material: str = ""
    taxable_flag: str = ""  # "Taxable", "Non-Taxable" or "No Default"
    status: str = ""  # "Active", "Inactive" or "Not Used"


@dataclass(frozen=True)
class Vendor(SpectrumRecord):
    """GetVendors SOAP / REST (docs/spectrum.md#getvendors, #get-vendors-rest) / VN_VENDOR_MASTER_MC."""

    object_type: ClassVar[str] = "vendor"
    key_fields: ClassVar[tuple[str, ...]] = ("vendor_code",)

    vendor_code: str = ""
    name: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    first_name: str = ""
    last_name: str = ""
    phone_number: str = ""
    email: str = ""
    account_reference: str = ""
    payment_terms: str = ""
    payment_term_days: Decimal | None = None
    discount_terms: str = ""
    discount_term_days: Decimal | None = None
    discount_percent: Decimal | None = None
    vendor_type: str = ""
    status: str = ""


@dataclass(frozen=True)
class Job(SpectrumRecord):
    """GetJob + GetJobMain (docs/spectrum.md#getjob, #getjobmain) / JC_JOB_MASTER_MC; imported as a platform project."""

    object_type: ClassVar[str] = "job"
    key_fields: ClassVar[tuple[str, ...]] = ("job_number",)

    job_number: str = ""
    job_description: str = ""
    division: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    project_manager: str = ""
    superintendent: str = ""
    estimator: str = ""
    certified_flag: str = ""
    customer_code: str = ""
    status_code: str = ""  # A / I / C
    work_state_tax_code: str = ""
    contract_number: str = ""
    cost_center: str = ""
    original_contract: Decimal | None = None


@dataclass(frozen=True)
class Phase(SpectrumRecord):
    """GetPhase (docs/spectrum.md#getphase) / JC_PHASE_MASTER_MC: one row per job / phase / cost type.

    Carries the budget (original and current estimate) and job cost to date (JTD) as well.
    """

    object_type: ClassVar[str] = "phase"
    key_fields: ClassVar[tuple[str, ...]] = ("job_number", "phase_code", "cost_type")

    job_number: str = ""
    phase_code: str = ""
    cost_type: str = ""
    description: str = ""
    status_code: str = ""
    unit_of_measure: str = ""
    jtd_quantity: Decimal | None = None
    jtd_hours: Decimal | None = None
    jtd_actual_dollars: Decimal | None = None
    projected_quantity: Decimal | None = None
    projected_hours: Decimal | None = None
    projected_dollars: Decimal | None = None
    estimated_quantity: Decimal | None = None
    estimated_hours: Decimal | None = None
    original_estimated_dollars: Decimal | None = None  # database only; GetPhase gives current only
    current_estimated_dollars: Decimal | None = None
    cost_center: str = ""


@dataclass(frozen=True)
class CostType(SpectrumRecord):
    """Cost types (docs/spectrum.md#cost-types); imported as platform categories."""

    object_type: ClassVar[str] = "cost_type"
    key_fields: ClassVar[tuple[str, ...]] = ("cost_type",)

    cost_type: str = ""
    description: str = ""
    abbreviation: str = ""


@dataclass(frozen=True)
class GLAccount(SpectrumRecord):
    """GL accounts (database only; docs/spectrum.md#tables-read-by-imports)."""

    object_type: ClassVar[str] = "gl_account"
    key_fields: ClassVar[tuple[str, ...]] = ("gl_account",)

    gl_account: str = ""  # no dashes, as Spectrum stores it
    description: str = ""
    account_type: str = ""
    status: str = ""


@dataclass(frozen=True)
class GLDepartment(SpectrumRecord):
    """GL departments (database only); imported as platform classes, deletes included."""

    object_type: ClassVar[str] = "gl_department"
    key_fields: ClassVar[tuple[str, ...]] = ("department",)

    department: str = ""
    description: str = ""
    status: str = ""


@dataclass(frozen=True)
class SalesTax(SpectrumRecord):
    """AR sales tax codes and rates (database only; docs/spectrum.md#tables-read-by-imports)."""

    object_type: ClassVar[str] = "sales_tax"
    key_fields: ClassVar[tuple[str, ...]] = ("tax_code",)

    tax_code: str = ""
    description: str = ""
    rate: Decimal | None = None  # percent, xx.xxxx
    gl_account: str = ""
    status: str = ""


@dataclass(frozen=True)
class PurchaseTax(SpectrumRecord):
    """AP purchase / use tax codes and rates (database only; docs/spectrum.md#tables-read-by-imports)."""

    object_type: ClassVar[str] = "purchase_tax"
    key_fields: ClassVar[tuple[str, ...]] = ("tax_code",)

    tax_code: str = ""
    description: str = ""
    rate: Decimal | None = None
    gl_account: str = ""
    status: str = ""


@dataclass(frozen=True)
class ARPayment(SpectrumRecord):
    """AR cash receipts applied to invoices (database only; docs/spectrum.md#tables-read-by-imports)."""

    object_type: ClassVar[str] = "ar_payment"
    key_fields: ClassVar[tuple[str, ...]] = ("customer_code", "invoice_number", "receipt_number", "sequence")

    customer_code: str = ""
    invoice_number: str = ""
    receipt_number: str = ""  # check / deposit reference
    sequence: int = 0
    payment_date: date | None = None
    amount: Decimal | None = None
    discount_amount: Decimal | None = None
    job_number: str = ""
    reference: str = ""


@dataclass(frozen=True)
class POBill(SpectrumRecord):
    """AP invoice (vendor bill) for a PO receipt (database only; docs/spectrum.md#tables-read-by-imports)."""

    object_type: ClassVar[str] = "po_bill"
    key_fields: ClassVar[tuple[str, ...]] = ("vendor_code", "invoice_number")

    vendor_code: str = ""
    invoice_number: str = ""
    invoice_date: date | None = None
    due_date: date | None = None
    po_number: str = ""
    receipt_number: str = ""
    job_number: str = ""
    amount: Decimal | None = None
    tax_amount: Decimal | None = None
    status: str = ""


@dataclass(frozen=True)
class JobCost(SpectrumRecord):
    """Job cost to date per job / phase / cost type (JC_PHASE_MASTER_MC / GetPhase JTD)."""

    object_type: ClassVar[str] = "job_cost"
    key_fields: ClassVar[tuple[str, ...]] = ("job_number", "phase_code", "cost_type")

    job_number: str = ""
    phase_code: str = ""
    cost_type: str = ""
    jtd_quantity: Decimal | None = None
    jtd_hours: Decimal | None = None
    jtd_actual_dollars: Decimal | None = None
    projected_dollars: Decimal | None = None


@dataclass(frozen=True)
class Budget(SpectrumRecord):
    """Original and current estimate per job / phase / cost type (JC_PHASE_MASTER_MC / GetPhase)."""

    object_type: ClassVar[str] = "budget"
    key_fields: ClassVar[tuple[str, ...]] = ("job_number", "phase_code", "cost_type")

    job_number: str = ""
    phase_code: str = ""
    cost_type: str = ""
    original_estimated_dollars: Decimal | None = None
    current_estimated_dollars: Decimal | None = None
    estimated_hours: Decimal | None = None
    estimated_quantity: Decimal | None = None


@dataclass(frozen=True)
class PrimeContract(SpectrumRecord):
    """The prime (owner) contract of a job, one per job (CR_CONTRACT_MASTER_MC)."""

    object_type: ClassVar[str] = "prime_contract"
    key_fields: ClassVar[tuple[str, ...]] = ("job_number",)

    job_number: str = ""
    contract_number: str = ""
    customer_code: str = ""
    description: str = ""
    original_contract_amount: Decimal | None = None
    approved_change_orders: Decimal | None = None
    revised_contract_amount: Decimal | None = None
    billed_to_date: Decimal | None = None
    retention_percent: Decimal | None = None
    status: str = ""


RECORD_TYPES: dict[str, type[SpectrumRecord]] = {
    cls.object_type: cls
    for cls in (
        Customer,
        Vendor,
        Job,
        Phase,
        CostType,
        GLAccount,
        GLDepartment,
        SalesTax,
        PurchaseTax,
        ARPayment,
        POBill,
        JobCost,
        Budget,
        PrimeContract,
    )
}
