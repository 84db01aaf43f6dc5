"""The Put services of the simulator: Spectrum's checks, then the write into the shared store.

Order of checks, as a Put reply reads (docs/spectrum.md#replies-and-codes,
docs/spectrum.md#rules-per-service): the layout (required, lengths, masks, allowed values: the same
function the client runs), then master-data existence and each service's documented rules
(docs/spectrum.md#services), then the write. A record with any ``I``/``M`` message writes nothing.
Success answers one ``G`` message naming the key Spectrum used or assigned (whether real Spectrum
answers ``G`` or nothing on a clean add is open, docs/spectrum.md#replies-and-codes).

Each handler returns ``(messages, natural_key)``; ``natural_key`` is set when something was written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.spectrum import layouts
from connectors.spectrum.errors import SpectrumMessage
from connectors.spectrum.simulator import writes
from connectors.spectrum.simulator.state import SimulatorState
from connectors.spectrum.simulator.store import Store, trim

Msg = SpectrumMessage
Result = tuple[list[Msg], str]


@dataclass
class PutContext:
    store: Store
    state: SimulatorState
    company: str


# ---------------------------------------------------------------------------------------------
# helpers


def invalid(column: str, text: str) -> Msg:
    return Msg("I", text, column)


def good(column: str, value: str) -> Msg:
    return Msg("G", value, column)


def number(value: Any) -> Decimal | None:
    text = layouts.as_text(value).strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def day(value: Any) -> date | None:
    return layouts.parse_date(layouts.as_text(value))


def to_row(store: Store, table: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Non-blank values of ``values`` that are columns of ``table``, converted to the column type."""
    spec = store.table(table)
    row: dict[str, Any] = {}
    for name, raw in values.items():
        text = layouts.as_text(raw).strip()
        if not text or name not in spec.column_names:
            continue
        kind = spec.column(name).kind
        if kind == "decimal":
            row[name] = number(text)
        elif kind == "date":
            row[name] = day(text)
        elif kind == "int":
            row[name] = int(Decimal(text))
        else:
            row[name] = text.upper() if name in _UPPER_KEYS else text
    return row


_UPPER_KEYS = {"Customer_Code", "Vendor_Code", "Job_Number", "Cost_Type", "Phase_Code"}


def exists(store: Store, table: str, **key: Any) -> dict[str, Any] | None:
    rows = store.find(table, **key)
    return rows[0] if rows else None


def v(rec: Mapping[str, Any], name: str) -> str:
    return layouts.as_text(rec.get(name, "")).strip()


def check_customer(ctx: PutContext, code: str, column: str = "Customer_Code") -> list[Msg]:
    if code and not exists(ctx.store, "CR_CUSTOMER_MASTER_MC", Company_Code=ctx.company, Customer_Code=code.upper()):
        return [invalid(column, f"{column} is invalid, customer {code} does not exist")]
    return []


def check_vendor(ctx: PutContext, code: str) -> list[Msg]:
    found = exists(ctx.store, "VN_VENDOR_MASTER_MC", Company_Code=ctx.company, Vendor_Code=code.upper())
    if not found:
        return [invalid("Vendor_Code", f"Vendor_Code is invalid, vendor {code} does not exist")]
    if found["Status"] == "N":
        return [invalid("Vendor_Code", f"Vendor_Code is invalid, vendor {code} is Not Used")]
    return []


def job_of(ctx: PutContext, job: str) -> dict[str, Any] | None:
    return exists(ctx.store, "JC_JOB_MASTER_MC", Company_Code=ctx.company, Job_Number=job.upper())


def check_job(ctx: PutContext, job: str, column: str = "Job_Number", *, open_only: bool = True) -> list[Msg]:
    if not job:
        return []
    found = job_of(ctx, job)
    if not found:
        return [invalid(column, f"{column} is invalid, job {job} does not exist")]
    if open_only and found["Status_Code"] == "C":
        return [invalid(column, f"{column} is invalid, job {job} is Complete")]
    return []


def check_tax(ctx: PutContext, code: str, column: str = "Sales_Tax_Code") -> list[Msg]:
    if code and not exists(ctx.store, "CR_SALES_TAX_MASTER_MC", Company_Code=ctx.company, Sales_Tax_Code=code.upper()):
        return [invalid(column, f"{column} is invalid, sales tax code {code} does not exist")]
    return []


def check_gl(ctx: PutContext, account: str, column: str) -> list[Msg]:
    if not account:
        return []
    if "-" in account:
        return [invalid(column, "GL Account does not match GL Mask")]  # no dashes (docs/spectrum.md#formats)
    found = exists(ctx.store, "GL_ACCOUNT_MASTER_MC", Company_Code=ctx.company, GL_Account=account)
    if not found or found["Status"] != "A":
        return [invalid(column, f"{column} is invalid, GL account {account} does not exist or is not active")]
    return []


def check_cost_type(ctx: PutContext, cost_type: str, column: str = "Cost_Type") -> list[Msg]:
    if cost_type and not exists(
        ctx.store, "JC_COST_TYPE_MASTER_MC", Company_Code=ctx.company, Cost_Type=cost_type.upper()
    ):
        return [invalid(column, f"{column} is invalid, cost type {cost_type} does not exist")]
    return []


def check_phase(ctx: PutContext, job: str, phase: str, cost_type: str) -> list[Msg]:
    if not (job and phase and cost_type):
        return []
    if not exists(
        ctx.store,
        "JC_PHASE_MASTER_MC",
        Company_Code=ctx.company,
        Job_Number=job.upper(),
        Phase_Code=phase.upper(),
        Cost_Type=cost_type.upper(),
    ):
        return [
            invalid("Phase_Code", f"Phase_Code is invalid, phase {phase} / {cost_type} does not exist on job {job}")
        ]
    return []


def check_ar_dates(ctx: PutContext, rec: Mapping[str, Any]) -> list[Msg]:
    low, high = ctx.state.ar_window()
    out = []
    for column in ("GL_Date", "Invoice_Date"):
        when = day(rec.get(column, ""))
        if when and not (low <= when <= high):
            out.append(invalid(column, f"{column} is invalid, date is outside the AR processing date range"))
    return out


def check_positive(rec: Mapping[str, Any], *columns: str) -> list[Msg]:
    out = []
    for column in columns:
        amount = number(rec.get(column, ""))
        if amount is not None and amount < 0:
            out.append(invalid(column, f"{column} is invalid, amount must be positive"))
    return out


# ---------------------------------------------------------------------------------------------
# SOAP Put services


def add_job(ctx: PutContext, rec: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#addjob
    job = v(rec, "Job_Number").upper()
    problems = []
    if job_of(ctx, job):
        problems.append(invalid("Job_Number", f"Job_Number is invalid, job {job} already exists"))
    problems += check_customer(ctx, v(rec, "Customer_Code"))
    problems += check_tax(ctx, v(rec, "Tax_Class_Code"), "Tax_Class_Code")
    start, done = day(rec.get("Start_Date", "")), day(rec.get("Complete_Date", ""))
    if start and done and done < start:
        problems.append(invalid("Complete_Date", "Complete_Date is invalid, it is before Start_Date"))
    if problems:
        return problems, ""
    row = to_row(ctx.store, "JC_JOB_MASTER_MC", rec)
    row.update(Company_Code=ctx.company, Job_Number=job)
    row.setdefault("Status_Code", "A")
    row.setdefault("Create_Date", ctx.state.today())
    with ctx.store.transaction():
        writes.insert(ctx.store, "JC_JOB_MASTER_MC", row)
        udfs = to_row(ctx.store, "JC_JOB_UDF_MC", {k: rec.get(k, "") for k in (f"UDF{i}" for i in range(1, 21))})
        if udfs:
            writes.insert(ctx.store, "JC_JOB_UDF_MC", {"Company_Code": ctx.company, "Job_Number": job, **udfs})
        if v(rec, "Customer_Code"):
            # "if Customer_Code is given an AR contract is created" (docs/spectrum.md#addjob)
            writes.insert(
                ctx.store,
                "CR_CONTRACT_MASTER_MC",
                {
                    "Company_Code": ctx.company,
                    "Job_Number": job,
                    "Customer_Code": v(rec, "Customer_Code").upper(),
                    "Contract_Number": v(rec, "Contract_Number") or job,
                    "Description": v(rec, "Job_Description"),
                    "Original_Contract_Amount": number(rec.get("Original_Contract", "")),
                    "Status": "A",
                },
            )
    return [good("Job_Number", job)], f"{ctx.company}|{job}"


def update_job(ctx: PutContext, rec: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#updatejob: blank = unchanged
    job = v(rec, "Job_Number").upper()
    if not job_of(ctx, job):
        return [invalid("Job_Number", f"Job_Number is invalid, job {job} does not exist")], ""
    problems = check_customer(ctx, v(rec, "Customer_Code")) + check_tax(ctx, v(rec, "Tax_Class_Code"), "Tax_Class_Code")
    if problems:
        return problems, ""
    changes = to_row(ctx.store, "JC_JOB_MASTER_MC", rec)
    changes.pop("Company_Code", None)
    changes.pop("Job_Number", None)
    if changes.get("Status_Code") == "C" and "Complete_Date" not in changes:
        changes["Complete_Date"] = ctx.state.today()  # defaults to the JC processing date
    messages = [good("Job_Number", job)]
    with ctx.store.transaction():
        if changes:
            writes.update(ctx.store, "JC_JOB_MASTER_MC", {"Company_Code": ctx.company, "Job_Number": job}, changes)
        messages += _job_contract(ctx, job, v(rec, "Customer_Code").upper(), rec)
    return messages, f"{ctx.company}|{job}"


def _job_contract(ctx: PutContext, job: str, customer: str, rec: Mapping[str, Any]) -> list[Msg]:
    """UpdateJob creates the AR contract for a newly given customer but never changes an existing
    one, saying so (docs/spectrum.md#updatejob; the message's code and words are ours: W, it is not an error)."""
    if not customer:
        return []
    contract = ctx.store.get("CR_CONTRACT_MASTER_MC", {"Company_Code": ctx.company, "Job_Number": job})
    if contract is None:
        writes.insert(
            ctx.store,
            "CR_CONTRACT_MASTER_MC",
            {
                "Company_Code": ctx.company,
                "Job_Number": job,
                "Customer_Code": customer,
                "Contract_Number": v(rec, "Contract_Number") or job,
                "Status": "A",
            },
        )
        return []
    if trim(contract["Customer_Code"]) != customer:
        return [Msg("W", "The AR contract of the job exists and cannot be changed", "Customer_Code")]
    return []


def _update_udfs(ctx: PutContext, table: str, key: dict[str, str], rec: Mapping[str, Any]) -> None:
    udfs = to_row(ctx.store, table, {f"UDF{i}": rec.get(f"UDF{i}", "") for i in range(1, 21)})
    if udfs:  # blank UDFs are left alone; nothing is deleted (docs/spectrum.md#formats)
        writes.upsert(ctx.store, table, {**key, **udfs})


def update_job_udf(ctx: PutContext, rec: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#updatejob_udf
    job = v(rec, "Job_Number").upper()
    if not job_of(ctx, job):
        return [invalid("Job_Number", f"Job_Number is invalid, job {job} does not exist")], ""
    _update_udfs(ctx, "JC_JOB_UDF_MC", {"Company_Code": ctx.company, "Job_Number": job}, rec)
    return [good("Job_Number", job)], f"{ctx.company}|{job}"


def update_customer_udf(ctx: PutContext, rec: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#updatecustomer_udf
    customer = v(rec, "Customer_Code").upper()
    problems = check_customer(ctx, customer)
    if problems:
        return problems, ""
    _update_udfs(ctx, "CR_CUSTOMER_UDF_MC", {"Company_Code": ctx.company, "Customer_Code": customer}, rec)
    return [good("Customer_Code", customer)], f"{ctx.company}|{customer}"


def add_phase(ctx: PutContext, rec: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#addphase: creates or updates; not on Complete jobs; new rows need a Description
    job, phase, cost_type = (v(rec, n).upper() for n in ("Job_Number", "Phase_Code", "Cost_Type"))
    problems = check_job(ctx, job) + check_cost_type(ctx, cost_type)
    if "-" in phase:
        problems.append(invalid("Phase_Code", "Phase_Code is invalid, value does not match specified field mask"))
    key = {"Company_Code": ctx.company, "Job_Number": job, "Phase_Code": phase, "Cost_Type": cost_type}
    existing = ctx.store.get("JC_PHASE_MASTER_MC", key) if not problems else None
    if not problems and existing is None and not v(rec, "Description"):
        problems.append(Msg("M", "Description is missing, required for a new phase", "Description"))
    if problems:
        return problems, ""
    row = to_row(ctx.store, "JC_PHASE_MASTER_MC", rec)
    if "Phase_Cost_Center" in rec and v(rec, "Phase_Cost_Center"):
        row["Cost_Center"] = v(rec, "Phase_Cost_Center")
    for original, current in (
        ("Original_Est_Cost", "Current_Est_Cost"),
        ("Original_Est_Hours", "Current_Est_Hours"),
        ("Original_Est_Quantity", "Current_Est_Quantity"),
    ):
        if original in row and current not in row and existing is None:
            row[current] = row[original]  # the original estimate seeds the current one (docs/spectrum.md#addphase)
    row.update(key)
    if existing is None:
        row.setdefault("Status_Code", "A")
    writes.upsert(ctx.store, "JC_PHASE_MASTER_MC", row)
    return [good("Phase_Code", phase)], f"{ctx.company}|{job}|{phase}|{cost_type}"


def _ar_invoice_checks(ctx: PutContext, rec: Mapping[str, Any]) -> list[Msg]:
    number_ = v(rec, "Invoice_Or_Transaction")
    problems = check_customer(ctx, v(rec, "Customer_Code")) + check_job(ctx, v(rec, "Job_Number"))
    problems += check_tax(ctx, v(rec, "Sales_Tax_Code"))
    problems += check_gl(ctx, v(rec, "AR_GL_Account"), "AR_GL_Account")
    problems += check_ar_dates(ctx, rec)
    problems += check_positive(rec, "Sales_Tax_Amount", "Retention_Amount")
    if exists(ctx.store, "CR_INVOICE_HEADER_MC", Company_Code=ctx.company, Invoice_Or_Transaction=number_):
        # "Invoice number must be unique (no duplicates)" (docs/spectrum.md#addarinvoice)
        problems.append(invalid("Invoice_Or_Transaction", f"Invoice_Or_Transaction {number_} already exists"))
    return problems


def _ar_header(ctx: PutContext, rec: Mapping[str, Any], total: Decimal) -> dict[str, Any]:
    header = to_row(ctx.store, "CR_INVOICE_HEADER_MC", rec)
    header.update(Company_Code=ctx.company, Invoice_Extension=total, Posted_Flag="N")
    return header


def add_ar_invoice(ctx: PutContext, rec: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#addarinvoice: one detail line per header record; lands unposted
    problems = _ar_invoice_checks(ctx, rec) + check_positive(rec, "Line_Extension")
    problems += check_gl(ctx, v(rec, "GL_Account"), "GL_Account")
    if problems:
        return problems, ""
    number_ = v(rec, "Invoice_Or_Transaction")
    line = number(rec.get("Line_Extension", "")) or Decimal(0)
    with ctx.store.transaction():
        writes.insert(ctx.store, "CR_INVOICE_HEADER_MC", _ar_header(ctx, rec, line))
        detail = to_row(ctx.store, "CR_INVOICE_DETAIL_MC", rec)
        detail.update(Company_Code=ctx.company, Invoice_Or_Transaction=number_, Line_Number=1)
        writes.insert(ctx.store, "CR_INVOICE_DETAIL_MC", detail)
    return [good("Invoice_Or_Transaction", number_)], f"{ctx.company}|{number_}"


def update_subcontract(ctx: PutContext, rec: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#updatesubcontract: add or update; new ones need Job_Number and GL_Account
    vendor, number_ = v(rec, "Vendor_Code").upper(), v(rec, "Subcontract_Number")
    key = {"Company_Code": ctx.company, "Vendor_Code": vendor, "Subcontract_Number": number_}
    problems = check_vendor(ctx, vendor)
    existing = ctx.store.get("VN_SUBCONTRACT_MC", key)
    if existing is None:
        for column in ("Job_Number", "GL_Account"):
            if not v(rec, column):
                problems.append(Msg("M", f"{column} is missing, required for a new subcontract", column))
    elif v(rec, "Job_Number") and trim(existing["Job_Number"]) != v(rec, "Job_Number").upper():
        problems.append(invalid("Job_Number", "Job_Number is invalid, the job of a subcontract cannot be changed"))
    problems += check_job(ctx, v(rec, "Job_Number")) + check_gl(ctx, v(rec, "GL_Account"), "GL_Account")
    if problems:
        return problems, ""
    row = {**to_row(ctx.store, "VN_SUBCONTRACT_MC", rec), **key}
    if existing is None:
        row.setdefault("Status_Code", "A")
        row.setdefault("Date_Issued", ctx.state.today())
    writes.upsert(ctx.store, "VN_SUBCONTRACT_MC", row)
    return [good("Subcontract_Number", number_)], f"{ctx.company}|{vendor}|{number_}"


def update_subcontract_phases(ctx: PutContext, rec: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#updatesubcontractphases: phase / cost type default from the header
    vendor, number_ = v(rec, "Vendor_Code").upper(), v(rec, "Subcontract_Number")
    header = exists(
        ctx.store, "VN_SUBCONTRACT_MC", Company_Code=ctx.company, Vendor_Code=vendor, Subcontract_Number=number_
    )
    if header is None:
        return [invalid("Subcontract_Number", f"Subcontract_Number {number_} does not exist for vendor {vendor}")], ""
    phase = v(rec, "Phase_Code").upper() or (header["Default_Phase_Code"] or "")
    cost_type = v(rec, "Cost_Type").upper() or (header["Default_Cost_Type"] or "")
    problems = check_phase(ctx, header["Job_Number"], phase, cost_type)
    if not phase or not cost_type:
        problems.append(Msg("M", "Phase_Code is missing and the subcontract has no default phase", "Phase_Code"))
    if problems:
        return problems, ""
    row = to_row(ctx.store, "VN_SUBCONTRACT_DETAIL_MC", rec)
    row.update(
        Company_Code=ctx.company,
        Vendor_Code=vendor,
        Subcontract_Number=number_,
        Phase_Code=phase,
        Cost_Type=cost_type,
        Bid_Item_Number=v(rec, "Bid_Item_Number"),
    )
    writes.upsert(ctx.store, "VN_SUBCONTRACT_DETAIL_MC", row)
    bid = v(rec, "Bid_Item_Number")
    return [good("Phase_Code", phase)], f"{ctx.company}|{vendor}|{number_}|{phase}|{cost_type}|{bid}"


def ar_change_order(ctx: PutContext, rec: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#archangeorder: add or update by (job, customer, CO number); lines append
    job, customer = v(rec, "Job_Number").upper(), v(rec, "Customer_Code").upper()
    problems = check_job(ctx, job) + check_customer(ctx, customer)
    if problems:
        return problems, ""
    number_ = v(rec, "Change_Order_Number")
    key = {"Company_Code": ctx.company, "Job_Number": job, "Customer_Code": customer}
    existing = ctx.store.get("CR_CHANGE_ORDER_HEADER_MC", {**key, "Change_Order_Number": number_}) if number_ else None
    if existing is None and not v(rec, "Status_Code"):
        return [Msg("M", "Status_Code is missing, required for a new change order", "Status_Code")], ""
    with ctx.store.transaction():
        if not number_:
            number_ = ctx.store.next_number("CR_CHANGE_ORDER_HEADER_MC", "Change_Order_Number", ctx.company)
        header = {**to_row(ctx.store, "CR_CHANGE_ORDER_HEADER_MC", rec), **key, "Change_Order_Number": number_}
        if existing is None:
            header.setdefault("Change_Order_Date", ctx.state.today())
        writes.upsert(ctx.store, "CR_CHANGE_ORDER_HEADER_MC", header)
        detail = to_row(ctx.store, "CR_CHANGE_ORDER_DETAIL_MC", rec)
        if any(k in detail for k in ("Revenue", "Unit_Price", "Quantity", "CO_Billing_Item_Code")):
            lines = ctx.store.find("CR_CHANGE_ORDER_DETAIL_MC", **key, Change_Order_Number=number_)
            detail.update(key, Change_Order_Number=number_, Line_Number=len(lines) + 1)
            writes.insert(ctx.store, "CR_CHANGE_ORDER_DETAIL_MC", detail)
    return [good("Change_Order_Number", number_)], f"{ctx.company}|{job}|{customer}|{number_}"


def work_order_header(ctx: PutContext, rec: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#workorderheader: blank WO_Number = next number; blank fields unchanged on update
    number_ = v(rec, "WO_Number")
    existing = exists(ctx.store, "WO_HEADER_MC", Company_Code=ctx.company, WO_Number=number_) if number_ else None
    problems: list[Msg] = []
    if existing is None:
        for column in ("Bill_Customer_Code", "WO_Job_Division"):
            if not v(rec, column):
                problems.append(Msg("M", f"{column} is missing, required for a new work order", column))
    if v(rec, "WO_Reference_Code").upper() == "J":
        problems += check_job(ctx, v(rec, "WO_Job_Number"), "WO_Job_Number")
    problems += check_customer(ctx, v(rec, "Bill_Customer_Code"), "Bill_Customer_Code")
    problems += check_tax(ctx, v(rec, "Sales_Tax_Code"))
    if problems:
        return problems, ""
    with ctx.store.transaction():
        if not number_:
            number_ = ctx.store.next_number("WO_HEADER_MC", "WO_Number", ctx.company, start=10001)
        row = {**to_row(ctx.store, "WO_HEADER_MC", rec), "Company_Code": ctx.company, "WO_Number": number_}
        writes.upsert(ctx.store, "WO_HEADER_MC", row)
    return [good("WO_Number", number_)], f"{ctx.company}|{number_}"


def update_service_contract(ctx: PutContext, rec: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#updateservicecontract: Create_New=Y creates (no duplicates), else updates
    site, number_ = v(rec, "Site_ID"), v(rec, "Contract_Number")
    key = {"Company_Code": ctx.company, "Site_ID": site, "Contract_Number": number_}
    existing = ctx.store.get("SC_CONTRACT_MC", key)
    problems: list[Msg] = []
    if v(rec, "Create_New").upper() == "Y":
        if existing is not None:
            problems.append(invalid("Contract_Number", f"Contract_Number {number_} already exists for site {site}"))
        for column in ("Description", "Contract_Type", "WO_Type", "Customer_Code"):
            if not v(rec, column):
                problems.append(Msg("M", f"{column} is missing, required for a new service contract", column))
    elif existing is None:
        problems.append(invalid("Contract_Number", f"Contract_Number {number_} does not exist for site {site}"))
    problems += check_customer(ctx, v(rec, "Customer_Code")) + check_tax(ctx, v(rec, "Sales_Tax_Code"))
    if problems:
        return problems, ""
    row = {**to_row(ctx.store, "SC_CONTRACT_MC", rec), **key}
    if existing is None:
        row.setdefault("Basis", "B")
        row.setdefault("Status", "A")
    writes.upsert(ctx.store, "SC_CONTRACT_MC", row)
    return [good("Contract_Number", number_)], f"{ctx.company}|{site}|{number_}"


PUTS: dict[str, Callable[[PutContext, Mapping[str, Any]], Result]] = {
    "AddJob": add_job,
    "UpdateJob": update_job,
    "UpdateJob_UDF": update_job_udf,
    "AddPhase": add_phase,
    "AddARInvoice": add_ar_invoice,
    "UpdateSubcontract": update_subcontract,
    "UpdateSubcontractPhases": update_subcontract_phases,
    "ARChangeOrder": ar_change_order,
    "WorkOrderHeader": work_order_header,
    "UpdateServiceContract": update_service_contract,
    "UpdateCustomer_UDF": update_customer_udf,
}
