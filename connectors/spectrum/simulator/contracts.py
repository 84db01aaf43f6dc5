"""The simulator's Put services of subcontracts, customer change orders, work orders and service
contracts (docs/spectrum.md#updatesubcontract, #updatesubcontractphases, #archangeorder,
#workorderheader, #updateservicecontract). The record rules (percentages, dates in order, times,
levels) are checked before a handler by ``connectors/spectrum/rules.py``; here the store's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.spectrum.simulator import writes
from connectors.spectrum.simulator.checks import (
    Msg,
    PutContext,
    Result,
    check_customer,
    check_gl,
    check_gl_kind,
    check_job,
    check_phase,
    check_tax,
    check_vendor,
    exists,
    good,
    invalid,
    to_row,
    v,
)
from connectors.spectrum.simulator.store import trim


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
    problems += check_gl_kind(ctx, v(rec, "GL_Account"), "GL_Account", direct=True)
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
