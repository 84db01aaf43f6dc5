"""What the database reader reads: one declaration per object type and per exported document kind.

Each object type the service imports is read from one Info-Link table (``_QUERIES``: table, key,
record field -> column); each exported document is looked up in its header (and lines) table
(``DOCUMENT_KINDS``). The names here are our reading (docs/spectrum.md#tables-read-by-imports); the
candidates a connection's database may use instead, and their sources, are in ``schema.py``
(docs/spectrum.md#info-link-schema).

Where Spectrum's exact column names are not public (docs/spectrum.md#access-model: they are visible only
in-product through Info-Link's Table Directory Inquiry), the names follow the documented ones and the
Data Exchange field names; each table has exactly one mapping below (``_QUERIES``) and
``connectors/spectrum/simulator/store.py`` marks every chosen name. A customer whose Spectrum spells a
column differently sets an override on its connection (docs/spectrum.md#info-link-schema).

Read-only grants (what the customer gives)
    In Spectrum, Info-Link > create a database user (press Enter, not just OK, to save it), give it
    **read-only** access to the tables below (directly, or through an Info-Link table category), and
    for Spectrum Cloud ask Trimble support ("Upgrade Info-Link Access" form, READ ONLY ACCESS, the
    user name prefixed with the company code, our server's public IP for the allow-list). Info-Link
    issues the SQL grants itself; the equivalent SQL is ``GRANT SELECT ON dbo.<table> TO <user>`` for:
    CR_CUSTOMER_MASTER_MC, VN_VENDOR_MASTER_MC, JC_JOB_MASTER_MC, JC_PHASE_MASTER_MC,
    JC_COST_TYPE_MASTER_MC, GL_ACCOUNT_MASTER_MC, GL_DEPARTMENT_MASTER_MC, CR_SALES_TAX_MASTER_MC,
    VN_USE_TAX_MASTER_MC, CR_PAY_ADJUST_HISTORY_MC, VN_GL_DISTRIBUTION_HEADER_MC, CR_CONTRACT_MASTER_MC,
    and for reconciling exports CR_INVOICE_HEADER_MC, CR_INVOICE_DETAIL_MC, PO_RECEIVING_HISTORY_MC,
    VN_SUBCONTRACT_MC, CR_CHANGE_ORDER_HEADER_MC, WO_HEADER_MC. Nothing is ever written.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connectors.spectrum import records

# Spectrum's one-letter codes as GetCustomers spells them (docs/spectrum.md#getcustomers), so both
# readers agree.
# Vendors use the same words: that is what the simulator's SOAP GetVendors returns (its return
# layout is undocumented, docs/spectrum.md#getvendors), and a vendor's status then reads alike from either side.
CUSTOMER_STATUS_TEXT = {"A": "Active", "I": "Inactive", "N": "Not Used"}
CUSTOMER_TAXABLE_TEXT = {"Y": "Taxable", "N": "Non-Taxable", "": "No Default"}


# ---------------------------------------------------------------------------------------------------
# Value conversion: padding off, NULL text to "", money to Decimal, dates to date


def text(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if type(value) is str else str(value).strip()


def decimal_or_none(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def date_or_none(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite demo store keeps ISO text


def integer(value: Any) -> int:
    return 0 if value is None else int(value)


def customer_status(value: Any) -> str:
    return CUSTOMER_STATUS_TEXT.get(text(value), text(value))


def customer_taxable(value: Any) -> str:
    return CUSTOMER_TAXABLE_TEXT.get(text(value), text(value))


_BY_TYPE: dict[str, Callable[[Any], Any]] = {
    "str": text,
    "Decimal | None": decimal_or_none,
    "date | None": date_or_none,
    "int": integer,
}


# ---------------------------------------------------------------------------------------------------
# One mapping per table: record field -> column


@dataclass(frozen=True)
class ObjectQuery:
    """How one record type is read: its table, key (for ORDER BY / keyset), field -> column map."""

    record: type[records.SpectrumRecord]
    table: str
    key: tuple[str, ...]  # after Company_Code, the table's primary key order
    columns: Mapping[str, str]  # record field -> column; company_code is implied
    filters: tuple[tuple[str, str], ...] = ()  # fixed "column = value" filters, sent as parameters
    non_empty: tuple[str, ...] = ()  # columns that must be neither NULL nor blank
    convert: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)

    def field_order(self) -> list[str]:
        """The record's fields after company_code; every one must be mapped to a column."""
        names = [f.name for f in dataclasses.fields(self.record) if f.name != "company_code"]
        unmapped = set(names) ^ set(self.columns)
        if unmapped:
            raise AssertionError(f"{self.record.__name__} mapping does not match its fields: {sorted(unmapped)}")
        return names

    def converter(self, field_name: str) -> Callable[[Any], Any]:
        if field_name in self.convert:
            return self.convert[field_name]
        annotation = self.record.__dataclass_fields__[field_name].type
        return _BY_TYPE[str(annotation)]


_PHASE_KEY = ("Job_Number", "Phase_Code", "Cost_Type")
_PHASE_KEYS = {"job_number": "Job_Number", "phase_code": "Phase_Code", "cost_type": "Cost_Type"}

_QUERIES: dict[str, ObjectQuery] = {
    q.record.object_type: q
    for q in (
        ObjectQuery(
            records.Customer,
            "CR_CUSTOMER_MASTER_MC",
            ("Customer_Code",),
            {
                "customer_code": "Customer_Code",
                "name": "Name",
                "address_1": "Address_1",
                "address_2": "Address_2",
                "city": "City",
                "state": "State",
                "zip_code": "Zip_Code",
                "first_name": "Contact_First_Name",  # chosen: Spectrum keeps contacts in a Contact Master
                "last_name": "Contact_Last_Name",
                "phone_number": "Contact_Phone",
                "email": "Customer_Email",
                "price_level_material": "Price_Level_Material",
                "taxable_flag": "Taxable_Flag",
                "status": "Status",
            },
            convert={"status": customer_status, "taxable_flag": customer_taxable},
        ),
        ObjectQuery(
            records.Vendor,
            "VN_VENDOR_MASTER_MC",
            ("Vendor_Code",),
            {
                "vendor_code": "Vendor_Code",
                "name": "Name",
                "address_1": "Address_1",
                "address_2": "Address_2",
                "city": "City",
                "state": "State",
                "zip_code": "Zip_Code",
                "first_name": "Contact_First_Name",
                "last_name": "Contact_Last_Name",
                "phone_number": "Phone",
                "email": "Vendor_Email",
                "account_reference": "Our_Account_Number",
                "payment_terms": "Terms_Code",
                "payment_term_days": "Terms_Days",
                "discount_terms": "Terms_Disc_Code",
                "discount_term_days": "Terms_Disc_Days",
                "discount_percent": "Terms_Disc_Percent",
                "vendor_type": "Type",
                "status": "Status",
            },
            convert={"status": customer_status},
        ),
        ObjectQuery(
            records.Job,
            "JC_JOB_MASTER_MC",
            ("Job_Number",),
            {
                "job_number": "Job_Number",
                "job_description": "Job_Description",
                "division": "Division",
                "address_1": "Address_1",
                "address_2": "Address_2",
                "city": "City",
                "state": "State",
                "zip_code": "Zip_Code",
                "project_manager": "Project_Manager",
                "superintendent": "Superintendent",
                "estimator": "Estimator",
                "certified_flag": "Certified_Flag",
                "customer_code": "Customer_Code",
                "status_code": "Status_Code",
                "work_state_tax_code": "Work_State_Tax_Code",
                "contract_number": "Contract_Number",
                "cost_center": "Cost_Center",
                "original_contract": "Original_Contract",
            },
        ),
        ObjectQuery(
            records.Phase,
            "JC_PHASE_MASTER_MC",
            _PHASE_KEY,
            {
                **_PHASE_KEYS,
                "description": "Description",
                "status_code": "Status_Code",
                "unit_of_measure": "Unit_of_Measure",
                "jtd_quantity": "JTD_Quantity",
                "jtd_hours": "JTD_Hours",
                "jtd_actual_dollars": "JTD_Actual_Dollars",
                "projected_quantity": "Projected_Quantity",
                "projected_hours": "Projected_Hours",
                "projected_dollars": "Projected_Dollars",
                "estimated_quantity": "Current_Est_Quantity",
                "estimated_hours": "Current_Est_Hours",
                "original_estimated_dollars": "Original_Est_Cost",
                "current_estimated_dollars": "Current_Est_Cost",
                "cost_center": "Cost_Center",
            },
        ),
        ObjectQuery(
            records.CostType,
            "JC_COST_TYPE_MASTER_MC",
            ("Cost_Type",),
            {"cost_type": "Cost_Type", "description": "Description", "abbreviation": "Abbreviation"},
        ),
        ObjectQuery(
            records.GLAccount,
            "GL_ACCOUNT_MASTER_MC",
            ("GL_Account",),
            {
                "gl_account": "GL_Account",
                "description": "Description",
                "account_type": "Account_Type_Code",
                "status": "Status",
            },
        ),
        ObjectQuery(
            records.GLDepartment,
            "GL_DEPARTMENT_MASTER_MC",
            ("Department",),
            {"department": "Department", "description": "Description", "status": "Status"},
        ),
        ObjectQuery(
            records.SalesTax,
            "CR_SALES_TAX_MASTER_MC",
            ("Sales_Tax_Code",),
            {
                "tax_code": "Sales_Tax_Code",
                "description": "Description",
                "rate": "Sales_Tax_Percent",
                "gl_account": "GL_Account",
                "status": "Status",
            },
        ),
        ObjectQuery(
            records.PurchaseTax,
            "VN_USE_TAX_MASTER_MC",
            ("Use_Tax_Code",),
            {
                "tax_code": "Use_Tax_Code",
                "description": "Use_Tax_Description",
                "rate": "Tax_Percent",
                "gl_account": "Tax_GL_Account",
                "status": "Status",
            },
        ),
        ObjectQuery(
            records.ARPayment,
            "CR_PAY_ADJUST_HISTORY_MC",
            ("Customer_Code", "Invoice_Number", "Reference_Number", "Sequence_Number"),
            {
                "customer_code": "Customer_Code",
                "invoice_number": "Invoice_Number",
                "receipt_number": "Reference_Number",
                "sequence": "Sequence_Number",
                "payment_date": "Reference_Date",
                "amount": "Payment_Amount",
                "discount_amount": "Discount_Taken",
                "job_number": "Job_Number",
                "reference": "Remark",
            },
            filters=(("Transaction_Type", "P"),),  # payments only, not adjustments
        ),
        ObjectQuery(
            records.POBill,
            "VN_GL_DISTRIBUTION_HEADER_MC",
            ("Vendor_Code", "Invoice_Number"),
            {
                "vendor_code": "Vendor_Code",
                "invoice_number": "Invoice_Number",
                "invoice_date": "Invoice_Date",
                "due_date": "Payment_Due_Date",
                "po_number": "PO_Number",
                "receipt_number": "Receipt_Number",
                "job_number": "Job_Number",
                "amount": "Invoice_Amount",
                "tax_amount": "Sales_Tax_Amount",
                "status": "Status",
            },
            non_empty=("PO_Number",),  # a PO bill is an AP invoice created from a PO receipt
        ),
        ObjectQuery(
            records.JobCost,
            "JC_PHASE_MASTER_MC",
            _PHASE_KEY,
            {
                **_PHASE_KEYS,
                "jtd_quantity": "JTD_Quantity",
                "jtd_hours": "JTD_Hours",
                "jtd_actual_dollars": "JTD_Actual_Dollars",
                "projected_dollars": "Projected_Dollars",
            },
        ),
        ObjectQuery(
            records.Budget,
            "JC_PHASE_MASTER_MC",
            _PHASE_KEY,
            {
                **_PHASE_KEYS,
                "original_estimated_dollars": "Original_Est_Cost",
                "current_estimated_dollars": "Current_Est_Cost",
                "estimated_hours": "Current_Est_Hours",
                "estimated_quantity": "Current_Est_Quantity",
            },
        ),
        ObjectQuery(
            records.PrimeContract,
            "CR_CONTRACT_MASTER_MC",
            ("Job_Number",),
            {
                "job_number": "Job_Number",
                "contract_number": "Contract_Number",
                "customer_code": "Customer_Code",
                "description": "Description",
                "original_contract_amount": "Original_Contract_Amount",
                "approved_change_orders": "Approved_Change_Orders",
                "revised_contract_amount": "Revised_Contract_Amount",
                "billed_to_date": "Billed_To_Date",
                "retention_percent": "Retention_Percent",
                "status": "Status",
            },
        ),
    )
}

OBJECT_TYPES: tuple[str, ...] = tuple(_QUERIES)


@dataclass(frozen=True)
class DocumentKind:
    """Where an exported document lands (the tables the web-service Puts write into)."""

    table: str
    key_aliases: Mapping[str, str]  # friendly key name -> column
    lines_table: str = ""
    lines_join: tuple[str, ...] = ()  # columns shared by header and lines (besides Company_Code)


# The natural keys the Put and REST services reject duplicates on (docs/spectrum.md#rules-per-service):
# AR invoice, AddJob, PO receiving, UpdateSubcontract, ARChangeOrder, WorkOrderHeader.
DOCUMENT_KINDS: dict[str, DocumentKind] = {
    "ar_invoice": DocumentKind(
        "CR_INVOICE_HEADER_MC",
        {"invoice_number": "Invoice_Or_Transaction", "customer_code": "Customer_Code"},
        "CR_INVOICE_DETAIL_MC",
        ("Invoice_Or_Transaction",),
    ),
    "job": DocumentKind("JC_JOB_MASTER_MC", {"job_number": "Job_Number"}),
    "po_receipt": DocumentKind(
        "PO_RECEIVING_HISTORY_MC", {"po_number": "PO_Number", "receipt_number": "Receipt_Number"}
    ),
    "subcontract": DocumentKind(
        "VN_SUBCONTRACT_MC",
        {"vendor_code": "Vendor_Code", "subcontract_number": "Subcontract_Number"},
        "VN_SUBCONTRACT_DETAIL_MC",
        ("Vendor_Code", "Subcontract_Number"),
    ),
    "ar_change_order": DocumentKind(
        "CR_CHANGE_ORDER_HEADER_MC",
        {"job_number": "Job_Number", "customer_code": "Customer_Code", "change_order_number": "Change_Order_Number"},
        "CR_CHANGE_ORDER_DETAIL_MC",
        ("Job_Number", "Customer_Code", "Change_Order_Number"),
    ),
    # A scheduled visit on a service contract (docs/spectrum.md#service-contract-visit-rest); the
    # table is our simulator's choice, no public name is known.
    "sc_visit": DocumentKind(
        "SC_CONTRACT_VISIT_MC",
        {"site_id": "Site_ID", "contract_number": "Contract_Number", "visit_date": "Visit_Date"},
    ),
    "work_order": DocumentKind(
        "WO_HEADER_MC",
        {
            "wo_number": "WO_Number",
            "customer_po_number": "Customer_PO_Number",
            "bill_customer_code": "Bill_Customer_Code",
        },
    ),
}

# Key columns Spectrum stores padded (docs/spectrum.md#access-model); lookups pad their parameters the same way.
_PADDING: dict[str, tuple[int, str]] = {
    "Company_Code": (3, "left"),
    "Customer_Code": (10, "left"),
    "Vendor_Code": (10, "left"),
    "Bill_Customer_Code": (10, "left"),
    "Job_Number": (10, "right"),
    "Phase_Code": (20, "left"),
    "Cost_Type": (3, "left"),
}


def padded(column: str, value: str) -> str:
    rule = _PADDING.get(column)
    if rule is None:
        return value
    width, justify = rule
    value = value.strip()
    return value.rjust(width) if justify == "right" else value.ljust(width)


_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
