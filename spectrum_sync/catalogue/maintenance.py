"""Service-agreement maintenance: a scheduled visit on its service contract (REST
serviceContract/Visit), or, for a maintenance without a service agreement, a stand-alone work order
(WorkOrderHeader); the UDFs go to the contract or the work order. The API body, the mapper and the
declaration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from connectors.spectrum.layouts import SERVICE_CONTRACT_VISIT
from mappings.mappers.common import Checker, Mapped, Problem, SpectrumCall, company_of, key_of, num, udf_fields
from mappings.rules import Known, MappingRules
from spectrum_sync.api.serializers import DocumentSerializer
from spectrum_sync.catalogue.base import ExportType, Reconciled


class MaintenanceSerializer(DocumentSerializer):
    status = serializers.ChoiceField(
        choices=["scheduled"], default="scheduled", help_text="Only a scheduled maintenance is exported."
    )
    agreement_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    service_contract_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    work_order_number = serializers.CharField(max_length=40)
    site_id = serializers.CharField(max_length=40)
    customer_code = serializers.CharField(max_length=40)
    work_order_type = serializers.CharField(
        max_length=10, help_text="Spectrum work order type (WO_Job_Division), needed for a new work order."
    )
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    customer_po = serializers.CharField(max_length=100, required=False, allow_blank=True)
    requested_date = serializers.DateField(required=False)
    scheduled_date = serializers.DateField()
    flat_price = serializers.BooleanField(default=True)


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


VISIT = SERVICE_CONTRACT_VISIT.name


def post(client: Any, company: str, fields: Mapping[str, Any]) -> list[Any]:
    # docs/spectrum.md#service-contract-visit-rest — POST /serviceContract/Visit, {"serviceContractVisits": [...]}.
    return list(client.rest.post_documents(VISIT, company, [dict(fields)]))


EXPORT = ExportType(
    name="maintenance",
    api_name="maintenances",
    label="Service-agreement maintenance",
    short_label="Maintenance",
    serializer=MaintenanceSerializer,
    mapper=map_maintenance,
    services=(
        VISIT,
        "UpdateServiceContract_UDF",
        "WorkOrderHeader",
        "UpdateWokOrderHeader_UDF",
    ),
    # A visit on a service contract: the contract's UDFs; a stand-alone work order: the work order's.
    udf_services=("UpdateServiceContract_UDF", "UpdateWokOrderHeader_UDF"),
    # The visit service adds a visit; a visit whose date, summary and budget all match an existing
    # one is that visit (docs/spectrum.md#service-contract-visit-rest), so sending the same visit
    # again adds no second one. WorkOrderHeader with our WO_Number adds or updates by key.
    creating_services=frozenset({VISIT}),
    resend_is_safe=True,
    rest_post=post,
    number_column="WO_Number",
    # Work orders are counted, not totalled: the visit carries a budget, not an amount billed.
    reconciled=Reconciled("work_order", ("work_order_number",), "scheduled_date", "customer_code"),
)
