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
    SpectrumRejected,
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
    # A 2xx in a reply shape we do not recognise: accepted, and only read-back can confirm it.
    unconfirmed: bool = False


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
        # Scheduled visits on a service contract, POST /serviceContract/Visit; tasks are optional
        # (docs/spectrum.md#service-contract-visit-rest)
        RestDocument(layouts.SERVICE_CONTRACT_VISIT, "serviceContractVisits", "Visit_Tasks"),
    )
}
# Batch services whose documents may have no detail lines (the visit page: "tasks if needed").
OPTIONAL_DETAILS = frozenset({layouts.SERVICE_CONTRACT_VISIT.name})


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
            answers = _rest_results(resp, layout.name, [_doc_key(layout, doc) for _i, doc in to_send])
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
        problems = layouts.validate_fields(layouts.GET_VENDORS_REST_PARAMS, filters)
        if problems:
            raise SpectrumRejected(problems, service=VENDORS_REST, client_side=True)
        skip = 0
        while True:
            params = {**filters, "$limit": str(REST_PAGE), "$skip": str(skip)}
            resp = self.transport.send(
                VENDORS_REST, "GET", f"/vendors/{quote(company)}", params=params, rest_company=company
            )
            page = _json_list(resp, VENDORS_REST)
            for row in page:
                yield rest_vendor(row, company)
            if len(page) < REST_PAGE:
                return
            skip += len(page)


VENDORS_REST = "GetVendors(REST)"
_ERROR_KEYS = (("Error_Code", "Error_Description", "Error_Column"), ("error_code", "desc", "column"))


def rest_vendor(row: Mapping[str, Any], company: str) -> Vendor:
    """One row of REST Get Vendors as a record. A row carrying an error code, in the Get spelling or
    the Put spelling, is Spectrum refusing the read, never a vendor (docs/spectrum.md#replies-and-codes)."""
    for code_key, text_key, column_key in _ERROR_KEYS:
        code = layouts.as_text(row.get(code_key, "")).strip()
        if code:
            message = SpectrumMessage(
                code, layouts.as_text(row.get(text_key, "")), layouts.as_text(row.get(column_key, ""))
            )
            if code in ("A", "E") or message.column in ("Authorization_ID", "Company_Code", "pCompany_Code"):
                raise SpectrumAuthorizationError(message.message, service=VENDORS_REST, column=message.column)
            raise SpectrumRejected([message], service=VENDORS_REST)
    text = {k: layouts.as_text(v) for k, v in row.items()}
    # The page returns active vendors only and no status column: every row is an active vendor.
    text.setdefault("Status", "Active")
    return _vendor(text, company)


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


def _rest_results(resp: requests.Response, service: str, keys: list[str]) -> list[RestResult]:
    """Per-document results of a REST batch, from the reply shapes we can justify
    (docs/spectrum.md#rest-replies); ``keys`` are the documents' own numbers, in order.

    1. ``{"results": [{"status", "key", "messages": [...]}]}`` — one result per document (our
       simulator; the shape the pages' "valid ones imported, invalid ones rejected" implies).
    2. Spectrum's Put-style messages — a list of ``{"error_code", "desc", "column"}``, bare or under
       ``messages`` — for a batch of one document: they are that document's answer.
    3. Anything else: with a 2xx every document is accepted but unconfirmed (read-back decides,
       nothing is resent); with a 400 in JSON the batch was refused and the reply is quoted; a server
       error (5xx, or a body that is not JSON) may have been applied: the outcome is unknown, and the
       document is looked up before any resend.
    """
    try:
        body = resp.json()
    except ValueError:
        body = None
    items = body.get("results") if isinstance(body, dict) else None
    if isinstance(items, list) and all(isinstance(item, dict) for item in items):
        return [_result(i, item, service) for i, item in enumerate(items)]
    messages = _put_style_messages(body)
    if messages is not None and len(keys) == 1:
        return [_result(0, {"messages": messages, "key": keys[0], "status": _status_of(messages)}, service)]
    if resp.status_code < 300:
        return [RestResult(i, True, key, [], unconfirmed=True) for i, key in enumerate(keys)]
    if resp.status_code >= 500 or body is None:
        # A server error (a SOAP fault page, say) after the request left: it may have been applied.
        raise SpectrumUnknownOutcome(
            f"HTTP {resp.status_code} in a reply that is not a batch result",
            service=service,
            detail=reply_text(resp.content)[:2000],
        )
    quoted = reply_text(resp.content)[:500]
    refused = SpectrumMessage("I", f"Spectrum refused the batch (HTTP {resp.status_code}): {quoted}")
    return [RestResult(i, False, key, [refused]) for i, key in enumerate(keys)]


def _result(index: int, item: Mapping[str, Any], service: str) -> RestResult:
    messages = [
        SpectrumMessage(
            str(m.get("error_code", m.get("Error_Code", ""))),
            str(m.get("desc", m.get("Error_Description", ""))),
            str(m.get("column", m.get("Error_Column", ""))),
        )
        for m in item.get("messages", [])
        if isinstance(m, dict)
    ]
    if any(m.code == "A" for m in messages):
        first = next(m for m in messages if m.code == "A")
        raise SpectrumAuthorizationError(first.message, service=service, column=first.column)
    return RestResult(index, item.get("status") == "imported", str(item.get("key", "")), messages)


def _put_style_messages(body: Any) -> list[dict[str, Any]] | None:
    """The Put services' message list (docs/spectrum.md#replies-and-codes), if ``body`` is one."""
    if isinstance(body, dict):
        body = body.get("messages", body.get("Messages"))
    if not isinstance(body, list) or not body or not all(isinstance(m, dict) for m in body):
        return None
    if not all(any(k.lower() == "error_code" for k in m) for m in body):
        return None
    return [{k.lower() if k.lower() in ("error_code", "desc", "column") else k: v for k, v in m.items()} for m in body]


def _status_of(messages: list[dict[str, Any]]) -> str:
    """Put codes: I / M / E reject the record; G, S (and W, a warning) let it through."""
    codes = {str(m.get("error_code", "")).upper() for m in messages}
    return "rejected" if codes & {"I", "M", "E"} else "imported"


def _validate_document(layout: Layout, doc: Mapping[str, Any], detail_key: str) -> list[SpectrumMessage]:
    header = {k: v for k, v in doc.items() if k not in (detail_key, "Images")}
    problems = layouts.validate_fields(layout.fields, header)
    if detail_key:
        details = doc.get(detail_key) or []
        if not details and layout.name not in OPTIONAL_DETAILS:
            problems.append(SpectrumMessage("M", f"{detail_key} is missing, a document needs detail lines", detail_key))
        for line in details:
            flat = {k: v for k, v in line.items() if not isinstance(v, dict)}
            problems.extend(layouts.validate_fields(layout.detail, flat))
    return problems


def _doc_key(layout: Layout, doc: Mapping[str, Any]) -> str:
    return layouts.as_text(doc.get(layout.key[-1], "")) if layout.key else ""
