"""The Put services of the simulator: Spectrum's checks, then the write into the shared store.

Order of checks, as a Put reply reads (docs/spectrum.md#replies-and-codes,
docs/spectrum.md#rules-per-service): the layout (required, lengths, masks, allowed values: the same
function the client runs) and the record rules of ``connectors/spectrum/rules.py``
(docs/spectrum.md#rules-by-page), both run by the server before a handler; then master-data
existence and each service's documented rules (docs/spectrum.md#services), then the write. A record
with any ``I``/``M`` message writes nothing. Success answers one ``G`` message naming the key
Spectrum used or assigned (whether real Spectrum answers ``G`` or nothing on a clean add is open,
docs/spectrum.md#replies-and-codes).

Each handler returns ``(messages, natural_key)``; ``natural_key`` is set when something was written.
Jobs, phases, AR invoices and customer UDFs are here; subcontracts, change orders, work orders and
service contracts in ``contracts.py``; the store checks in ``checks.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from connectors.spectrum.simulator import udfs, writes
from connectors.spectrum.simulator.checks import (
    Msg,
    PutContext,
    Result,
    check_ar_dates,
    check_cost_type,
    check_customer,
    check_gl,
    check_gl_kind,
    check_job,
    check_positive,
    check_tax,
    check_vendor,
    day,
    exists,
    good,
    invalid,
    job_of,
    number,
    to_row,
    v,
)
from connectors.spectrum.simulator.contracts import (
    ar_change_order,
    update_service_contract,
    update_subcontract,
    update_subcontract_phases,
    work_order_header,
)
from connectors.spectrum.simulator.store import trim

# Names simulator/rest.py takes from here.
__all__ = [
    "PUTS",
    "Msg",
    "PutContext",
    "Result",
    "_ar_header",
    "_ar_invoice_checks",
    "check_cost_type",
    "check_gl",
    "check_job",
    "check_positive",
    "check_vendor",
    "day",
    "exists",
    "good",
    "invalid",
    "number",
    "to_row",
    "v",
]


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
    problems = check_job(ctx, job) + check_cost_type(ctx, cost_type)  # the phase mask: rules.py
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
    problems += check_gl_kind(ctx, v(rec, "AR_GL_Account"), "AR_GL_Account", direct=False)
    for line in rec.get("invoiceDetails") or ():
        if isinstance(line, Mapping):  # customer/invoice: the revenue account of each line
            problems += check_gl_kind(ctx, v(line, "GL_Account"), "GL_Account", direct=False)
    problems += check_ar_dates(ctx, rec)  # positive amounts and percentages: rules.py
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
    problems = _ar_invoice_checks(ctx, rec) + check_gl(ctx, v(rec, "GL_Account"), "GL_Account")
    problems += check_gl_kind(ctx, v(rec, "GL_Account"), "GL_Account", direct=False)
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
    # The UDF-only services of phases, subcontracts, work orders and service contracts (udfs.py)
    **udfs.PUTS,
}
