"""The Spectrum services each exported document type is sent with, and the UDF fields they take.

Below the mapping models (which check a UDF mapping against it) and the completeness checks.
"""

from __future__ import annotations

import re

from connectors.spectrum.layouts import layout_for

# The Spectrum services each exported document type is sent with (see mappings.mappers).
SERVICES_OF: dict[str, tuple[str, ...]] = {
    "ar_invoice": ("customer/invoice",),
    "job": ("AddJob", "UpdateJob_UDF"),
    "po_receipt": ("purchaseOrder/PackingList",),
    "maintenance": ("WorkOrderHeader",),
    "commitment": ("UpdateSubcontract", "UpdateSubcontractPhases"),
    "change_order": ("ARChangeOrder",),
}

_UDF = re.compile(r"^UDF(\d+)$")


def udf_slots(document_type: str) -> tuple[int, ...]:
    """The UDF numbers every service of ``document_type`` takes; () = its services have no UDFs."""
    per_service = []
    for service in SERVICES_OF.get(document_type, ()):
        layout = layout_for(service)
        names = (f.name for f in (*layout.fields, *layout.detail))
        per_service.append({int(m.group(1)) for m in map(_UDF.match, names) if m})
    return tuple(sorted(set.intersection(*per_service))) if per_service else ()
