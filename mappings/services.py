"""The Spectrum services each exported document type sends its UDFs with, and the UDF fields they take.

Below the mapping models (which check a UDF mapping against it) and the completeness checks.
"""

from __future__ import annotations

import re

from connectors.spectrum.layouts import layout_for

# The services that carry each exported type's UDFs (docs/spectrum.md#udf-services); the type's
# other services are declared in spectrum_sync/catalogue/. Every service of a type must take a UDF
# for a mapping to it to be accepted.
SERVICES_OF: dict[str, tuple[str, ...]] = {
    "ar_invoice": (),
    # UDF1…UDF20 are AddJob columns; a job Spectrum already has takes them through UpdateJob_UDF.
    # A phase line's own custom fields go to UpdatePhase_UDF through the same mapping.
    "job": ("AddJob", "UpdateJob_UDF", "UpdatePhase_UDF"),
    "po_receipt": (),
    # A visit on a service contract: the contract's UDFs; a stand-alone work order: the work order's.
    "maintenance": ("UpdateServiceContract_UDF", "UpdateWokOrderHeader_UDF"),
    "commitment": ("UpdateSubcontract_UDF",),
    "change_order": (),
}

# Why a type cannot carry UDFs, in the words the UDF screen, the model's check and the docs use.
NO_UDF_SERVICE: dict[str, str] = {
    "ar_invoice": (
        "Spectrum has no UDF service for AR invoices: neither the multi-line customer invoice nor "
        "AddARInvoice has UDF fields, and no UDF-only service exists for them."
    ),
    "po_receipt": (
        "Spectrum has no UDF service for PO receipts: the packing-list receipt service has no UDF "
        "fields, and no UDF-only service exists for receipts."
    ),
    "change_order": "Spectrum has no UDF service for AR change orders: ARChangeOrder has no UDF fields.",
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


def no_udf_reason(document_type: str) -> str:
    """Why ``document_type`` takes no UDFs ("" when it takes them)."""
    if udf_slots(document_type):
        return ""
    return NO_UDF_SERVICE.get(document_type, "Spectrum's services for this document type have no UDF fields.")
