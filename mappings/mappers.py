"""Pure functions that turn a platform document into the Spectrum calls that create it.

No I/O: each mapper takes the document (JSON-friendly, as the inbound API stored it), the tenant's
:class:`~mappings.rules.MappingRules` and what the mirror :class:`~mappings.rules.Known` says exists,
and returns a :class:`Mapped`: the exact calls (service + fields) and every problem found before
sending. Problems use Spectrum's own codes (docs/spectrum.md#replies-and-codes): ``M`` missing, ``I`` invalid, with the
Spectrum column, so an accountant reads one kind of error whichever side found it. A problem with a
``parent`` is a master record Spectrum does not have yet: the engine holds the document instead of
failing it.

Lengths and formats follow the services' field tables (docs/spectrum.md#services): codes that are too long
are refused (Spectrum would refuse them too), free text is cut to the column's length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from mappings.rules import Known, MappingNeed, MappingRules

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Problem:
    code: str  # "M" missing, "I" invalid (Spectrum's codes)
    message: str
    column: str = ""
    parent: tuple[str, str] | None = None  # (object_type, mirror key) of a missing master record
    need: MappingNeed | None = None  # a mapping row the tenant must add: the document waits for it

    def __str__(self) -> str:
        where = f" [{self.column}]" if self.column else ""
        return f"{self.code}: {self.message}{where}"


@dataclass(frozen=True)
class SpectrumCall:
    """One call: a SOAP Put (``rest`` False, one record) or a REST POST of one document."""

    service: str
    fields: dict[str, Any]
    rest: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "rest": self.rest, "fields": self.fields}


@dataclass
class Mapped:
    calls: list[SpectrumCall] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lookup_kind: str = ""  # SpectrumDatabase.find_document kind to reconcile an unknown outcome
    lookup_key: dict[str, str] = field(default_factory=dict)
    document_number: str = ""

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.parent is None and p.need is None]

    @property
    def mapping_needs(self) -> list[MappingNeed]:
        """Every mapping row the document still needs, once each, in line order."""
        return list(dict.fromkeys(p.need for p in self.problems if p.need is not None))

    @property
    def missing_parents(self) -> list[Problem]:
        return [p for p in self.problems if p.parent is not None]


# --- small converters --------------------------------------------------------------------------


def money(value: Any) -> Decimal:
    """A platform amount as Decimal; "" and None are zero."""
    if value in (None, ""):
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def spectrum_date(iso: str | None) -> str:
    """ISO date → Spectrum's MM/DD/CCYY (docs/spectrum.md#formats); "" stays ""."""
    if not iso:
        return ""
    d = date.fromisoformat(str(iso)[:10])
    return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"


def text(value: Any, max_length: int) -> str:
    """Free text cut to the column length (descriptions, remarks)."""
    return str(value or "").strip()[:max_length]


def number_fits(value: Decimal, max_length: int) -> bool:
    """Spectrum's Numeric max counts every character of the plain number (sign and point included)."""
    return len(f"{value:f}") <= max_length


def key_of(company: str, *parts: str) -> str:
    """The mirror's key of a Spectrum record: company and key fields joined with ``|``."""
    return "|".join((company, *parts))


class _Checker:
    """Collects problems while building fields."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems

    def code(self, value: Any, column: str, max_length: int, *, required: bool = False) -> str:
        result = str(value or "").strip()
        if not result:
            if required:
                self.problems.append(Problem("M", f"{column} is required", column))
            return ""
        if len(result) > max_length:
            self.problems.append(
                Problem("I", f"{column} {result!r} is longer than Spectrum's {max_length} characters", column)
            )
        return result

    def no_dashes(self, value: str, column: str) -> str:
        if "-" in value:
            self.problems.append(Problem("I", f"{column} {value!r} must be sent without dashes", column))
        return value

    def date(self, value: Any, column: str, known: Known, *, required: bool = False) -> str:
        if not value:
            if required:
                self.problems.append(Problem("M", f"{column} is required", column))
            return ""
        try:
            d = date.fromisoformat(str(value)[:10])
        except ValueError:
            self.problems.append(Problem("I", f"{column} {value!r} is not a date", column))
            return ""
        # Spectrum dates are MM/DD/CCYY; far-off years are typing mistakes, not plans.
        if abs(d.year - known.today.year) > 10:
            self.problems.append(Problem("I", f"{column} {d.isoformat()} is more than ten years away", column))
        return spectrum_date(d.isoformat())

    def amount(self, value: Decimal, column: str, max_length: int) -> Decimal:
        if not number_fits(value, max_length):
            self.problems.append(Problem("I", f"{column} {value} does not fit Spectrum's {max_length} digits", column))
        return value

    def parent(self, known: Known, object_type: str, key: str, column: str, label: str) -> None:
        if not known.has(object_type, key):
            self.problems.append(
                Problem(
                    "M", f"{label} {key.split('|', 1)[-1]!r} does not exist in Spectrum yet", column, (object_type, key)
                )
            )


def udf_fields(document: Mapping[str, Any], rules: MappingRules, document_type: str, check: _Checker) -> dict[str, str]:
    """UDF1…UDF20 from the document's custom_fields through the tenant's UDF configuration."""
    custom = document.get("custom_fields") or {}
    out: dict[str, str] = {}
    for rule in rules.udfs(document_type):
        value = str(custom.get(rule.platform_field, "") or "").strip()
        column = f"UDF{rule.slot}"
        if not value:
            if rule.required:
                check.problems.append(Problem("M", f"{rule.platform_field} is required for {column}", column))
            continue
        if len(value) > rule.max_length:
            check.problems.append(
                Problem(
                    "I",
                    f"{rule.platform_field} {value!r} is longer than {column}'s {rule.max_length} characters",
                    column,
                )
            )
        out[column] = value
    return out


def company_of(document: Mapping[str, Any], default_company: str) -> str:
    return str(document.get("company_code") or default_company).strip().upper()


# --- AR invoice ----------------------------------------------------------------------------------

REVENUE_KINDS = ("labor", "material")


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split ``total`` over ``weights`` in cents, proportionally; the rounding remainder goes to the
    largest weights first so the parts always add up to ``total`` exactly."""
    if not weights:
        return []
    total = cents(total)
    base = sum((abs(w) for w in weights), Decimal(0))
    if base == 0:
        parts = [Decimal(0)] * len(weights)
        parts[0] = total
        return parts
    raw = [total * abs(w) / base for w in weights]
    parts = [r.quantize(CENT, rounding="ROUND_DOWN") for r in raw]
    remainder = int((total - sum(parts, Decimal(0))) / CENT)
    order = sorted(range(len(weights)), key=lambda i: (raw[i] - parts[i], abs(weights[i])), reverse=True)
    step = CENT if remainder >= 0 else -CENT
    for i in range(abs(remainder)):
        parts[order[i % len(order)]] += step
    return parts


def invoice_tax(
    document: Mapping[str, Any], rules: MappingRules, known: Known, company: str
) -> tuple[str, Decimal | None]:
    """The tax code and percent: the job's when the invoice has a job, otherwise the invoice's own,
    otherwise the tenant's default for AR invoices. Percent None = let Spectrum take the rate history."""
    job = str(document.get("job_number") or "").strip()
    code = ""
    rate: Decimal | None = None
    if job and known.job_tax.get(key_of(company, job)):
        code = known.job_tax[key_of(company, job)]
        rate = known.tax_rates.get(key_of(company, code))
    else:
        code = str(document.get("tax_code") or "").strip()
        if document.get("tax_rate") not in (None, ""):
            rate = money(document.get("tax_rate"))
        elif code:
            rate = known.tax_rates.get(key_of(company, code))
    if not code and "ar_invoice" in rules.tax_defaults:
        default = rules.tax_defaults["ar_invoice"]
        code, rate = default.tax_code, default.rate if default.rate is not None else rate
    return code, rate


def map_ar_invoice(document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str) -> Mapped:
    """AR invoice → Multi-Line Customer Invoice (REST customer/invoice, docs/spectrum.md#customer-invoice-rest).

    Discount lines are spread over the labor and material lines (Spectrum takes positive line
    amounts only), tax goes to the header; a negative total becomes a credit memo (``C``) with
    positive amounts.
    """
    problems: list[Problem] = []
    check = _Checker(problems)
    company = company_of(document, default_company)
    invoice_number = check.code(document.get("invoice_number"), "Invoice_Or_Transaction", 10, required=True)
    customer = check.code(document.get("customer_code"), "Customer_Code", 10, required=True)
    job = check.code(document.get("job_number"), "Job_Number", 10)
    if customer:
        check.parent(known, "customer", key_of(company, customer), "Customer_Code", "Customer")
    if job:
        check.parent(known, "job", key_of(company, job), "Job_Number", "Job")
    invoice_date = check.date(document.get("invoice_date"), "Invoice_Date", known, required=True)
    gl_date = check.date(document.get("gl_date") or document.get("invoice_date"), "GL_Date", known, required=True)

    lines = list(document.get("lines") or [])
    revenue = [line for line in lines if line.get("kind") in REVENUE_KINDS]
    if not revenue:
        problems.append(Problem("M", "An invoice needs at least one labor or material line", "Line_Extension"))
    discount = sum((abs(money(line.get("amount"))) for line in lines if line.get("kind") == "discount"), Decimal(0))
    amounts = [cents(money(line.get("amount"))) for line in revenue]
    shares = allocate(discount, amounts)
    # A discount brings each line towards zero: it lowers an invoice and lowers a credit alike.
    net = [a - s if a >= 0 else a + s for a, s in zip(amounts, shares, strict=True)]
    subtotal = sum(net, Decimal(0))

    tax_code, rate = invoice_tax(document, rules, known, company)
    check.code(tax_code, "Sales_Tax_Code", 15)
    taxable_base = sum((n for n, line in zip(net, revenue, strict=True) if line.get("taxable", True)), Decimal(0))
    platform_tax = sum((money(line.get("amount")) for line in lines if line.get("kind") == "tax"), Decimal(0))
    tax = cents(taxable_base * rate / 100) if rate is not None else cents(platform_tax)
    credit = subtotal + tax < 0
    sign = Decimal(-1) if credit else Decimal(1)
    if any(n * sign < 0 for n in net):
        problems.append(
            Problem(
                "I",
                "Lines of opposite signs on one invoice: Spectrum takes positive amounts only; "
                "send the credit as its own credit memo",
                "Line_Extension",
            )
        )

    details = []
    for line, amount in zip(revenue, net, strict=True):
        department = str(line.get("department") or document.get("department") or "").strip().upper()
        rule = rules.gl_rule(department, str(line.get("kind")), company)
        if rule is None:
            problems.append(
                Problem(
                    "M",
                    f"No revenue GL account is mapped for {line.get('kind')} lines of department "
                    f"{department or '(none)'}; add a GL account mapping",
                    "GL_Account",
                    need=MappingNeed(company, department, str(line.get("kind"))),
                )
            )
        check.amount(amount * sign, "Line_Extension", 13)
        details.append(
            {
                "Quantity": float(money(line.get("quantity") or 0)),
                "Detail_Description": text(line.get("description"), 30),
                "Unit_Of_Measure": text(line.get("unit_of_measure"), 3),
                "Line_Extension": float(amount * sign),
                "GL_Account": rule.gl_account if rule else "",
                "Taxable_Flag": "Y" if line.get("taxable", True) else "N",
                "Income_Cost_Center": rule.cost_center if rule else "",
                "Message": "",
            }
        )
    check.amount(tax * sign, "Sales_Tax_Amount", 13)
    header: dict[str, Any] = {
        "Company_Code": company,
        "GL_Date": gl_date,
        "Batch_Code": check.code(
            document.get("batch_code") or (str(document.get("invoice_date") or "").replace("-", "")[:8]),
            "Batch_Code",
            10,
            required=True,
        ),
        "Customer_Code": customer,
        "Job_Number": job,
        "Invoice_Or_Transaction": invoice_number,
        "Transaction_Type": "C" if credit else "I",
        "Invoice_Date": invoice_date,
        "Terms_Code": check.code(document.get("terms_code"), "Terms_Code", 1),
        "Salesperson_Code": check.code(document.get("salesperson_code"), "Salesperson_Code", 3),
        "Sales_Tax_Code": tax_code,
        "Sales_Tax_Amount": float(tax * sign) if (rate is not None or platform_tax) else "",
        "Retention_Percent": 0,
        "Print_Job_Address_Flag": "",
        "Remarks": text(document.get("remarks"), 65),
        "Customer_PO": text(document.get("customer_po"), 25),
        "AR_GL_Account": "",
        "Retention_Amount": "",
        "VAT_Code": "",
        "Total_VAT_Amount": "",
        "Asset_Cost_Center": "",
        # No UDF elements exist on Spectrum's AR invoice services (docs/spectrum.md#customer-invoice-rest); the
        # completeness check refuses AR invoice UDF mappings instead of dropping them silently.
        "invoiceDetails": details,
    }
    # docs/spectrum.md#customer-invoice-rest
    return Mapped(
        calls=[SpectrumCall("customer/invoice", header, rest=True)],
        problems=problems,
        lookup_kind="ar_invoice",
        lookup_key={"customer_code": customer, "invoice_number": invoice_number},
        document_number=invoice_number,
    )


# --- Job -----------------------------------------------------------------------------------------


def _job_fields(document: Mapping[str, Any], check: _Checker, known: Known, company: str) -> dict[str, str]:
    job = check.code(document.get("job_number"), "Job_Number", 10, required=True)
    customer = check.code(document.get("customer_code"), "Customer_Code", 10)
    if customer:
        check.parent(known, "customer", key_of(company, customer), "Customer_Code", "Customer")
    price_method = str(document.get("price_method") or "F").upper()
    if price_method not in {"F", "T", "C", "U"}:
        check.problems.append(Problem("I", "Price_Method_Code must be F, T, C or U", "Price_Method_Code"))
    status = str(document.get("status") or "").upper()[:1]
    if status and status not in {"A", "I", "C"}:
        check.problems.append(Problem("I", "Status_Code must be A, I or C", "Status_Code"))
    contract = money(document.get("original_contract")) if document.get("original_contract") not in (None, "") else None
    if contract is not None:
        check.amount(contract, "Original_Contract", 14)
    est_start = check.date(document.get("est_start_date"), "Est_Start_Date", known)
    est_complete = check.date(document.get("est_complete_date"), "Est_Complete_Date", known)
    if est_start and est_complete and document["est_complete_date"] < document["est_start_date"]:
        check.problems.append(Problem("I", "Est_Complete_Date is before Est_Start_Date", "Est_Complete_Date"))
    return {
        "Company_Code": company,
        "Job_Number": job,
        "Job_Description": text(document.get("description"), 25),
        "Address_1": text(document.get("address_1"), 30),
        "Address_2": text(document.get("address_2"), 30),
        "City": text(document.get("city"), 25),
        "State": check.code(document.get("state"), "State", 2),
        "Zip_Code": check.code(document.get("zip_code"), "Zip_Code", 10),
        "Project_Manager": check.code(document.get("project_manager"), "Project_Manager", 15),
        "Customer_Code": customer,
        "Contract_Number": check.code(document.get("contract_number"), "Contract_Number", 30),
        "Tax_Class_Code": check.code(document.get("tax_class_code"), "Tax_Class_Code", 15),
        "Taxable_Flag": "Y" if document.get("taxable", True) else "N",
        "Price_Method_Code": price_method,
        "Est_Start_Date": est_start,
        "Est_Complete_Date": est_complete,
        "Original_Contract": f"{contract:f}" if contract is not None else "",
        "Cost_Center": check.code(document.get("cost_center"), "Cost_Center", 10),
        "Status_Code": status,
    }


def _phase_calls(document: Mapping[str, Any], check: _Checker, company: str, job: str) -> list[SpectrumCall]:
    calls = []
    for phase in document.get("phases") or []:
        phase_code = check.no_dashes(check.code(phase.get("phase_code"), "Phase_Code", 20, required=True), "Phase_Code")
        fields = {
            "Company_Code": company,
            "Job_Number": job,
            "Phase_Code": phase_code,
            "Description": text(phase.get("description"), 25),
            "Cost_Type": check.code(phase.get("cost_type"), "Cost_Type", 3, required=True),
            "Original_Est_Quantity": _num(phase.get("budget_quantity"), check, "Original_Est_Quantity", 11),
            "Unit_of_Measure": check.code(phase.get("unit_of_measure"), "Unit_of_Measure", 3),
            "Original_Est_Cost": _num(phase.get("budget_amount"), check, "Original_Est_Cost", 12),
            "Original_Est_Hours": _num(phase.get("budget_hours"), check, "Original_Est_Hours", 10),
            # "J" = take the job's price method (docs/spectrum.md#addphase).
            "Price_Method_Code": "J",
        }
        # docs/spectrum.md#addphase: creates or updates.
        calls.append(SpectrumCall("AddPhase", fields))
    return calls


def _num(value: Any, check: _Checker, column: str, max_length: int) -> str:
    if value in (None, ""):
        return ""
    return f"{check.amount(money(value), column, max_length):f}"


def map_job(document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str) -> Mapped:
    """Job → AddJob (new) or UpdateJob + UpdateJob_UDF (known to Spectrum), then AddPhase per phase."""
    problems: list[Problem] = []
    check = _Checker(problems)
    company = company_of(document, default_company)
    fields = _job_fields(document, check, known, company)
    udfs = udf_fields(document, rules, "job", check)
    job = fields["Job_Number"]
    calls: list[SpectrumCall]
    if known.job_exists_in_spectrum:
        # docs/spectrum.md#updatejob (no UDFs there) and docs/spectrum.md#updatejob_udf.
        calls = [SpectrumCall("UpdateJob", fields)]
        if udfs:
            calls.append(SpectrumCall("UpdateJob_UDF", {"Company_Code": company, "Job_Number": job, **udfs}))
    else:
        # docs/spectrum.md#addjob: UDF1…UDF20 are AddJob columns.
        calls = [SpectrumCall("AddJob", {**fields, **udfs})]
    calls.extend(_phase_calls(document, check, company, job))
    return Mapped(
        calls=calls,
        problems=problems,
        lookup_kind="job",
        lookup_key={"job_number": job},
        document_number=job,
    )


# --- PO receipt ----------------------------------------------------------------------------------


def map_po_receipt(document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str) -> Mapped:
    """PO receipt → Packing List Quantity Receipt, two-step (REST purchaseOrder/PackingList).

    Every PO must link to a JC job and every line to a cost type (phase and cost type), otherwise
    the receipt is refused before anything is sent.
    """
    problems: list[Problem] = []
    check = _Checker(problems)
    company = company_of(document, default_company)
    po_number = check.code(document.get("po_number"), "PO_Number", 10, required=True)
    receipt = check.code(document.get("receipt_number"), "Pack_List_Number", 15, required=True)
    job = str(document.get("job_number") or "").strip()
    if not job:
        problems.append(
            Problem("M", f"PO {po_number} is not linked to a JC job; link it to a job and export again", "Job_Number")
        )
    else:
        check.code(job, "Job_Number", 10)
        check.parent(known, "job", key_of(company, job), "Job_Number", "Job")
    receipt_date = check.date(document.get("receipt_date"), "Receipt_Date", known, required=True)
    # Our own receipt sequence (Receipt_Number, Text 3): with it a resend updates the same receipt
    # ("duplicate records ... will all be updated") and the receipt can be looked up.
    sequence = str(document.get("receipt_sequence") or "").strip()
    if not sequence.isdigit() or not 1 <= int(sequence) <= 999:
        problems.append(Problem("M", "receipt_sequence (1–999) is required", "Receipt_Number"))
        sequence = ""
    sequence = sequence.zfill(3) if sequence else ""
    lines = []
    for index, line in enumerate(document.get("lines") or [], start=1):
        line_no = str(line.get("po_line_number") or index).zfill(3)
        phase, cost_type = str(line.get("phase_code") or "").strip(), str(line.get("cost_type") or "").strip()
        if not (phase and cost_type):
            problems.append(
                Problem(
                    "M",
                    f"PO {po_number} line {line_no} has no cost type (phase and cost type); "
                    "assign one and export again",
                    "Cost_Type",
                )
            )
        elif job:
            check.parent(known, "cost_type", key_of(company, cost_type), "Cost_Type", "Cost type")
        quantity = money(line.get("quantity_received"))
        if quantity <= 0:
            problems.append(Problem("I", f"Line {line_no}: Quantity_Received must be positive", "Quantity_Received"))
        lines.append(
            {
                "Company_Code": company,
                "PO_Number": po_number,
                "Receipt_Number": sequence,
                "Pack_List_Number": receipt,
                "Receipt_Date": receipt_date,
                "Remarks": text(document.get("remarks"), 65),
                "PO_Line_Number": check.code(line_no, "PO_Line_Number", 3),
                "Item_Code": check.code(line.get("item_code"), "Item_Code", 15, required=True),
                "Quantity_Received": float(quantity),
            }
        )
    if not lines:
        problems.append(Problem("M", "A receipt needs at least one line", "PO_Line_Number"))
    # docs/spectrum.md#packing-list-receipt-rest: POST purchaseOrder/PackingList.
    return Mapped(
        calls=[SpectrumCall("purchaseOrder/PackingList", {"Company_Code": company, "lines": lines}, rest=True)],
        problems=problems,
        lookup_kind="po_receipt",
        lookup_key={"po_number": po_number, "receipt_number": sequence},
        document_number=f"{po_number}/{sequence}",
    )


# --- Service-agreement maintenance ----------------------------------------------------------------


def map_maintenance(document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str) -> Mapped:
    """A scheduled maintenance visit of a service agreement → WorkOrderHeader on the site.

    The agreement itself stays in the platform; only the scheduled visit becomes a work order
    under the agreement's service contract (docs/spectrum.md#workorderheader).
    """
    problems: list[Problem] = []
    check = _Checker(problems)
    company = company_of(document, default_company)
    if str(document.get("status") or "scheduled") != "scheduled":
        problems.append(Problem("I", "Only a scheduled maintenance is exported", "Dispatch_Status_Code"))
    wo = check.code(document.get("work_order_number"), "WO_Number", 10, required=True)
    customer = check.code(document.get("customer_code"), "Bill_Customer_Code", 10, required=True)
    if customer:
        check.parent(known, "customer", key_of(company, customer), "Bill_Customer_Code", "Customer")
    fields = {
        "Company_Code": company,
        "WO_Number": wo,
        "WO_Reference_Code": "S",
        "WO_Job_Number": check.code(document.get("site_id"), "WO_Job_Number", 10, required=True),
        "WO_Job_Division": check.code(document.get("work_order_type"), "WO_Job_Division", 5),
        "Bill_Customer_Code": customer,
        "Contract_Number": check.code(document.get("service_contract_number"), "Contract_Number", 10),
        "Customer_PO_Number": text(document.get("customer_po"), 25),
        "Price_Type": "F" if document.get("flat_price", True) else "T",
        "Summary_Description": text(document.get("description"), 250),
        "Requested_Date": check.date(document.get("requested_date"), "Requested_Date", known),
        "Scheduled_Start_Date": check.date(
            document.get("scheduled_date"), "Scheduled_Start_Date", known, required=True
        ),
    }
    # docs/spectrum.md#workorderheader: WO_Number given,
    # so a resend updates the same work order instead of creating another.
    return Mapped(
        calls=[SpectrumCall("WorkOrderHeader", fields)],
        problems=problems,
        lookup_kind="work_order",
        lookup_key={"wo_number": wo},
        document_number=wo,
    )


# --- Commitment (subcontract) ----------------------------------------------------------------------


def map_commitment(document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str) -> Mapped:
    """A platform PO or subcontract → Spectrum subcontract (UpdateSubcontract) with its phases
    (UpdateSubcontractPhases), both add-or-update by key, so a resend never doubles
    (docs/spectrum.md#updatesubcontract)."""
    problems: list[Problem] = []
    check = _Checker(problems)
    company = company_of(document, default_company)
    vendor = check.code(document.get("vendor_code"), "Vendor_Code", 10, required=True)
    number = check.code(document.get("commitment_number"), "Subcontract_Number", 10, required=True)
    job = check.code(document.get("job_number"), "Job_Number", 10, required=True)
    if vendor:
        check.parent(known, "vendor", key_of(company, vendor), "Vendor_Code", "Vendor")
    if job:
        check.parent(known, "job", key_of(company, job), "Job_Number", "Job")
    gl = str(document.get("gl_account") or "").replace("-", "")
    department = str(document.get("department") or "").strip().upper()
    if not gl:
        rule = rules.gl_rule(department, "commitment", company)
        gl = rule.gl_account if rule else ""
    if not gl:
        problems.append(
            Problem(
                "M",
                "No job-cost GL account for commitments; add a GL account mapping",
                "GL_Account",
                need=MappingNeed(company, department, "commitment"),
            )
        )
    lines = list(document.get("lines") or [])
    if not lines:
        problems.append(Problem("M", "A commitment needs at least one line", "Phase_Code"))
    first = lines[0] if lines else {}
    header = {
        "Company_Code": company,
        "Vendor_Code": vendor,
        "Subcontract_Number": number,
        "Job_Number": job,
        "Default_Phase_Code": str(first.get("phase_code") or ""),
        "Default_Cost_Type": str(first.get("cost_type") or ""),
        "Status_Code": "A",
        "Date_Issued": check.date(document.get("date_issued"), "Date_Issued", known),
        "Comment": text(document.get("description"), 120),
        "GL_Account": check.code(gl, "GL_Account", 12),
        "Retention_Percent": _num(document.get("retention_percent"), check, "Retention_Percent", 5),
    }
    # docs/spectrum.md#updatesubcontract
    calls = [SpectrumCall("UpdateSubcontract", header)]
    for line in lines:
        phase = check.no_dashes(check.code(line.get("phase_code"), "Phase_Code", 20, required=True), "Phase_Code")
        cost_type = check.code(line.get("cost_type"), "Cost_Type", 3, required=True)
        if job and phase and cost_type:
            check.parent(known, "phase", key_of(company, job, phase, cost_type), "Phase_Code", "Job phase")
        # docs/spectrum.md#updatesubcontractphases
        calls.append(
            SpectrumCall(
                "UpdateSubcontractPhases",
                {
                    "Company_Code": company,
                    "Vendor_Code": vendor,
                    "Subcontract_Number": number,
                    "Phase_Code": phase,
                    "Cost_Type": cost_type,
                    "Bill_Description": text(line.get("description"), 25),
                    "Unit_Of_Measure": check.code(line.get("unit_of_measure"), "Unit_Of_Measure", 3),
                    "Unit_Price": _num(line.get("unit_price"), check, "Unit_Price", 12),
                    "Original_Contract_Quantity": _num(line.get("quantity"), check, "Original_Contract_Quantity", 12),
                    "Original_Contract_Amount": _num(line.get("amount"), check, "Original_Contract_Amount", 13),
                },
            )
        )
    return Mapped(
        calls=calls,
        problems=problems,
        lookup_kind="subcontract",
        lookup_key={"vendor_code": vendor, "subcontract_number": number},
        document_number=number,
    )


# --- Prime contract change order ---------------------------------------------------------------------


def map_change_order(document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str) -> Mapped:
    """PCCO → ARChangeOrder, one record per line repeating the header (docs/spectrum.md#archangeorder)."""
    problems: list[Problem] = []
    check = _Checker(problems)
    company = company_of(document, default_company)
    job = check.code(document.get("job_number"), "Job_Number", 10, required=True)
    customer = check.code(document.get("customer_code"), "Customer_Code", 10, required=True)
    number = check.code(document.get("change_order_number"), "Change_Order_Number", 8, required=True)
    if job:
        check.parent(known, "job", key_of(company, job), "Job_Number", "Job")
    if customer:
        check.parent(known, "customer", key_of(company, customer), "Customer_Code", "Customer")
    header = {
        "Company_Code": company,
        "Job_Number": job,
        "Customer_Code": customer,
        "Change_Order_Number": number,
        "Description": text(document.get("description"), 250),
        "Status_Code": check.code(document.get("status_code") or "A", "Status_Code", 2),
        "Change_Order_Date": check.date(document.get("change_order_date"), "Change_Order_Date", known),
        "Approved_Date": check.date(document.get("approved_date"), "Approved_Date", known),
        "Fee_Percent": _num(document.get("fee_percent"), check, "Fee_Percent", 6),
        "Fee_Amount": _num(document.get("fee_amount"), check, "Fee_Amount", 14),
    }
    lines = list(document.get("lines") or [])
    if not lines:
        problems.append(Problem("M", "A change order needs at least one line", "Revenue"))
    calls = []
    for line in lines:
        # docs/spectrum.md#archangeorder
        calls.append(
            SpectrumCall(
                "ARChangeOrder",
                {
                    **header,
                    "CO_Billing_Item_Code": check.code(line.get("billing_item"), "CO_Billing_Item_Code", 10),
                    "Additional_Description": text(line.get("description"), 40),
                    "Unit_Price": _num(line.get("unit_price"), check, "Unit_Price", 11),
                    "Quantity": _num(line.get("quantity"), check, "Quantity", 11),
                    "Revenue": _num(line.get("amount"), check, "Revenue", 14),
                },
            )
        )
    return Mapped(
        calls=calls,
        problems=problems,
        lookup_kind="ar_change_order",
        lookup_key={"job_number": job, "customer_code": customer, "change_order_number": number},
        document_number=number,
    )


Mapper = Callable[[Mapping[str, Any], MappingRules, Known, str], Mapped]
