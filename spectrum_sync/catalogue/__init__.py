"""The catalogue of exported document types: one module per type, read by the engine, the writer,
the pre-flight, the API and the health check instead of branching on a type's name."""

from __future__ import annotations

from spectrum_sync.catalogue import ar_invoice, change_order, commitment, job, maintenance, po_receipt
from spectrum_sync.catalogue.base import ExportType, RestPost

EXPORTS: dict[str, ExportType] = {
    t.name: t
    for t in (
        ar_invoice.EXPORT,
        job.EXPORT,
        po_receipt.EXPORT,
        maintenance.EXPORT,
        commitment.EXPORT,
        change_order.EXPORT,
    )
}


def export_type(name: str) -> ExportType | None:
    """The declaration of ``name`` (an ObjectType value); None if it is not an exported type."""
    return EXPORTS.get(name)


def rest_post_for(service: str) -> RestPost | None:
    """The REST sender of the type that calls ``service``; None if no type sends it over REST."""
    for declared in EXPORTS.values():
        if declared.rest_post is not None and service in declared.services:
            return declared.rest_post
    return None


__all__ = ["EXPORTS", "ExportType", "export_type", "rest_post_for"]
