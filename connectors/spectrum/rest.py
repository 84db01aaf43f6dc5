"""The REST services: document batches (one result per document) and the paged Get Vendors.

Each batch service is declared once in :data:`DOCUMENTS`: its layout, the JSON key that holds the
batch and the key of its detail lines. Every document is validated against the layout first; the
ones that fail never leave and come back as client-side results beside Spectrum's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from connectors.replies import reply_text
from connectors.spectrum import layouts
from connectors.spectrum.errors import (
    SpectrumAuthorizationError,
    SpectrumBadReply,
    SpectrumMessage,
    SpectrumUnknownOutcome,
)
from connectors.spectrum.layouts import Layout
from connectors.spectrum.readers import _vendor
from connectors.spectrum.records import Vendor
from connectors.spectrum.transport import Transport

REST_PAGE = 500


@dataclass
class RestResult:
    """One document of a REST batch: imported or rejected, with Spectrum's messages."""

    index: int
    ok: bool
    key: str = ""  # the document number Spectrum used or assigned (invoice / PO number)
    messages: list[SpectrumMessage] = field(default_factory=list)
    client_side: bool = False


@dataclass(frozen=True)
class RestDocument:
    """One REST batch service: its layout, the JSON key of the batch, the key of the detail lines."""

    layout: Layout
    root: str
    detail_key: str  # "" when a document has no detail lines


DOCUMENTS: dict[str, RestDocument] = {
    d.layout.name: d
    for d in (
        # POST /customer/invoice (docs/spectrum.md#customer-invoice-rest)
        RestDocument(layouts.CUSTOMER_INVOICE, "arInvoices", "invoiceDetails"),
        # POST /purchaseOrders (docs/spectrum.md#purchase-orders-rest)
        RestDocument(layouts.PURCHASE_ORDERS, "purchaseOrders", "poDetails"),
        # POST /vendor/invoice (docs/spectrum.md#vendor-invoice-rest)
        RestDocument(layouts.VENDOR_INVOICE, "APInvoices", "APInvoiceDetails"),
        # Two-step packing-list quantity receipts, one record per PO line received,
        # POST /purchaseOrder/PackingList (docs/spectrum.md#packing-list-receipt-rest)
        RestDocument(layouts.PACKING_LIST_RECEIPT, "purchaseOrdersPackingLists", ""),
    )
}


class Rest:
    """The REST calls of one connection."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def post_documents(self, service: str, company: str, documents: list[dict[str, Any]]) -> list[RestResult]:
        spec = DOCUMENTS[service]
        layout = spec.layout
        results: dict[int, RestResult] = {}
        to_send: list[tuple[int, dict[str, Any]]] = []
        for index, doc in enumerate(documents):
            problems = _validate_document(layout, doc, spec.detail_key)
            if problems:
                results[index] = RestResult(index, False, _doc_key(layout, doc), problems, client_side=True)
            else:
                to_send.append((index, doc))
        if to_send:
            body = {spec.root: [doc for _i, doc in to_send]}
            resp = self.transport.send(
                layout.name, "POST", f"/{layout.name}", json_body=body, rest_company=company, put=True
            )
            answers = _rest_results(resp, layout.name)
            if len(answers) != len(to_send):
                raise SpectrumUnknownOutcome(
                    f"answer lists {len(answers)} results for {len(to_send)} documents",
                    service=layout.name,
                    detail=self.transport.redacted(reply_text(resp.content)[:4000]),
                )
            for (index, _doc), answer in zip(to_send, answers, strict=True):
                answer.index = index
                results[index] = answer
        return [results[i] for i in range(len(documents))]

    def probe(self, service: str, company: str) -> None:
        """An empty batch: Spectrum checks the authorization and imports nothing."""
        body: dict[str, list[Any]] = {DOCUMENTS[service].root: []}
        self.transport.send(service, "POST", f"/{service}", json_body=body, rest_company=company, put=True)

    def iter_vendors(self, company: str, **filters: str) -> Iterator[Vendor]:
        """REST Get Vendors (active vendors only), paged with ``$limit`` / ``$skip``."""
        # GET /vendors/{Company_Code} (docs/spectrum.md#get-vendors-rest); paging per a third-party doc
        skip = 0
        while True:
            params = {**filters, "$limit": str(REST_PAGE), "$skip": str(skip)}
            resp = self.transport.send(
                "GetVendors(REST)", "GET", f"/vendors/{quote(company)}", params=params, rest_company=company
            )
            page = _json_list(resp, "GetVendors(REST)")
            for row in page:
                yield _vendor({k: layouts.as_text(v) for k, v in row.items()}, company)
            if len(page) < REST_PAGE:
                return
            skip += len(page)


def _json_list(resp: requests.Response, service: str) -> list[dict[str, Any]]:
    try:
        body = resp.json()
    except ValueError:
        raise SpectrumBadReply("reply is not JSON", service=service) from None
    if isinstance(body, dict):
        body = body.get("vendors", body.get("value", []))
    if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
        raise SpectrumBadReply("reply is not a list of vendors", service=service)
    return body


def _rest_results(resp: requests.Response, service: str) -> list[RestResult]:
    """Per-document results of a REST batch. The reply shape is not documented
    (docs/spectrum.md#rest-replies); this reads the simulator's
    ``{"results": [{"status", "key", "messages": [...]}]}``."""
    try:
        body = resp.json()
    except ValueError:
        raise SpectrumUnknownOutcome(
            "reply is not JSON", service=service, detail=reply_text(resp.content)[:2000]
        ) from None
    items = body.get("results") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise SpectrumUnknownOutcome(
            "reply has no results list", service=service, detail=reply_text(resp.content)[:2000]
        )
    out: list[RestResult] = []
    for i, item in enumerate(items):
        messages = [
            SpectrumMessage(str(m.get("error_code", "")), str(m.get("desc", "")), str(m.get("column", "")))
            for m in item.get("messages", [])
        ]
        if any(m.code == "A" for m in messages):
            first = next(m for m in messages if m.code == "A")
            raise SpectrumAuthorizationError(first.message, service=service, column=first.column)
        out.append(RestResult(i, item.get("status") == "imported", str(item.get("key", "")), messages))
    return out


def _validate_document(layout: Layout, doc: Mapping[str, Any], detail_key: str) -> list[SpectrumMessage]:
    header = {k: v for k, v in doc.items() if k not in (detail_key, "Images")}
    problems = layouts.validate_fields(layout.fields, header)
    if detail_key:
        details = doc.get(detail_key) or []
        if not details:
            problems.append(SpectrumMessage("M", f"{detail_key} is missing, a document needs detail lines", detail_key))
        for line in details:
            flat = {k: v for k, v in line.items() if not isinstance(v, dict)}
            problems.extend(layouts.validate_fields(layout.detail, flat))
    return problems


def _doc_key(layout: Layout, doc: Mapping[str, Any]) -> str:
    return layouts.as_text(doc.get(layout.key[-1], "")) if layout.key else ""
