"""What the pipelines ask of the links: which platform record a Spectrum record is confirmed to be.

Imports add the platform's id to each delivered item of a linked record (one query per delivered
chunk, none for types that are never linked); the job pre-flight treats a linked job as one
Spectrum has. Only confirmed links count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from linking.models import LinkableType, LinkStatus, RecordLink

LINKABLE = frozenset(LinkableType.values)


def linked_platform_ids(tenant_id: int, object_type: str, keys: Iterable[str]) -> dict[str, str]:
    """Spectrum key → platform id, for the confirmed links among ``keys``."""
    wanted = list(keys)
    if object_type not in LINKABLE or not wanted:
        return {}
    rows = RecordLink.objects.filter(
        tenant_id=tenant_id, object_type=object_type, status=LinkStatus.CONFIRMED, spectrum_key__in=wanted
    ).values_list("spectrum_key", "platform_id")
    return dict(rows)


def with_platform_ids(tenant_id: int, object_type: str, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items to deliver, each linked one carrying ``platform_id`` (the platform updates that record)."""
    linked = linked_platform_ids(tenant_id, object_type, {item["key"] for item in items})
    if not linked:
        return list(items)
    return [{**item, "platform_id": linked[item["key"]]} if item["key"] in linked else item for item in items]


def linked_spectrum_key(tenant_id: int, object_type: str, platform_id: str) -> str:
    """The Spectrum key a platform record is confirmed to be, or ''."""
    if object_type not in LINKABLE or not platform_id:
        return ""
    found = (
        RecordLink.objects.filter(
            tenant_id=tenant_id, object_type=object_type, status=LinkStatus.CONFIRMED, platform_id=platform_id
        )
        .values_list("spectrum_key", flat=True)
        .first()
    )
    return found or ""
