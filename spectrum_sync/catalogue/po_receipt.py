"""PO receipts: a two-step packing-list receipt, one record per PO line, over REST
(purchaseOrder/PackingList). The API body, the mapper and the declaration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from mappings.mappers.common import Checker, Mapped, Problem, SpectrumCall, company_of, key_of, money
from mappings.rules import Known, MappingRules
from spectrum_sync.api.serializers import LINES, QUANTITY, DecimalText, DocumentSerializer
from spectrum_sync.catalogue.base import DatedColumns, ExportType, Reconciled, sum_of_lines


class ReceiptLineSerializer(serializers.Serializer):
    po_line_number = serializers.IntegerField(min_value=1, max_value=999, required=False)
    item_code = serializers.CharField(max_length=40)
    quantity_received = DecimalText(**QUANTITY)
    phase_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    cost_type = serializers.CharField(max_length=10, required=False, allow_blank=True)


class POReceiptSerializer(DocumentSerializer):
    po_number = serializers.CharField(max_length=40)
    receipt_number = serializers.CharField(max_length=40, help_text="The vendor's packing list number.")
    receipt_sequence = serializers.IntegerField(
        min_value=1, max_value=999, help_text="This receipt's sequence on the PO (Spectrum's receipt number)."
    )
    job_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    receipt_date = serializers.DateField()
    remarks = serializers.CharField(max_length=500, required=False, allow_blank=True)
    lines = ReceiptLineSerializer(many=True, allow_empty=False, **LINES)


def map_po_receipt(document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str) -> Mapped:
    """PO receipt → Packing List Quantity Receipt, two-step (REST purchaseOrder/PackingList).

    Every PO must link to a JC job and every line to a cost type (phase and cost type), otherwise
    the receipt is refused before anything is sent.
    """
    problems: list[Problem] = []
    check = Checker(problems, "purchaseOrder/PackingList", "AddJob")
    company = company_of(document, default_company)
    po_number = check.code(document.get("po_number"), "PO_Number", required=True)
    receipt = check.code(document.get("receipt_number"), "Pack_List_Number", required=True)
    job = str(document.get("job_number") or "").strip()
    if not job:
        problems.append(
            Problem("M", f"PO {po_number} is not linked to a JC job; link it to a job and export again", "Job_Number")
        )
    else:
        check.code(job, "Job_Number")  # as AddJob defines it
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
                "Remarks": check.text(document.get("remarks"), "Remarks"),
                "PO_Line_Number": check.code(line_no, "PO_Line_Number"),
                "Item_Code": check.code(line.get("item_code"), "Item_Code", required=True),
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


def receipt_number_as_sent(key: tuple[str, ...]) -> tuple[str, ...]:
    """(PO number, receipt sequence) as the mapper sends it: a numeric sequence zero-padded to 3."""
    po_number, sequence = key
    return (po_number, sequence.zfill(3) if sequence.isdigit() else sequence)


def post(client: Any, company: str, fields: Mapping[str, Any]) -> list[Any]:
    # docs/spectrum.md#packing-list-receipt-rest, one record per PO line.
    return list(client.post_po_receipts(company, list(fields["lines"])))


EXPORT = ExportType(
    name="po_receipt",
    api_name="po-receipts",
    label="PO receipt",
    serializer=POReceiptSerializer,
    mapper=map_po_receipt,
    services=("purchaseOrder/PackingList",),
    no_udf_reason=(
        "Spectrum has no UDF service for PO receipts: the packing-list receipt service has no UDF "
        "fields, and no UDF-only service exists for receipts."
    ),
    # Our receipt sequence is sent as Receipt_Number, so the receipt can be looked up; the help page
    # says duplicates are updated, but a lookup before a resend is cheaper than trusting that.
    creating_services=frozenset({"purchaseOrder/PackingList"}),
    # A receipt with the same receipt number is updated, not added (docs/spectrum.md#packing-list-receipt-rest).
    resend_is_safe=True,
    rest_post=post,
    dated=DatedColumns("PO", (("Receipt_Date", ("receipt_date",)),)),
    # We send quantities only, so receipts are reconciled by quantity received, narrowed by PO number.
    reconciled=Reconciled(
        "po_receipt",
        ("po_number", "receipt_sequence"),
        "receipt_date",
        total=sum_of_lines("quantity_received"),
        measure="quantity",
        as_held=receipt_number_as_sent,
        narrowed_by=0,
    ),
)
