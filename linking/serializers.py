"""The inbound directory body: ``{"records": [{platform_id, name, code, address, phone, tax_id}, ...]}``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

MAX_RECORDS = 5000  # per request; a larger directory is sent in several


class AddressSerializer(serializers.Serializer):
    line_1 = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    line_2 = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    state = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    zip = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class DirectoryRecordSerializer(serializers.Serializer):
    platform_id = serializers.CharField(max_length=100, help_text="The platform's own id of the record.")
    name = serializers.CharField(max_length=200)
    code = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text="The record's Spectrum code, if known."
    )
    address = AddressSerializer(required=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    tax_id = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="Federal tax id (EIN), if any."
    )


class DirectorySerializer(serializers.Serializer):
    records = DirectoryRecordSerializer(many=True, allow_empty=False, max_length=MAX_RECORDS)

    def validate_records(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[str] = set()
        for record in records:
            if record["platform_id"] in seen:
                raise serializers.ValidationError(f"platform_id {record['platform_id']!r} is given twice.")
            seen.add(record["platform_id"])
        return records


class DirectoryAnswerSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Records stored (a platform_id sent before is replaced).")
    proposed = serializers.IntegerField(help_text="New links proposed; implementation staff confirm them.")
