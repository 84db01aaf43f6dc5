"""The UDF fields Spectrum's services take, and so which UDFs each exported document type can carry.

Each type's catalogue declaration names the services that carry its UDFs and, when there are none,
why (``udf_services``, ``no_udf_reason`` in spectrum_sync/catalogue/); the UDF numbers themselves
come from those services' layouts. Below the mapping models (which check a UDF mapping against it)
and the completeness checks.
"""

from __future__ import annotations

import re

from connectors.spectrum.layouts import layout_for
from spectrum_sync.catalogue.registry import export_type

_UDF = re.compile(r"^UDF(\d+)$")
# Said of a type whose declaration gives no reason of its own (or of a name that is no exported type).
NO_UDF_FIELDS = "Spectrum's services for this document type have no UDF fields."


def slots_of(services: tuple[str, ...]) -> tuple[int, ...]:
    """The UDF numbers every one of ``services`` takes; () = none, or no services."""
    per_service = []
    for service in services:
        layout = layout_for(service)
        names = (f.name for f in (*layout.fields, *layout.detail))
        per_service.append({int(m.group(1)) for m in map(_UDF.match, names) if m})
    return tuple(sorted(set.intersection(*per_service))) if per_service else ()


def udf_services(document_type: str) -> tuple[str, ...]:
    """The services that carry ``document_type``'s UDFs; () for a type without any."""
    declared = export_type(document_type)
    return declared.udf_services if declared is not None else ()


def udf_slots(document_type: str) -> tuple[int, ...]:
    """The UDF numbers every service of ``document_type`` takes; () = its services have no UDFs."""
    return slots_of(udf_services(document_type))


def no_udf_reason(document_type: str) -> str:
    """Why ``document_type`` takes no UDFs ("" when it takes them)."""
    if udf_slots(document_type):
        return ""
    declared = export_type(document_type)
    return (declared.no_udf_reason if declared is not None else "") or NO_UDF_FIELDS
