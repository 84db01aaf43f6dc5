"""One declaration per exported document type: all the engine needs to know about it."""

from __future__ import annotations

from dataclasses import dataclass

from mappings.mappers import MAPPERS, Mapper
from spectrum_sync.models import ObjectType


@dataclass(frozen=True)
class DocumentType:
    object_type: str  # SyncRecord.object_type
    api_name: str  # /api/v1/<api_name>/
    label: str
    mapper: Mapper
    # Services that create a new record each time they are called: after an unknown outcome they
    # are resent only once a lookup in Spectrum says the document is not there.
    creating_services: frozenset[str]
    # The mirror object type a successful export creates (released holds wait for it).
    creates_object: str = ""


DOCUMENT_TYPES: dict[str, DocumentType] = {
    d.object_type: d
    for d in (
        DocumentType(
            ObjectType.AR_INVOICE, "ar-invoices", "AR invoice", MAPPERS["ar_invoice"], frozenset({"customer/invoice"})
        ),
        DocumentType(ObjectType.JOB, "jobs", "Job", MAPPERS["job"], frozenset({"AddJob"}), creates_object="job"),
        # Our receipt sequence is sent as Receipt_Number, so the receipt can be looked up; the help page
        # says duplicates are updated, but a lookup before a resend is cheaper than trusting that.
        DocumentType(
            ObjectType.PO_RECEIPT,
            "po-receipts",
            "PO receipt",
            MAPPERS["po_receipt"],
            frozenset({"purchaseOrder/PackingList"}),
        ),
        # WorkOrderHeader with our WO_Number, UpdateSubcontract(Phases) and ARChangeOrder add or update
        # by key (docs/spectrum.md#rules-per-service): a resend updates, it does not create a second document.
        DocumentType(ObjectType.MAINTENANCE, "maintenances", "Maintenance", MAPPERS["maintenance"], frozenset()),
        DocumentType(ObjectType.COMMITMENT, "commitments", "Commitment", MAPPERS["commitment"], frozenset()),
        DocumentType(ObjectType.CHANGE_ORDER, "change-orders", "Change order", MAPPERS["change_order"], frozenset()),
    )
}

BY_API_NAME: dict[str, DocumentType] = {d.api_name: d for d in DOCUMENT_TYPES.values()}
