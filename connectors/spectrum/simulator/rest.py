"""The REST (JSON) services of the simulator (docs/spectrum.md#get-vendors-rest,
docs/spectrum.md#customer-invoice-rest, docs/spectrum.md#purchase-orders-rest, docs/spectrum.md#vendor-invoice-rest,
docs/spectrum.md#packing-list-receipt-rest, docs/spectrum.md#service-contract-visit-rest).

A batch imports its valid documents and rejects the invalid ones individually. The reply body is
not documented (docs/spectrum.md#rest-replies); the simulator answers ``{"results": [{"status": "imported" |
"rejected", "key": <document number>, "messages": [{"error_code", "desc", "column"}]}]}`` with 200
when every document was imported and 400 otherwise. Each handler returns ``(messages, key)`` like
the Put services; ``key`` is the natural key written, empty when rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from connectors.spectrum import layouts
from connectors.spectrum.errors import SpectrumMessage
from connectors.spectrum.simulator import gets, writes
from connectors.spectrum.simulator.puts import (
    Msg,
    PutContext,
    Result,
    _ar_header,
    _ar_invoice_checks,
    check_cost_type,
    check_gl,
    check_job,
    check_positive,
    check_vendor,
    day,
    exists,
    good,
    invalid,
    number,
    to_row,
    v,
)
from connectors.spectrum.simulator.store import Store, pad


def _validate(
    layout: layouts.Layout, doc: Mapping[str, Any], detail_key: str, *, lines_required: bool = True
) -> list[SpectrumMessage]:
    header = {k: val for k, val in doc.items() if k not in (detail_key, "Images")}
    problems = layouts.validate_fields(layout.fields, header)
    if detail_key:
        lines = doc.get(detail_key) or []
        if not isinstance(lines, list) or (lines_required and not lines):
            return [*problems, Msg("M", f"{detail_key} is missing, a document needs detail lines", detail_key)]
        for line in lines:
            flat = {k: val for k, val in line.items() if not isinstance(val, dict)}
            problems += layouts.validate_fields(layout.detail, flat)
    return problems


def customer_invoice(ctx: PutContext, doc: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#customer-invoice-rest: AddARInvoice's rules, many lines
    problems = _validate(layouts.CUSTOMER_INVOICE, doc, "invoiceDetails")
    if problems:
        return problems, ""
    lines = list(doc["invoiceDetails"])
    problems = _ar_invoice_checks(ctx, doc)
    for line in lines:
        problems += check_positive(line, "Line_Extension") + check_gl(ctx, v(line, "GL_Account"), "GL_Account")
    if problems:
        return problems, ""
    number_ = v(doc, "Invoice_Or_Transaction")
    total = sum((number(line.get("Line_Extension", "")) or Decimal(0) for line in lines), Decimal(0))
    with ctx.store.transaction():
        writes.insert(ctx.store, "CR_INVOICE_HEADER_MC", _ar_header(ctx, doc, total))
        for i, line in enumerate(lines, start=1):
            row = to_row(ctx.store, "CR_INVOICE_DETAIL_MC", line)
            row.update(Company_Code=ctx.company, Invoice_Or_Transaction=number_, Line_Number=i)
            writes.insert(ctx.store, "CR_INVOICE_DETAIL_MC", row)
    return [good("Invoice_Or_Transaction", number_)], f"{ctx.company}|{number_}"


def purchase_order(ctx: PutContext, doc: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#purchase-orders-rest: new POs added, Proposed ones replaced, Open/Closed refused
    problems = _validate(layouts.PURCHASE_ORDERS, doc, "poDetails")
    if problems:
        return problems, ""
    lines = list(doc["poDetails"])
    if len(lines) > 999:
        return [invalid("poDetails", "poDetails is invalid, a PO has at most 999 lines")], ""
    number_ = v(doc, "PO_Number")
    existing = (
        exists(ctx.store, "PO_PURCHASE_ORDER_HEADER_MC", Company_Code=ctx.company, PO_Number=number_)
        if number_
        else None
    )
    problems = check_vendor(ctx, v(doc, "Vendor_Code")) + check_job(ctx, v(doc, "Job_Number"))
    if existing is not None and existing["Status_Flag"] != "P":
        problems.append(invalid("PO_Number", f"PO_Number {number_} is Open or Closed and cannot be updated"))
    for line in lines:
        problems += check_cost_type(ctx, v(line, "Cost_Type"))
        if v(line, "Detail_Entry_Type").upper() != "M" and not number(line.get("PO_Quantity", "")):
            problems.append(invalid("PO_Quantity", "PO_Quantity is invalid, it must not be zero"))
    if problems:
        return problems, ""
    with ctx.store.transaction():
        if not number_:
            number_ = ctx.store.next_number("PO_PURCHASE_ORDER_HEADER_MC", "PO_Number", ctx.company, start=20001)
        if existing is not None:
            ctx.store.execute(
                "DELETE FROM PO_PURCHASE_ORDER_DETAIL_MC WHERE Company_Code = ? AND PO_Number = ?",
                [pad("Company_Code", ctx.company), number_],
            )
        total = Decimal(0)
        for i, line in enumerate(lines, start=1):
            row = to_row(ctx.store, "PO_PURCHASE_ORDER_DETAIL_MC", line)
            qty, price = (
                number(line.get("PO_Quantity", "")) or Decimal(0),
                number(line.get("Item_Price", "")) or Decimal(0),
            )
            row.update(
                Company_Code=ctx.company,
                PO_Number=number_,
                Line_Number=i,
                Extension=(qty * price).quantize(Decimal("0.01")),
            )
            row.setdefault("Job_Number", v(doc, "Job_Number").upper() or None)
            row["Quantity_Received"] = Decimal(0)
            total += row["Extension"]
            writes.insert(ctx.store, "PO_PURCHASE_ORDER_DETAIL_MC", row)
        header = {
            **to_row(ctx.store, "PO_PURCHASE_ORDER_HEADER_MC", doc),
            "Company_Code": ctx.company,
            "PO_Number": number_,
        }
        header.setdefault("Status_Flag", "P")
        header.setdefault("PO_Order_Date", ctx.state.today())
        header["PO_Total"] = total
        writes.upsert(ctx.store, "PO_PURCHASE_ORDER_HEADER_MC", header)
    return [good("PO_Number", number_)], f"{ctx.company}|{number_}"


def vendor_invoice(ctx: PutContext, doc: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#vendor-invoice-rest: unique per vendor in any state; needs details
    problems = _validate(layouts.VENDOR_INVOICE, doc, "APInvoiceDetails")
    if problems:
        return problems, ""
    vendor, number_ = v(doc, "Vendor_Code").upper(), v(doc, "Invoice_Number")
    problems = check_vendor(ctx, vendor)
    if exists(
        ctx.store, "VN_GL_DISTRIBUTION_HEADER_MC", Company_Code=ctx.company, Vendor_Code=vendor, Invoice_Number=number_
    ):
        problems.append(invalid("Invoice_Number", f"Invoice_Number {number_} already exists for vendor {vendor}"))
    lines = list(doc["APInvoiceDetails"])
    total = Decimal(0)
    for line in lines:
        job = line.get("Job") or {}
        problems += check_job(ctx, v(job, "Job_Number"))
        distribution = line.get("Distribution") or {}
        problems += check_gl(ctx, v(distribution, "GL_Account"), "GL_Account")
        total += number(line.get("Amount", "")) or Decimal(0)
    invoice_amount = number(doc.get("Invoice_Amount", ""))
    if invoice_amount is not None and invoice_amount != total:
        problems.append(
            invalid("Invoice_Amount", "Invoice_Amount is invalid, it must equal the sum of the detail amounts")
        )
    if problems:
        return problems, ""
    with ctx.store.transaction():
        header = to_row(ctx.store, "VN_GL_DISTRIBUTION_HEADER_MC", doc)
        header.update(Company_Code=ctx.company, Vendor_Code=vendor, Invoice_Number=number_, Invoice_Amount=total)
        header.setdefault("Invoice_Date", ctx.state.today())
        header.setdefault("Status", "O")
        writes.insert(ctx.store, "VN_GL_DISTRIBUTION_HEADER_MC", header)
        for i, line in enumerate(lines, start=1):
            job = line.get("Job") or {}
            distribution = line.get("Distribution") or {}
            row = {
                "Company_Code": ctx.company,
                "Vendor_Code": vendor,
                "Invoice_Number": number_,
                "Line_Number": i,
                "Distribution_GL_Account": v(distribution, "GL_Account") or None,
                "Amount": number(line.get("Amount", "")),
                "Job_Number": v(job, "Job_Number").upper() or None,
                "Phase_Code": v(job, "Phase_Code").upper() or None,
                "Cost_Type": v(job, "Cost_Type").upper() or None,
                "Tax_Code": v(line, "Tax_Code") or None,
                "Remark": v(line, "Remark") or None,
            }
            writes.insert(ctx.store, "VN_GL_DISTRIBUTION_DETAIL_MC", row)
    return [good("Invoice_Number", number_)], f"{ctx.company}|{vendor}|{number_}"


def packing_list_receipt(ctx: PutContext, doc: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#packing-list-receipt-rest: PO Open, line and item on the PO, total received
    # not above the quantity due, blank receipt number = next available; a record sent again (same
    # PO, receipt and line) updates the one received before instead of adding a second.
    problems = layouts.validate_fields(layouts.PACKING_LIST_RECEIPT.fields, doc)
    if problems:
        return problems, ""
    po = v(doc, "PO_Number")
    header = exists(ctx.store, "PO_PURCHASE_ORDER_HEADER_MC", Company_Code=ctx.company, PO_Number=po)
    if header is None or header["Status_Flag"] != "O":
        return [invalid("PO_Number", f"PO_Number {po} does not exist or is not Open")], ""
    line_no = int(v(doc, "PO_Line_Number")) if v(doc, "PO_Line_Number").isdigit() else -1
    line = exists(ctx.store, "PO_PURCHASE_ORDER_DETAIL_MC", Company_Code=ctx.company, PO_Number=po, Line_Number=line_no)
    if line is None:
        return [invalid("PO_Line_Number", f"PO_Line_Number {v(doc, 'PO_Line_Number')} is not on PO {po}")], ""
    if (line["Item_ID"] or "").strip().upper() != v(doc, "Item_Code").upper():
        return [invalid("Item_Code", f"Item_Code {v(doc, 'Item_Code')} is not on line {line_no} of PO {po}")], ""
    receipt = v(doc, "Receipt_Number")
    key = {"Company_Code": ctx.company, "PO_Number": po, "Receipt_Number": receipt, "Line_Number": line_no}
    before = ctx.store.get("PO_RECEIVING_HISTORY_MC", key) if receipt else None
    if before is not None and (before["Invoice_Number"] or "").strip():
        return [invalid("Receipt_Number", f"Receipt_Number {receipt} is invoiced and cannot be updated")], ""
    received = number(doc.get("Quantity_Received", "")) or Decimal(0)
    earlier = (before["Quantity_Received"] or Decimal(0)) if before else Decimal(0)
    already = (line["Quantity_Received"] or Decimal(0)) - earlier
    if received <= 0 or already + received > (line["PO_Quantity"] or Decimal(0)):
        return [invalid("Quantity_Received", "Quantity_Received is invalid, it exceeds the quantity due")], ""
    with ctx.store.transaction():
        receipt = receipt or _next_receipt(ctx, po)
        unit = line["Item_Price"] or Decimal(0)
        row = {
            **key,
            "Receipt_Number": receipt,
            "Receipt_Date": day(doc.get("Receipt_Date", "")),
            "Vendor_Code": header["Vendor_Code"],
            "Job_Number": line["Job_Number"],
            "Phase_Code": line["Phase_Code"],
            "Cost_Type": line["Cost_Type"],
            "Quantity_Received": received,
            "Unit_Cost": unit,
            "Received_Amount": (received * unit).quantize(Decimal("0.01")),
        }
        writes.upsert(ctx.store, "PO_RECEIVING_HISTORY_MC", row)
        writes.update(
            ctx.store,
            "PO_PURCHASE_ORDER_DETAIL_MC",
            {"Company_Code": ctx.company, "PO_Number": po, "Line_Number": line_no},
            {"Quantity_Received": already + received},
        )
    return [good("Receipt_Number", receipt)], f"{ctx.company}|{po}|{receipt}|{line_no}"


def _next_receipt(ctx: PutContext, po: str) -> str:
    numbers = [
        int(r["Receipt_Number"])
        for r in ctx.store.find("PO_RECEIVING_HISTORY_MC", Company_Code=ctx.company, PO_Number=po)
        if str(r["Receipt_Number"]).isdigit()
    ]
    return f"{max(numbers, default=0) + 1:03d}"


def service_contract_visit(ctx: PutContext, doc: Mapping[str, Any]) -> Result:
    # docs/spectrum.md#service-contract-visit-rest: the site + contract must exist; a visit whose
    # header fields all match an existing one is that visit, and its tasks are added to it.
    problems = _validate(layouts.SERVICE_CONTRACT_VISIT, doc, "Visit_Tasks", lines_required=False)
    if problems:
        return problems, ""
    site, contract = v(doc, "Site_ID"), v(doc, "Contract_Number")
    key = {"Company_Code": ctx.company, "Site_ID": site, "Contract_Number": contract}
    if ctx.store.get("SC_CONTRACT_MC", key) is None:
        return [invalid("Contract_Number", f"Contract_Number {contract} does not exist for site {site}")], ""
    tasks = [t for t in doc.get("Visit_Tasks") or [] if any(v(t, name) for name in _TASK_FIELDS)]
    with ctx.store.transaction():
        visit = _same_visit(ctx, key, doc)
        if visit is None:
            visit = 1 + max((int(r["Visit_Number"]) for r in ctx.store.find("SC_CONTRACT_VISIT_MC", **key)), default=0)
            row = {**to_row(ctx.store, "SC_CONTRACT_VISIT_MC", doc), **key, "Visit_Number": visit}
            writes.insert(ctx.store, "SC_CONTRACT_VISIT_MC", row)
        visit_key = {**key, "Visit_Number": visit}
        first = 1 + len(ctx.store.find("SC_VISIT_TASK_MC", **visit_key))
        for line, task in enumerate(tasks, start=first):
            row = {**to_row(ctx.store, "SC_VISIT_TASK_MC", task), **visit_key, "Line_Number": line}
            writes.insert(ctx.store, "SC_VISIT_TASK_MC", row)
    return [good("Visit_Number", str(visit))], f"{ctx.company}|{site}|{contract}|{visit}"


_TASK_FIELDS = tuple(f.name for f in layouts.SERVICE_CONTRACT_VISIT.detail)
_VISIT_MATCH = ("Visit_Date", "Work_Summary", "Budget_Hours", "Budget_Cost")


def _same_visit(ctx: PutContext, key: Mapping[str, Any], doc: Mapping[str, Any]) -> int | None:
    """The visit with the same date, summary, budget hours and cost, if the contract has one."""
    wanted = to_row(ctx.store, "SC_CONTRACT_VISIT_MC", {name: doc.get(name, "") for name in _VISIT_MATCH})
    for row in ctx.store.find("SC_CONTRACT_VISIT_MC", **key):
        if all(_same(row.get(name), wanted.get(name)) for name in _VISIT_MATCH):
            return int(row["Visit_Number"])
    return None


def _same(stored: Any, sent: Any) -> bool:
    if isinstance(stored, str) or isinstance(sent, str):
        return (stored or "").strip() == (sent or "").strip()
    if isinstance(stored, Decimal) or isinstance(sent, Decimal):
        return (stored or Decimal(0)) == (sent or Decimal(0))
    return bool(stored == sent)


# GET /vendors/{Company_Code} returns these columns (docs/spectrum.md#get-vendors-rest): GetVendors'
# SOAP returns without the Type and Status we assume there, and without the Error_* trio.
VENDOR_RETURNS = tuple(
    name for name in layouts.GET_VENDORS.returns if name not in ("Type", "Status", *layouts.ERROR_RETURNS)
)


def vendors_page(store: Store, company: str, query: Mapping[str, str]) -> list[dict[str, str]]:
    """One page of REST Get Vendors: active vendors only, the page's columns, ``$limit``/``$skip``
    paging (a third-party connector's description). A parameter the page does not allow is answered
    with one row carrying the Get services' Error_* columns."""
    params = {k: val for k, val in query.items() if not k.startswith("$")}
    problems = layouts.validate_fields(layouts.GET_VENDORS_REST_PARAMS, params)
    if problems:
        first = problems[0]
        return [{"Error_Code": first.code, "Error_Description": first.message, "Error_Column": first.column}]
    limit = max(1, min(500, int(query.get("$limit", "25") or 25)))
    skip = max(0, int(query.get("$skip", "0") or 0))
    page: list[dict[str, str]] = []
    for i, row in enumerate(gets.vendors(store, company, params, active_only=True)):
        if i >= skip + limit:
            break
        if i >= skip:
            page.append({name: row[name] for name in VENDOR_RETURNS})
    return page


REST_POSTS: dict[str, tuple[str, Callable[[PutContext, Mapping[str, Any]], Result]]] = {
    "customer/invoice": ("arInvoices", customer_invoice),
    "purchaseOrders": ("purchaseOrders", purchase_order),
    "vendor/invoice": ("APInvoices", vendor_invoice),
    "purchaseOrder/PackingList": ("purchaseOrdersPackingLists", packing_list_receipt),
    "serviceContract/Visit": ("serviceContractVisits", service_contract_visit),
}


def company_of(doc: Mapping[str, Any], default: str) -> str:
    return v(doc, "Company_Code").upper() or default
