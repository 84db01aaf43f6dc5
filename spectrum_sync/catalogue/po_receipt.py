"""PO receipts: a two-step packing-list receipt, one record per PO line, over REST."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mappings.mappers import map_po_receipt
from spectrum_sync.api.serializers import POReceiptSerializer
from spectrum_sync.catalogue.base import DatedColumns, ExportType


def post(client: Any, company: str, fields: Mapping[str, Any]) -> list[Any]:
    # docs/spectrum.md#packing-list-receipt-rest, one record per PO line.
    return list(client.post_po_receipts(company, list(fields["lines"])))


EXPORT = ExportType(
    name="po_receipt",
    api_name="po-receipts",
    label="PO receipt",
    serializer=POReceiptSerializer,
    mapper=map_po_receipt,
    services=("purchaseOrder/PackingList",),
    # Our receipt sequence is sent as Receipt_Number, so the receipt can be looked up; the help page
    # says duplicates are updated, but a lookup before a resend is cheaper than trusting that.
    creating_services=frozenset({"purchaseOrder/PackingList"}),
    # A receipt with the same receipt number is updated, not added (docs/spectrum.md#packing-list-receipt-rest).
    resend_is_safe=True,
    rest_post=post,
    dated=DatedColumns("PO", (("Receipt_Date", ("receipt_date",)),)),
)
