"""The Get services of the simulator: rows from the shared store, shaped as the help pages' return
layouts (docs/spectrum.md#services), filtered with SuperSelect, in the documented sort orders.

Rows are read in pages (the store's lock is released between pages), so a 100k-customer answer
streams without holding the store or the whole list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from connectors.spectrum.layouts import ERROR_RETURNS, GET_JOB, GET_JOB_MAIN, Layout
from connectors.spectrum.simulator.store import Store, pad
from connectors.spectrum.simulator.superselect import exact, matches

PAGE = 2000
Row = dict[str, str]

_STATUS_WORDS = {"A": "Active", "I": "Inactive", "N": "Not Used"}
_TAXABLE_WORDS = {"Y": "Taxable", "N": "Non-Taxable"}


def text(value: Any) -> str:
    """Store value → Get text: trimmed, dates M/D/YYYY (docs/spectrum.md#formats), NULL as ""."""
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value.month}/{value.day}/{value.year}"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value).strip()


def paged(store: Store, table: str, company: str, order: str) -> Iterator[dict[str, Any]]:
    """Every row of ``company`` in ``table``, page by page (identifiers come from our own code)."""
    offset = 0
    while True:
        rows = store.query(
            f"SELECT * FROM {table} WHERE Company_Code = ? ORDER BY {order} LIMIT {PAGE} OFFSET {offset}",  # noqa: S608
            [pad("Company_Code", company)],
        )
        yield from rows
        if len(rows) < PAGE:
            return
        offset += PAGE


def customers(store: Store, company: str, p: Mapping[str, str]) -> Iterator[Row]:
    # docs/spectrum.md#getcustomers: pStatus blank = Active, I = Active + Inactive, ALL = all
    status = p.get("pStatus", "").strip().upper()
    wanted = {"": ("A",), "I": ("A", "I")}.get(status, ("A", "I", "N"))
    for r in paged(store, "CR_CUSTOMER_MASTER_MC", company, "Customer_Code"):
        if text(r["Status"]) not in wanted:
            continue
        yield {
            "Company_Code": text(r["Company_Code"]),
            "Customer_Code": text(r["Customer_Code"]),
            "Name": text(r["Name"]),
            "Address_1": text(r["Address_1"]),
            "Address_2": text(r["Address_2"]),
            "City": text(r["City"]),
            "State": text(r["State"]),
            "Zip_Code": text(r["Zip_Code"]),
            "First_Name": text(r["Contact_First_Name"]),
            "Last_Name": text(r["Contact_Last_Name"]),
            "Phone_Number": text(r["Contact_Phone"]),
            "Email1": text(r["Customer_Email"]),
            "Price_Level_Material": text(r["Price_Level_Material"]),
            "Taxable_Flag": _TAXABLE_WORDS.get(text(r["Taxable_Flag"]), "No Default"),
            "Status": _STATUS_WORDS.get(text(r["Status"]), text(r["Status"])),
        }


def vendor_row(r: Mapping[str, Any]) -> Row:
    return {
        "Company_Code": text(r["Company_Code"]),
        "Vendor_Code": text(r["Vendor_Code"]),
        "Name": text(r["Name"]),
        "Address_1": text(r["Address_1"]),
        "Address_2": text(r["Address_2"]),
        "City": text(r["City"]),
        "State": text(r["State"]),
        "Zip_Code": text(r["Zip_Code"]),
        "First_Name": text(r["Contact_First_Name"]),
        "Last_Name": text(r["Contact_Last_Name"]),
        "Phone_Number": text(r["Phone"]),
        "Email": text(r["Vendor_Email"]),
        "Account_Reference": text(r["Our_Account_Number"]),
        "Payment_Terms": text(r["Terms_Code"]),
        "Payment_Term_Days": text(r["Terms_Days"]),
        "Discount_Terms": text(r["Terms_Disc_Code"]),
        "Discount_Term_Days": text(r["Terms_Disc_Days"]),
        "Discount_Percent": text(r["Terms_Disc_Percent"]),
        "Type": text(r["Type"]),
        "Status": _STATUS_WORDS.get(text(r["Status"]), text(r["Status"])),
    }


def vendors(store: Store, company: str, p: Mapping[str, str], *, active_only: bool = False) -> Iterator[Row]:
    # docs/spectrum.md#get-vendors-rest (REST: active vendors only); docs/spectrum.md#getvendors (SOAP: all
    # statuses, our assumption, the page is REST's)
    for r in paged(store, "VN_VENDOR_MASTER_MC", company, "Vendor_Code"):
        if active_only and text(r["Status"]) != "A":
            continue
        if not (
            matches(text(r["Type"]), p.get("pType", ""))
            and matches(text(r["City"]), p.get("pCity", ""))
            and matches(text(r["State"]), p.get("pState", ""))
            and matches(text(r["Name"]), p.get("pName", ""))
            and _cost_center_ok(text(r["Cost_Center"]), p.get("pCostCenter", ""))
        ):
            continue
        yield vendor_row(r)


def _cost_center_ok(value: str, selection: str) -> bool:
    return selection.strip().upper() == "ALL" or exact(value, selection)


def _job_selected(r: Mapping[str, Any], p: Mapping[str, str]) -> bool:
    status = p.get("pStatus_Code", "").strip().upper()
    job_status = text(r["Status_Code"])
    if (status and job_status != status) or (not status and job_status not in ("A", "I")):
        return False  # blank = Active + Inactive; Complete only when asked (docs/spectrum.md#field-conventions)
    return (
        matches(text(r["Division"]), p.get("pDivision", ""))
        and matches(text(r["Project_Manager"]), p.get("pProject_Manager", ""))
        and matches(text(r["Superintendent"]), p.get("pSuperintendent", ""))
        and matches(text(r["Estimator"]), p.get("pEstimator", ""))
        and matches(text(r["Customer_Code"]), p.get("pCustomer_Code", ""))
        and exact(text(r["Cost_Center"]), p.get("pCost_Center", ""))
    )


_JOB_SORTS = {
    "D": "Division",
    "P": "Project_Manager",
    "S": "Superintendent",
    "E": "Estimator",
    "C": "Customer_Code",
}


def _jobs(store: Store, company: str, p: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    sort = _JOB_SORTS.get(p.get("pSort_By", "").strip().upper())
    order = f"{sort}, Job_Number" if sort else "Job_Number"
    for r in paged(store, "JC_JOB_MASTER_MC", company, order):
        if _job_selected(r, p):
            yield r


def _returned_fields(layout: Layout) -> tuple[str, ...]:
    """The data fields a Get layout declares, in its documented order (the Error_* trio aside)."""
    return tuple(name for name in layout.returns if name not in ERROR_RETURNS)


def jobs(store: Store, company: str, p: Mapping[str, str]) -> Iterator[Row]:
    # docs/spectrum.md#getjob
    fields = _returned_fields(GET_JOB)
    for r in _jobs(store, company, p):
        yield {name: text(r.get(name)) for name in fields}


def jobs_main(store: Store, company: str, p: Mapping[str, str]) -> Iterator[Row]:
    # docs/spectrum.md#getjobmain (columns the store does not keep come back empty)
    names = {
        text(c["Customer_Code"]): text(c["Name"])
        for c in paged(store, "CR_CUSTOMER_MASTER_MC", company, "Customer_Code")
    }
    fields = _returned_fields(GET_JOB_MAIN)
    for r in _jobs(store, company, p):
        row = {name: text(r.get(name)) for name in fields}
        row["Customer_Name"] = names.get(row["Customer_Code"], "")
        yield row


def jobs_udf(store: Store, company: str, p: Mapping[str, str]) -> Iterator[Row]:
    # docs/spectrum.md#getjobudf
    udfs = {text(u["Job_Number"]): u for u in paged(store, "JC_JOB_UDF_MC", company, "Job_Number")}
    for r in _jobs(store, company, p):
        job = text(r["Job_Number"])
        u = udfs.get(job, {})
        yield {"Company_Code": company, "Job_Number": job, **{f"UDF{i}": text(u.get(f"UDF{i}")) for i in range(1, 21)}}


def _phase_rows(store: Store, company: str, p: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    sort_by_cost_type = p.get("pSort_By", "").strip().upper() == "C"
    order = "Cost_Type, Job_Number, Phase_Code" if sort_by_cost_type else "Job_Number, Phase_Code, Cost_Type"
    status = p.get("pStatus_Code", "").strip().upper()
    for r in paged(store, "JC_PHASE_MASTER_MC", company, order):
        phase_status = text(r["Status_Code"])
        if (status and phase_status != status) or (not status and phase_status not in ("A", "I")):
            continue
        if not (
            matches(text(r["Job_Number"]), p.get("pJob_Number", ""))
            and matches(text(r["Cost_Type"]), p.get("pCost_Type", ""))
            and exact(text(r["Cost_Center"]), p.get("pCost_Center", ""))
        ):
            continue
        yield r


def _phase_row(r: Mapping[str, Any]) -> Row:
    return {
        "Company_Code": text(r["Company_Code"]),
        "Job_Number": text(r["Job_Number"]),
        "Phase_Code": text(r["Phase_Code"]),
        "Cost_Type": text(r["Cost_Type"]),
        "Description": text(r["Description"]),
        "Status_Code": text(r["Status_Code"]),
        "Unit_of_Measure": text(r["Unit_of_Measure"]),
        "JTD_Quantity": text(r["JTD_Quantity"]),
        "JTD_Hours": text(r["JTD_Hours"]),
        "JTD_Actual_Dollars": text(r["JTD_Actual_Dollars"]),
        "Projected_Quantity": text(r["Projected_Quantity"]),
        "Projected_Hours": text(r["Projected_Hours"]),
        "Projected_Dollars": text(r["Projected_Dollars"]),
        "Estimated_Quantity": text(r["Current_Est_Quantity"]),
        "Estimated_Hours": text(r["Current_Est_Hours"]),
        "Current_Estimated_Dollars": text(r["Current_Est_Cost"]),
        "Cost_Center": text(r["Cost_Center"]),
    }


def phases(store: Store, company: str, p: Mapping[str, str]) -> Iterator[Row]:
    # docs/spectrum.md#getphase
    for r in _phase_rows(store, company, p):
        yield _phase_row(r)


def phases_enhanced(store: Store, company: str, p: Mapping[str, str]) -> Iterator[Row]:
    # docs/spectrum.md#getphaseenhanced (return list partly unknown: dates and comment come back empty)
    for r in _phase_rows(store, company, p):
        yield {
            **_phase_row(r),
            "Price_Method_Code": text(r["Price_Method_Code"]),
            "Start_Date": "",
            "End_Date": "",
            "Complete_Date": "",
            "Comment": "",
        }


GETS: dict[str, Callable[[Store, str, Mapping[str, str]], Iterator[Row]]] = {
    "GetCustomers": customers,
    "GetVendors": vendors,
    "GetJob": jobs,
    "GetJobMain": jobs_main,
    "GetJobUDF": jobs_udf,
    "GetPhase": phases,
    "GetPhaseEnhanced": phases_enhanced,
}
