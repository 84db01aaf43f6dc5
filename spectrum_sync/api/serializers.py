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
