"""Jobs: AddJob for a new job (UpdateJob and UpdateJob_UDF once Spectrum has it), then AddPhase (and
UpdatePhase_UDF) per new or changed phase. The API body, the mapper, the look-ups and the declaration."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from rest_framework import serializers

from mappings.mappers.common import Checker, Mapped, Problem, SpectrumCall, company_of, key_of, money, num, udf_fields
from mappings.rules import Known, MappingRules
from spectrum_sync.api.serializers import (
    AMOUNT,
    LINES,
    QUANTITY,
    CustomFieldsSerializer,
    DecimalText,
    DocumentSerializer,
)
from spectrum_sync.catalogue.base import ExportType, Reconciled, amount_of


class PhaseSerializer(CustomFieldsSerializer):  # a phase's UDFs go to UpdatePhase_UDF
    phase_code = serializers.CharField(max_length=40)
    cost_type = serializers.CharField(max_length=10)
    description = serializers.CharField(max_length=250, required=False, allow_blank=True)
    unit_of_measure = serializers.CharField(max_length=10, required=False, allow_blank=True)
    budget_amount = DecimalText(required=False, **AMOUNT)
    budget_hours = DecimalText(required=False, **QUANTITY)
    budget_quantity = DecimalText(required=False, **QUANTITY)


class JobSerializer(DocumentSerializer):
    job_number = serializers.CharField(max_length=40)
    description = serializers.CharField(max_length=250, required=False, allow_blank=True)
    customer_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    address_1 = serializers.CharField(max_length=250, required=False, allow_blank=True)
    address_2 = serializers.CharField(max_length=250, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.CharField(max_length=10, required=False, allow_blank=True)
    zip_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    project_manager = serializers.CharField(max_length=40, required=False, allow_blank=True)
    contract_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
    tax_class_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    taxable = serializers.BooleanField(default=True)
    price_method = serializers.ChoiceField(choices=["F", "T", "C", "U"], default="F")
    status = serializers.ChoiceField(choices=["A", "I", "C"], required=False)
    cost_center = serializers.CharField(max_length=20, required=False, allow_blank=True)
    est_start_date = serializers.DateField(required=False)
    est_complete_date = serializers.DateField(required=False)
    original_contract = DecimalText(required=False, **AMOUNT)
    phases = PhaseSerializer(many=True, required=False, **LINES)


def _job_fields(document: Mapping[str, Any], check: Checker, known: Known, company: str) -> dict[str, str]:
    job = check.code(document.get("job_number"), "Job_Number", required=True)
    customer = check.code(document.get("customer_code"), "Customer_Code")
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
        check.amount(contract, "Original_Contract")
    est_start = check.date(document.get("est_start_date"), "Est_Start_Date", known)
    est_complete = check.date(document.get("est_complete_date"), "Est_Complete_Date", known)
    if est_start and est_complete and document["est_complete_date"] < document["est_start_date"]:
        # In the words of AddJob's rule (connectors/spectrum/rules.py), as the simulator and Spectrum say it.
        check.problems.append(
            Problem("I", "Est_Complete_Date is invalid, the date is before Est_Start_Date", "Est_Complete_Date")
        )
    return {
        "Company_Code": company,
        "Job_Number": job,
        "Job_Description": check.text(document.get("description"), "Job_Description"),
        "Address_1": check.text(document.get("address_1"), "Address_1"),
        "Address_2": check.text(document.get("address_2"), "Address_2"),
        "City": check.text(document.get("city"), "City"),
        "State": check.code(document.get("state"), "State"),
        "Zip_Code": check.code(document.get("zip_code"), "Zip_Code"),
        "Project_Manager": check.code(document.get("project_manager"), "Project_Manager"),
        "Customer_Code": customer,
        "Contract_Number": check.code(document.get("contract_number"), "Contract_Number"),
        "Tax_Class_Code": check.code(document.get("tax_class_code"), "Tax_Class_Code"),
        "Taxable_Flag": "Y" if document.get("taxable", True) else "N",
        "Price_Method_Code": price_method,
        "Est_Start_Date": est_start,
        "Est_Complete_Date": est_complete,
        "Original_Contract": f"{contract:f}" if contract is not None else "",
        "Cost_Center": check.code(document.get("cost_center"), "Cost_Center"),
        "Status_Code": status,
    }


# AddPhase's columns → the mirrored phase's (connectors/spectrum/tables.py: JC_PHASE_MASTER_MC).
# The mirror has the current estimate's quantity and hours, not the original ones AddPhase sends, so a
# phase sending either cannot be shown unchanged and is always sent.
_MIRRORED_TEXT = {"Description": "description", "Unit_of_Measure": "unit_of_measure"}
_MIRRORED_AMOUNT = {"Original_Est_Cost": "original_estimated_dollars"}
_NOT_MIRRORED = ("Original_Est_Quantity", "Original_Est_Hours")


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _unchanged(fields: Mapping[str, str], held: Mapping[str, Any] | None) -> bool:
    """Whether Spectrum's phase (as the mirror last read it) already holds every field we would send."""
    if held is None or any(fields[column] for column in _NOT_MIRRORED):
        return False
    for column, name in _MIRRORED_TEXT.items():
        if fields[column].strip() != str(held.get(name) or "").strip():
            return False
    for column, name in _MIRRORED_AMOUNT.items():
        sent, mirrored = _amount(fields[column]), _amount(held.get(name))
        if mirrored is None or (sent or Decimal(0)) != mirrored:
            return False  # a budget the mirror does not show (web services read the current only) is sent
    return True


def _phase_calls(
    document: Mapping[str, Any], rules: MappingRules, known: Known, check: Checker, company: str, job: str
) -> list[SpectrumCall]:
    calls = []
    for phase in document.get("phases") or []:
        phase_code = check.no_dashes(check.code(phase.get("phase_code"), "Phase_Code", required=True), "Phase_Code")
        fields = {
            "Company_Code": company,
            "Job_Number": job,
            "Phase_Code": phase_code,
            "Description": check.text(phase.get("description"), "Description"),
            "Cost_Type": check.code(phase.get("cost_type"), "Cost_Type", required=True),
            "Original_Est_Quantity": num(phase.get("budget_quantity"), check, "Original_Est_Quantity"),
            "Unit_of_Measure": check.code(phase.get("unit_of_measure"), "Unit_of_Measure"),
            "Original_Est_Cost": num(phase.get("budget_amount"), check, "Original_Est_Cost"),
            "Original_Est_Hours": num(phase.get("budget_hours"), check, "Original_Est_Hours"),
            # "J" = take the job's price method (docs/spectrum.md#addphase).
            "Price_Method_Code": "J",
        }
        # docs/spectrum.md#addphase: creates or updates. A job Spectrum has gets it only for the
        # phases that are new or changed since the mirror read them.
        held = known.phase(key_of(company, job, phase_code, fields["Cost_Type"]))
        if not (known.job_exists_in_spectrum and _unchanged(fields, held)):
            calls.append(SpectrumCall("AddPhase", fields))
        udfs = udf_fields(phase, rules, "job", check, enforce=False)
        if udfs:
            # docs/spectrum.md#updatephase_udf: the phase's own custom fields, once the phase exists.
            key = {k: fields[k] for k in ("Company_Code", "Job_Number", "Phase_Code", "Cost_Type")}
            calls.append(SpectrumCall("UpdatePhase_UDF", {**key, **udfs}))
    return calls


def map_job(document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str) -> Mapped:
    """Job → AddJob (new) or UpdateJob + UpdateJob_UDF (known to Spectrum), then AddPhase per phase."""
    problems: list[Problem] = []
    check = Checker(problems, "AddJob", "UpdateJob", "AddPhase")
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
    calls.extend(_phase_calls(document, rules, known, check, company, job))
    return Mapped(
        calls=calls,
        problems=problems,
        lookup_kind="job",
        lookup_key={"job_number": job},
        document_number=job,
    )


def find_by_web_services(client: Any, company: str, lookup_key: Mapping[str, str]) -> bool:
    job = lookup_key["job_number"]
    # docs/spectrum.md#getjob — the web service view of jobs.
    return any(getattr(r, "job_number", "") == job for r in client.iter_records("job", company))


def own_key(document: Mapping[str, Any], company: str) -> tuple[str, str] | None:
    """The job's own mirror key: if Spectrum has it, the mapper updates it instead of adding it."""
    if not document.get("job_number"):
        return None
    return ("job", key_of(company, str(document["job_number"]).strip()))


EXPORT = ExportType(
    name="job",
    api_name="jobs",
    label="Job",
    serializer=JobSerializer,
    mapper=map_job,
    services=("AddJob", "UpdateJob", "UpdateJob_UDF", "AddPhase", "UpdatePhase_UDF"),
    # UDF1…UDF20 are AddJob columns; a job Spectrum already has takes them through UpdateJob_UDF.
    # A phase line's own custom fields go to UpdatePhase_UDF through the same mapping.
    udf_services=("AddJob", "UpdateJob_UDF", "UpdatePhase_UDF"),
    creating_services=frozenset({"AddJob"}),
    # Job numbers must be unique (docs/spectrum.md#addjob).
    resend_is_safe=True,
    web_lookup=find_by_web_services,
    creates_object="job",
    own_key=own_key,
    # A job carries no date of its own: dated by the day Spectrum accepted it.
    reconciled=Reconciled(
        "job",
        ("job_number",),
        "",
        "customer_code",
        lambda p: None if p.get("original_contract") in (None, "") else amount_of(p.get("original_contract")),
    ),
)
