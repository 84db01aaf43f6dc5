"""Prime contract change orders: ARChangeOrder, one record per line, added or updated by key
(docs/spectrum.md#archangeorder). The API body, the mapper and the declaration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from mappings.mappers.common import Checker, Mapped, Problem, SpectrumCall, company_of, key_of, num
from mappings.rules import Known, MappingRules
from spectrum_sync.api.serializers import AMOUNT, LINES, QUANTITY, DecimalText, DocumentSerializer
from spectrum_sync.catalogue.base import ExportType, Reconciled, sum_of_lines


class ChangeOrderLineSerializer(serializers.Serializer):
    billing_item = serializers.CharField(max_length=20, required=False, allow_blank=True)
    description = serializers.CharField(max_length=250, required=False, allow_blank=True)
    quantity = DecimalText(required=False, **QUANTITY)
    unit_price = DecimalText(required=False, **QUANTITY)
    amount = DecimalText(**AMOUNT)


class ChangeOrderSerializer(DocumentSerializer):
    change_order_number = serializers.CharField(max_length=40)
    job_number = serializers.CharField(max_length=40)
    customer_code = serializers.CharField(max_length=40)
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    status_code = serializers.CharField(max_length=2, required=False, allow_blank=True)
    change_order_date = serializers.DateField(required=False)
    approved_date = serializers.DateField(required=False)
    fee_percent = DecimalText(max_digits=6, decimal_places=2, required=False)
    fee_amount = DecimalText(required=False, **AMOUNT)
    lines = ChangeOrderLineSerializer(many=True, allow_empty=False, **LINES)


def map_change_order(document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str) -> Mapped:
    """PCCO → ARChangeOrder, one record per line repeating the header (docs/spectrum.md#archangeorder)."""
    problems: list[Problem] = []
    check = Checker(problems, "ARChangeOrder")
    company = company_of(document, default_company)
    job = check.code(document.get("job_number"), "Job_Number", required=True)
    customer = check.code(document.get("customer_code"), "Customer_Code", required=True)
    number = check.code(document.get("change_order_number"), "Change_Order_Number", required=True)
    if job:
        check.parent(known, "job", key_of(company, job), "Job_Number", "Job")
    if customer:
        check.parent(known, "customer", key_of(company, customer), "Customer_Code", "Customer")
    header = {
        "Company_Code": company,
        "Job_Number": job,
        "Customer_Code": customer,
        "Change_Order_Number": number,
        "Description": check.text(document.get("description"), "Description"),
        "Status_Code": check.code(document.get("status_code") or "A", "Status_Code"),
        "Change_Order_Date": check.date(document.get("change_order_date"), "Change_Order_Date", known),
        "Approved_Date": check.date(document.get("approved_date"), "Approved_Date", known),
        "Fee_Percent": num(document.get("fee_percent"), check, "Fee_Percent"),
        "Fee_Amount": num(document.get("fee_amount"), check, "Fee_Amount"),
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
                    "CO_Billing_Item_Code": check.code(line.get("billing_item"), "CO_Billing_Item_Code"),
                    "Additional_Description": check.text(line.get("description"), "Additional_Description"),
                    "Unit_Price": num(line.get("unit_price"), check, "Unit_Price"),
                    "Quantity": num(line.get("quantity"), check, "Quantity"),
                    "Revenue": num(line.get("amount"), check, "Revenue"),
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


# ARChangeOrder adds or updates by key (docs/spectrum.md#rules-per-service): a resend updates, it
# does not create a second document.
EXPORT = ExportType(
    name="change_order",
    api_name="change-orders",
    label="Prime contract change order",
    short_label="Change order",
    serializer=ChangeOrderSerializer,
    mapper=map_change_order,
    services=("ARChangeOrder",),
    no_udf_reason="Spectrum has no UDF service for AR change orders: ARChangeOrder has no UDF fields.",
    reconciled=Reconciled(
        "ar_change_order",
        ("job_number", "customer_code", "change_order_number"),
        "change_order_date",
        "customer_code",
        sum_of_lines("amount"),
    ),
)
