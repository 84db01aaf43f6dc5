"""Service-agreement maintenance → a visit on its service contract, or a stand-alone work order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mappings.mappers.common import (
    Checker,
    Mapped,
    Problem,
    SpectrumCall,
    company_of,
    key_of,
    num,
    udf_fields,
)
from mappings.rules import Known, MappingRules


def map_maintenance(document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str) -> Mapped:
    """A scheduled maintenance visit. On a service agreement (a service contract number): a scheduled
    visit on that contract (REST serviceContract/Visit, docs/spectrum.md#service-contract-visit-rest),
    its UDFs on the contract (UpdateServiceContract_UDF). Without one: a stand-alone work order on
    the site (WorkOrderHeader, docs/spectrum.md#workorderheader), its UDFs on the work order
    (UpdateWokOrderHeader_UDF)."""
    problems: list[Problem] = []
    check = Checker(problems, "serviceContract/Visit", "WorkOrderHeader")
    company = company_of(document, default_company)
    if str(document.get("status") or "scheduled") != "scheduled":
        problems.append(Problem("I", "Only a scheduled maintenance is exported", "Dispatch_Status_Code"))
    udfs = udf_fields(document, rules, "maintenance", check)
    if str(document.get("service_contract_number") or "").strip():
        return _contract_visit(document, check, known, company, udfs)
    return _work_order(document, check, known, company, udfs)


def _contract_visit(
    document: Mapping[str, Any], check: Checker, known: Known, company: str, udfs: dict[str, str]
) -> Mapped:
    site = check.code(document.get("site_id"), "Site_ID", required=True)
    contract = check.code(document.get("service_contract_number"), "Contract_Number", required=True)
    visit_date = check.date(document.get("scheduled_date"), "Visit_Date", known, required=True)
    fields: dict[str, Any] = {
        "Company_Code": company,
        "Site_ID": site,
        "Contract_Number": contract,
        "Visit_Date": visit_date,
        "Work_Summary": check.text(document.get("description"), "Work_Summary"),
        "Budget_Hours": num(document.get("budget_hours"), check, "Budget_Hours"),
        "Budget_Cost": num(document.get("budget_cost"), check, "Budget_Cost"),
        "Preupdate_Alert": "",
        "SC_Visit_Notes": check.text(document.get("notes"), "SC_Visit_Notes"),
        "Visit_Tasks": [],
    }
    calls = [SpectrumCall("serviceContract/Visit", fields, rest=True)]
    if udfs:
        # docs/spectrum.md#updateservicecontract_udf: the agreement's UDFs belong to its contract.
        key = {"Company_Code": company, "Site_ID": site, "Contract_Number": contract}
        calls.append(SpectrumCall("UpdateServiceContract_UDF", {**key, **udfs}))
    return Mapped(
        calls=calls,
        problems=check.problems,
        lookup_kind="sc_visit",
        lookup_key={"site_id": site, "contract_number": contract, "visit_date": str(document.get("scheduled_date"))},
        document_number=f"{contract}/{visit_date}",
    )


def _work_order(
    document: Mapping[str, Any], check: Checker, known: Known, company: str, udfs: dict[str, str]
) -> Mapped:
    wo = check.code(document.get("work_order_number"), "WO_Number", required=True)
    customer = check.code(document.get("customer_code"), "Bill_Customer_Code", required=True)
    if customer:
        check.parent(known, "customer", key_of(company, customer), "Bill_Customer_Code", "Customer")
    fields = {
        "Company_Code": company,
        "WO_Number": wo,
        "WO_Reference_Code": "S",
        "WO_Job_Number": check.code(document.get("site_id"), "WO_Job_Number", required=True),
        "WO_Job_Division": check.code(document.get("work_order_type"), "WO_Job_Division"),
        "Bill_Customer_Code": customer,
        "Customer_PO_Number": check.text(document.get("customer_po"), "Customer_PO_Number"),
        "Price_Type": "F" if document.get("flat_price", True) else "T",
        "Summary_Description": check.text(document.get("description"), "Summary_Description"),
        "Requested_Date": check.date(document.get("requested_date"), "Requested_Date", known),
        "Scheduled_Start_Date": check.date(
            document.get("scheduled_date"), "Scheduled_Start_Date", known, required=True
        ),
    }
    # docs/spectrum.md#workorderheader: WO_Number given, so a resend updates the same work order.
    calls = [SpectrumCall("WorkOrderHeader", fields)]
    if udfs:
        # docs/spectrum.md#updatewokorderheader_udf: once the work order exists.
        calls.append(SpectrumCall("UpdateWokOrderHeader_UDF", {"Company_Code": company, "WO_Number": wo, **udfs}))
    return Mapped(
        calls=calls,
        problems=check.problems,
        lookup_kind="work_order",
        lookup_key={"wo_number": wo},
        document_number=wo,
    )
