"""The documents the platform posts, one serializer per document type.

Validation here is about shape (types, required fields, choices); Spectrum's own rules (lengths,
existing customers and jobs, GL mappings) are the pre-flight's, so a dry run reports them all.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from rest_framework import serializers

from spectrum_sync.models import SyncStatus

AMOUNT = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 4}
# Each line (a job's phase) is at least one Spectrum call on one worker: a document has at most
# API_MAX_LINES of them, refused before any is validated.
LINES = {"max_length": settings.API_MAX_LINES}
# Every status a sync record can be in, so the schema lists awaiting_approval and rejected too.
STATUS_HELP = (
    "pending, sending, confirming: on its way; succeeded; failed; held (waits for a parent, a mapping or "
    "the connection); awaiting_approval: waits for an accountant of the tenant to approve it; rejected: "
    "turned down by an accountant (final; decision_comment says why); bypassed: entered by hand in Spectrum."
)


def status_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=SyncStatus.choices, help_text=STATUS_HELP)


class DecimalText(serializers.DecimalField):
    """A decimal sent as text ("596.50"): a JSON number with a fraction is a binary float, already
    rounded before it reaches us, so it is refused rather than guessed at."""

    default_error_messages = {
        "float": 'Send amounts and quantities as decimal strings such as "596.50", not JSON numbers.'
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, float):
            self.fail("float")
        return super().to_internal_value(data)


class CustomFieldsSerializer(serializers.Serializer):
    """Platform custom fields, sent to the Spectrum UDFs the tenant's UDF mappings name."""

    custom_fields = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=250),
        required=False,
        help_text="Platform custom fields; the tenant's UDF configuration sends them to Spectrum UDFs.",
    )

    def validate_custom_fields(self, value: dict[str, str]) -> dict[str, str]:
        limit = settings.API_MAX_CUSTOM_FIELDS
        if len(value) > limit:
            raise serializers.ValidationError(f"At most {limit} custom fields, got {len(value)}.")
        for name in value:
            # Names are stored (JSON in PostgreSQL, which refuses NUL) and matched to UDF mappings.
            if not name.strip() or len(name) > 100 or any(ord(c) < 32 for c in name):
                raise serializers.ValidationError(
                    f"Custom field name {name[:40]!r} is invalid: 1 to 100 characters, no control characters."
                )
        return value


class DocumentSerializer(CustomFieldsSerializer):
    document_id = serializers.CharField(max_length=100, help_text="The document's id on the platform.")
    version = serializers.CharField(
        max_length=40, help_text="The platform's version of the document; the same id and version is one export."
    )
    company_code = serializers.CharField(
        max_length=3, required=False, allow_blank=True, help_text="Spectrum company; default: the tenant's first."
    )

    def validate_company_code(self, value: str) -> str:
        companies = self.context.get("companies") or []
        value = value.strip().upper()
        if value and companies and value not in companies:
            raise serializers.ValidationError(f"Not one of this tenant's Spectrum companies: {', '.join(companies)}")
        return value


class InvoiceLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["labor", "material", "discount", "tax"])
    description = serializers.CharField(max_length=250, required=False, allow_blank=True)
    quantity = DecimalText(required=False, **QUANTITY)
    unit_of_measure = serializers.CharField(max_length=10, required=False, allow_blank=True)
    amount = DecimalText(**AMOUNT)
    taxable = serializers.BooleanField(default=True)
    department = serializers.CharField(max_length=10, required=False, allow_blank=True)


class ARInvoiceSerializer(DocumentSerializer):
    invoice_number = serializers.CharField(max_length=40)
    customer_code = serializers.CharField(max_length=40)
    job_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    invoice_date = serializers.DateField()
    gl_date = serializers.DateField(required=False)
    batch_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    terms_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    salesperson_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    customer_po = serializers.CharField(max_length=100, required=False, allow_blank=True)
    remarks = serializers.CharField(max_length=500, required=False, allow_blank=True)
    department = serializers.CharField(max_length=10, required=False, allow_blank=True)
    tax_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    tax_rate = DecimalText(max_digits=7, decimal_places=4, required=False, min_value=0)
    lines = InvoiceLineSerializer(many=True, allow_empty=False, **LINES)


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


class AcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = status_field()
    status_url = serializers.URLField()
    duplicate = serializers.BooleanField(help_text="True when this document and version had been received before.")


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Spectrum's code: M missing, I invalid; CFG = our mappings.")
    message = serializers.CharField()
    column = serializers.CharField(help_text="The Spectrum column concerned.")
    waits_for = serializers.DictField(allow_null=True, help_text="The master record the document waits for.")


class DryRunSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["send", "hold", "fail"])
    calls = serializers.ListField(child=serializers.DictField(), help_text="The exact Spectrum calls, in order.")
    problems = ProblemSerializer(many=True)


class AttemptSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    service = serializers.CharField()
    outcome = serializers.CharField()
    duration_ms = serializers.IntegerField()
    error_code = serializers.CharField()
    error_message = serializers.CharField()
    error_column = serializers.CharField()


class SyncRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document_type = serializers.SerializerMethodField()
    document_id = serializers.CharField(source="platform_id")
    version = serializers.CharField()
    status = status_field()
    document_number = serializers.CharField()
    company_code = serializers.CharField()
    error = serializers.SerializerMethodField()
    held_reason = serializers.CharField()
    verification = serializers.CharField(
        help_text="What reading it back from Spectrum showed: confirmed, unverified (no Info-Link access), "
        "mismatch or not_found; empty until read back."
    )
    spectrum = serializers.SerializerMethodField(
        help_text="What Spectrum holds once read back: document_number, and total, tax and line_count where known."
    )
    decision_comment = serializers.CharField(help_text="The approver's comment; always given on a rejection.")
    decided_by = serializers.SerializerMethodField(help_text="Username of who approved or rejected it, or empty.")
    decided_at = serializers.DateTimeField(allow_null=True, help_text="When it was approved or rejected.")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    attempts = AttemptSerializer(many=True, source="attempts.all")

    def get_spectrum(self, record: Any) -> dict[str, Any]:
        return dict((record.readback or {}).get("spectrum") or {})

    def get_decided_by(self, record: Any) -> str:
        return str(record.decided_by.get_username()) if record.decided_by_id else ""

    def get_document_type(self, record: Any) -> str:
        # The view passes the type's API name (the catalogue imports these serializers).
        return str(self.context.get("api_names", {}).get(record.object_type, record.object_type))

    def get_error(self, record: Any) -> dict[str, str] | None:
        if not (record.error_code or record.error_message):
            return None
        return {"code": record.error_code, "message": record.error_message, "column": record.error_column}
