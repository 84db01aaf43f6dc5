"""Commitments: a subcontract, its UDFs and its phases (UpdateSubcontract, UpdateSubcontract_UDF,
UpdateSubcontractPhases). The API body, the mapper and the declaration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from mappings.mappers.common import Checker, Mapped, Problem, SpectrumCall, company_of, key_of, num, udf_fields
from mappings.rules import Known, MappingNeed, MappingRules
from spectrum_sync.api.serializers import AMOUNT, LINES, QUANTITY, DecimalText, DocumentSerializer
from spectrum_sync.catalogue.base import ExportType, Reconciled, sum_of_lines


class CommitmentLineSerializer(serializers.Serializer):
    phase_code = serializers.CharField(max_length=40)
    cost_type = serializers.CharField(max_length=10)
    description = serializers.CharField(max_length=250, required=False, allow_blank=True)
    unit_of_measure = serializers.CharField(max_length=10, required=False, allow_blank=True)
    quantity = DecimalText(required=False, **QUANTITY)
    unit_price = DecimalText(required=False, **QUANTITY)
    amount = DecimalText(**AMOUNT)


class CommitmentSerializer(DocumentSerializer):
    kind = serializers.ChoiceField(choices=["purchase_order", "subcontract"], default="subcontract")
    commitment_number = serializers.CharField(max_length=40)
    vendor_code = serializers.CharField(max_length=40)
    job_number = serializers.CharField(max_length=40)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    date_issued = serializers.DateField(required=False)
    gl_account = serializers.CharField(max_length=40, required=False, allow_blank=True)
    department = serializers.CharField(max_length=10, required=False, allow_blank=True)
    retention_percent = DecimalText(max_digits=5, decimal_places=2, required=False, min_value=0)
    lines = CommitmentLineSerializer(many=True, allow_empty=False, **LINES)


def map_commitment(document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str) -> Mapped:
    """A platform PO or subcontract → Spectrum subcontract (UpdateSubcontract) with its phases
    (UpdateSubcontractPhases), both add-or-update by key, so a resend never doubles
    (docs/spectrum.md#updatesubcontract)."""
    problems: list[Problem] = []
    check = Checker(problems, "UpdateSubcontract", "UpdateSubcontractPhases")
    company = company_of(document, default_company)
    vendor = check.code(document.get("vendor_code"), "Vendor_Code", required=True)
    number = check.code(document.get("commitment_number"), "Subcontract_Number", required=True)
    job = check.code(document.get("job_number"), "Job_Number", required=True)
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
        "Comment": check.text(document.get("description"), "Comment"),
        "GL_Account": check.code(gl, "GL_Account"),
        "Retention_Percent": num(document.get("retention_percent"), check, "Retention_Percent"),
    }
    # docs/spectrum.md#updatesubcontract
    calls = [SpectrumCall("UpdateSubcontract", header)]
    udfs = udf_fields(document, rules, "commitment", check)
    if udfs:
        # docs/spectrum.md#updatesubcontract_udf: once the subcontract exists.
        key = {"Company_Code": company, "Vendor_Code": vendor, "Subcontract_Number": number}
        calls.append(SpectrumCall("UpdateSubcontract_UDF", {**key, **udfs}))
    for line in lines:
        phase = check.no_dashes(check.code(line.get("phase_code"), "Phase_Code", required=True), "Phase_Code")
        cost_type = check.code(line.get("cost_type"), "Cost_Type", required=True)
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
                    "Bill_Description": check.text(line.get("description"), "Bill_Description"),
                    "Unit_Of_Measure": check.code(line.get("unit_of_measure"), "Unit_Of_Measure"),
                    "Unit_Price": num(line.get("unit_price"), check, "Unit_Price"),
                    "Original_Contract_Quantity": num(line.get("quantity"), check, "Original_Contract_Quantity"),
                    "Original_Contract_Amount": num(line.get("amount"), check, "Original_Contract_Amount"),
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


# UpdateSubcontract(Phases) add or update by key (docs/spectrum.md#rules-per-service): a resend
# updates, it does not create a second document.
EXPORT = ExportType(
    name="commitment",
    api_name="commitments",
    label="Commitment (subcontract)",
    short_label="Commitment",
    serializer=CommitmentSerializer,
    mapper=map_commitment,
    services=("UpdateSubcontract", "UpdateSubcontract_UDF", "UpdateSubcontractPhases"),
    udf_services=("UpdateSubcontract_UDF",),
    reconciled=Reconciled(
        "subcontract", ("vendor_code", "commitment_number"), "date_issued", "job_number", sum_of_lines("amount")
    ),
)
