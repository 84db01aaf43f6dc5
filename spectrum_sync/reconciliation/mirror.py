"""Imports: the mirror (what the polls last saw) counted against what Spectrum holds now.

Every poll reads the whole object type (docs/spectrum.md#no-changed-since-filter), so after a
successful poll the mirror's live records of a company are exactly Spectrum's. A difference
("drift") means a poll missed something, or Spectrum changed since the last poll. Read through
the database (``SpectrumDatabase.iter_records``), for each type the tenant polls that the database
reader knows; a few keys on each side are kept so someone can look them up.
"""

from __future__ import annotations

from typing import Any

from connectors.spectrum import ledger
from connectors.spectrum.database import OBJECT_TYPES
from connectors.spectrum.errors import SpectrumConfigurationError
from spectrum_sync.models import MirrorRecord, PollSchedule, Tenant, type_label

SAMPLE_KEYS = 10


def polled_types(tenant: Tenant) -> list[str]:
    enabled = set(PollSchedule.objects.filter(tenant=tenant, enabled=True).values_list("object_type", flat=True))
    return [t for t in OBJECT_TYPES if t in enabled]


def _mirror_keys(tenant: Tenant, object_type: str, company: str) -> set[str]:
    return set(
        MirrorRecord.objects.filter(
            tenant=tenant, object_type=object_type, company_code=company, deleted_at__isnull=True
        ).values_list("key", flat=True)
    )


def _shown(keys: set[str]) -> list[str]:
    # Without the company prefix every mirror key carries ("DC1|C1001" → "C1001").
    return [key.split("|", 1)[-1] for key in sorted(keys)[:SAMPLE_KEYS]]


def compare_one(database: Any, tenant: Tenant, company: str, object_type: str) -> dict[str, Any]:
    line: dict[str, Any] = {"type": object_type, "label": type_label(object_type)}
    mirrored = _mirror_keys(tenant, object_type, company)
    try:
        held = ledger.record_keys(database, object_type, company)
    except SpectrumConfigurationError as exc:  # this table only: the other types still count
        return {**line, "mirror": len(mirrored), "spectrum": None, "drift": 0, "error": exc.message}
    missing, extra = held - mirrored, mirrored - held
    return {
        **line,
        "mirror": len(mirrored),
        "spectrum": len(held),
        "drift": len(missing) + len(extra),
        "missing_from_mirror": _shown(missing),
        "missing_count": len(missing),
        "gone_from_spectrum": _shown(extra),
        "gone_count": len(extra),
        "error": "",
    }


def compare(database: Any, tenant: Tenant, company: str) -> list[dict[str, Any]]:
    """One line per polled object type: the mirror's count, Spectrum's, and the keys that differ."""
    return [compare_one(database, tenant, company, object_type) for object_type in polled_types(tenant)]
