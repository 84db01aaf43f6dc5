"""Every rule a Spectrum help page documents for one record, declared once (docs/spectrum.md#rules-by-page).

The layout (``layouts.validate``) covers required elements, lengths, numbers, dates and listed
values; this table adds what a page says about the values themselves: dates in order, distinct
codes, amounts and percentages that may not be negative, levels, times, reserved fields. Both sides
run the same table:

- the simulator refuses a record that breaks a rule, with the message below
  (``simulator/puts.py``, ``simulator/rest.py``, ``simulator/superselect.py``);
- the client checks the same record before sending and reports the same message
  (``puts.Puts.put``, ``spectrum_sync/exports/writer.client_side_problems``).

A rule that needs Spectrum's own data (does the GL account exist, is it a direct job-cost account)
is listed in ``DATA_RULES``: only the simulator can enforce it; the table in docs/spectrum.md says so.
Messages follow Spectrum's pattern ``<Element> is invalid, <reason>`` with code ``I``
(docs/spectrum.md#replies-and-codes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from connectors.spectrum import layouts
from connectors.spectrum.errors import SpectrumMessage
from connectors.spectrum.rule_checks import (
    NOT_SUPERSELECT,
    Check,
    distinct,
    hhmmss,
    level,
    no_dashes,
    non_zero_quantity,
    not_before,
    not_negative,
    one_value,
    parameter_lengths,
    percent,
    positive,
    reserved,
    selection_form,
    sequence,
    version_format,
)

LWS = "https://help.viewpoint.com/spectrum/spectrum/api-web-services/list-of-web-services/"
PAGE_ADD_JOB = LWS + "job-cost-services/add-job"
PAGE_UPDATE_JOB = LWS + "job-cost-services/update-job"
PAGE_GET_JOB_MAIN = LWS + "job-cost-services/get-job---main"
PAGE_ADD_PHASE = LWS + "job-cost-services/add-job-phase"
PAGE_AR_INVOICE = LWS + "accounts-receivable-services/add-ar-invoice"
PAGE_CUSTOMER_INVOICE = LWS + "accounts-receivable-services/multi-line-customer-invoice"
PAGE_SUBCONTRACT = LWS + "accounts-payable-services/add-subcontract"
PAGE_CHANGE_ORDER = LWS + "accounts-receivable-services/add-ar-change-order"
PAGE_WORK_ORDER = LWS + "work-order-services/work-order-header"
PAGE_SERVICE_CONTRACT = LWS + "service-contract-services/update-service-contract"
PAGE_PO_BATCH = LWS + "purchase-order-services/purchase-order-batch"
PAGE_PACKING_LIST = LWS + "purchase-order-services/packing-list-quantity-receipt---two-step"
PAGE_TEST_CONNECTION = "https://help.trimble.com/en/spectrum/spectrum/api-web-services/developer-information"
PAGE_SUPERSELECT = (
    "https://help.viewpoint.com/en/spectrum/spectrum/getting-started/getting-started/"
    "reports--printing-overview/about-superselect"
)

# The lines of the REST documents (docs/spectrum.md#customer-invoice-rest, #purchase-orders-rest).
DETAIL_KEYS = {
    "customer/invoice": "invoiceDetails",
    "purchaseOrders": "poDetails",
    "vendor/invoice": "APInvoiceDetails",
}


@dataclass(frozen=True)
class Rule:
    """One documented rule: where it applies, what it says, how it is checked, its page."""

    services: tuple[str, ...]
    fields: tuple[str, ...]
    says: str  # the rule in plain words, for the table in docs/spectrum.md
    page: str
    check: Check
    lines: bool = False  # checked on each detail line of a REST document instead of its header
    simulator: bool = True
    client: bool = True


@dataclass(frozen=True)
class DataRule:
    """A documented rule that needs Spectrum's data: the simulator enforces it, the client cannot."""

    services: tuple[str, ...]
    fields: tuple[str, ...]
    says: str
    page: str
    message: str


# ---------------------------------------------------------------------------------------------
# the table

_AR = ("AddARInvoice", "customer/invoice")
_WORK_TAX = ("Work_State_Tax_Code", "Work_County_Tax_Code", "Work_Local_Tax_Cod")
_WO_TIMES = (
    "Time_Entered",
    "Estimated_Complete_Time",
    "Scheduled_Start_Time",
    "Time_Assigned",
    "Arrival_Time",
    "Complete_Time",
)
_PO_RESERVED = (
    "Equipment_Code",
    "Equipment_Category",
    "PM_Work_Order",
    "WO_Number",
    "System_ID",
    "Component_Number",
    "WO_Item_Price",
    "SC_Contract",
)

RULES: tuple[Rule, ...] = (
    Rule(
        ("WSTestConnection",),
        ("Version",),
        "Version in the format n.n",
        PAGE_TEST_CONNECTION,
        version_format("Version"),
    ),
    Rule(
        ("AddJob",),
        _WORK_TAX,
        "the three payroll work tax codes differ from each other",
        PAGE_ADD_JOB,
        distinct(*_WORK_TAX, what="payroll work tax codes"),
    ),
    Rule(
        ("AddJob",),
        ("Est_Start_Date", "Est_Complete_Date"),
        "the estimated complete date is not before the estimated start date",
        PAGE_ADD_JOB,
        not_before("Est_Complete_Date", "Est_Start_Date"),
    ),
    Rule(
        ("AddJob",),
        ("Start_Date", "Complete_Date"),
        "the complete date is not before the start date",
        PAGE_ADD_JOB,
        not_before("Complete_Date", "Start_Date"),
    ),
    Rule(
        ("AddPhase",),
        ("Phase_Code",),
        "the phase code fits the phase mask (no dashes)",
        PAGE_ADD_PHASE,
        no_dashes("Phase_Code"),
    ),
    Rule(
        _AR,
        ("Sales_Tax_Amount",),
        "the sales tax amount is positive",
        PAGE_AR_INVOICE,
        not_negative("Sales_Tax_Amount"),
    ),
    Rule(
        _AR,
        ("Retention_Amount", "Transaction_Type"),
        "the retention amount is positive; a negative retention needs a credit memo (Transaction_Type C)",
        PAGE_AR_INVOICE,
        not_negative("Retention_Amount", unless=("Transaction_Type", "C")),
    ),
    Rule(
        _AR,
        ("Retention_Percent",),
        "the retention percentage is between 0 and 100",
        PAGE_AR_INVOICE,
        percent("Retention_Percent"),
    ),
    Rule(
        ("AddARInvoice",),
        ("Line_Extension",),
        "the line extension is positive",
        PAGE_AR_INVOICE,
        not_negative("Line_Extension"),
    ),
    Rule(
        ("customer/invoice",),
        ("Line_Extension",),
        "each line's extension is positive",
        PAGE_CUSTOMER_INVOICE,
        not_negative("Line_Extension"),
        lines=True,
    ),
    Rule(
        ("UpdateSubcontract",),
        ("Retention_Percent", "Disc_Perc"),
        "retention and discount percentages are between 0 and 100",
        PAGE_SUBCONTRACT,
        percent("Retention_Percent", "Disc_Perc"),
    ),
    Rule(
        ("UpdateSubcontract",),
        ("Routing_Limit",),
        "the routing limit is positive",
        PAGE_SUBCONTRACT,
        not_negative("Routing_Limit"),
    ),
    Rule(
        ("ARChangeOrder",),
        ("Change_Order_Date", "Approved_Date"),
        "the approved date is not before the change order date",
        PAGE_CHANGE_ORDER,
        not_before("Approved_Date", "Change_Order_Date"),
    ),
    Rule(
        ("ARChangeOrder",),
        ("Fee_Percent",),
        "the fee percentage is between 0 and 100",
        PAGE_CHANGE_ORDER,
        percent("Fee_Percent"),
    ),
    Rule(
        ("ARChangeOrder",),
        ("Approved_Days",),
        "approved days are not negative",
        PAGE_CHANGE_ORDER,
        not_negative("Approved_Days"),
    ),
    Rule(
        ("WorkOrderHeader",),
        _WO_TIMES,
        "times are HHMMSS",
        PAGE_WORK_ORDER,
        hhmmss(*_WO_TIMES),
    ),
    Rule(
        ("WorkOrderHeader",),
        ("Material_Price_Level", "Price_Level"),
        "price levels are 1 to 5",
        PAGE_WORK_ORDER,
        level("Material_Price_Level", "Price_Level"),
    ),
    Rule(
        ("WorkOrderHeader",),
        ("Ordered_Date", "Complete_Date"),
        "the complete date is not before the ordered date",
        PAGE_WORK_ORDER,
        not_before("Complete_Date", "Ordered_Date"),
    ),
    Rule(
        ("WorkOrderHeader",),
        ("Total_Quote_Amount", "Projected_Hours"),
        "the quote amount and projected hours are positive",
        PAGE_WORK_ORDER,
        not_negative("Total_Quote_Amount", "Projected_Hours"),
    ),
    Rule(
        ("UpdateServiceContract",),
        ("Begin_Date", "End_Date"),
        "the end date is not before the begin date",
        PAGE_SERVICE_CONTRACT,
        not_before("End_Date", "Begin_Date"),
    ),
    Rule(
        ("UpdateServiceContract",),
        ("Material_Level", "Labor_Level"),
        "material and labor levels are 1 to 5",
        PAGE_SERVICE_CONTRACT,
        level("Material_Level", "Labor_Level"),
    ),
    Rule(
        ("UpdateServiceContract",),
        ("Contract_Amount",),
        "the contract amount is positive",
        PAGE_SERVICE_CONTRACT,
        not_negative("Contract_Amount"),
    ),
    Rule(
        ("purchaseOrders",),
        ("Terms_Percent",),
        "the terms percentage is between 0 and 100",
        PAGE_PO_BATCH,
        percent("Terms_Percent"),
    ),
    Rule(
        ("purchaseOrders",),
        _PO_RESERVED,
        "equipment, work order and service contract fields of a line are reserved (direct equipment or "
        "work order cost lines are refused)",
        PAGE_PO_BATCH,
        reserved(*_PO_RESERVED),
        lines=True,
    ),
    Rule(
        ("purchaseOrders",),
        ("Item_Discount_Percent",),
        "a line's discount percentage is between 0 and 100",
        PAGE_PO_BATCH,
        percent("Item_Discount_Percent"),
        lines=True,
    ),
    Rule(
        ("purchaseOrders",),
        ("PO_Quantity", "Detail_Entry_Type"),
        "a line's quantity is not zero unless it is a message line",
        PAGE_PO_BATCH,
        non_zero_quantity("PO_Quantity", "Detail_Entry_Type"),
        lines=True,
    ),
    Rule(
        ("purchaseOrder/PackingList",),
        ("Quantity_Received",),
        "the quantity received is more than zero (quantities per line, no receive in full)",
        PAGE_PACKING_LIST,
        positive("Quantity_Received"),
    ),
    Rule(
        ("purchaseOrder/PackingList",),
        ("PO_Line_Number",),
        "the PO line number is a line sequence 1 to 999",
        PAGE_PACKING_LIST,
        sequence("PO_Line_Number"),
    ),
)

LENGTH_RULE = "each parameter value within the parameter's maximum length"
_GETS = tuple(layout for layout in layouts.SOAP_SERVICES.values() if layout.kind == "get")
_GET_PAGE = LWS + "job-cost-services/get-job"

RULES += (
    Rule(
        tuple(g.name for g in _GETS),
        NOT_SUPERSELECT,
        "status, cost center and sort parameters take one value (no SuperSelect)",
        _GET_PAGE,
        one_value,
    ),
    Rule(
        tuple(g.name for g in _GETS),
        ("p*",),
        "a SuperSelect selection is a list of exact values, ranges low/high, wildcards, #exclusions or ALL",
        PAGE_SUPERSELECT,
        selection_form,
    ),
    *(Rule((g.name,), ("p*",), LENGTH_RULE, _GET_PAGE, parameter_lengths(g)) for g in _GETS),
)


def selection_problems(layout: layouts.Layout, params: Mapping[str, object]) -> list[SpectrumMessage]:
    """A Get's parameters by the table (the Get pages and the SuperSelect page)."""
    return record_problems(layout.name, params)


DIRECT = "it must be a direct job cost account"
NOT_DIRECT = "it must not be a direct job cost account"

DATA_RULES: tuple[DataRule, ...] = (
    DataRule(
        ("UpdateSubcontract",),
        ("GL_Account",),
        "the GL account is a direct job cost account",
        PAGE_SUBCONTRACT,
        DIRECT,
    ),
    DataRule(
        _AR,
        ("AR_GL_Account", "GL_Account"),
        "the receivable and revenue GL accounts are not direct job cost accounts",
        PAGE_AR_INVOICE,
        NOT_DIRECT,
    ),
)


def rules_for(service: str, *, lines: bool = False) -> list[Rule]:
    return [r for r in RULES if service in r.services and r.lines == lines]


def record_problems(service: str, record: Mapping[str, object], *, side: str = "client") -> list[SpectrumMessage]:
    """The problems of one record (a SOAP record, or a REST document's header) by this table."""
    return _run(rules_for(service), record, side)


def line_problems(service: str, line: Mapping[str, object], *, side: str = "client") -> list[SpectrumMessage]:
    flat = {k: v for k, v in line.items() if not isinstance(v, dict)}
    return _run(rules_for(service, lines=True), flat, side)


def document_problems(service: str, document: Mapping[str, object], *, side: str = "client") -> list[SpectrumMessage]:
    """A REST document: its header by the table, then each detail line."""
    detail_key = DETAIL_KEYS.get(service, "")
    header = {k: v for k, v in document.items() if k not in (detail_key, "Images")}
    problems = record_problems(service, header, side=side)
    lines = document.get(detail_key) if detail_key else None
    for line in lines if isinstance(lines, list) else ():
        if isinstance(line, Mapping):
            problems += line_problems(service, line, side=side)
    return problems


def _run(rules: Iterable[Rule], record: Mapping[str, object], side: str) -> list[SpectrumMessage]:
    out: list[SpectrumMessage] = []
    for rule in rules:
        if getattr(rule, side):
            out.extend(rule.check(record))
    return out


def before_sending(service: str, fields: Mapping[str, object], *, rest: bool) -> list[SpectrumMessage]:
    """What the client reports by this table before sending one call (the layout is checked beside it)."""
    return document_problems(service, fields) if rest else record_problems(service, fields)


# ---------------------------------------------------------------------------------------------
# the table in docs/spectrum.md#rules-by-page, generated from the one above


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _row(services: Iterable[str], fields: str, says: str, page: str, simulator: str, client: str) -> str:
    return f"| {', '.join(services)} | {fields} | {says} | {page} | {simulator} | {client} |"


def doc_table() -> str:
    """The Markdown table of every rule: services, fields, the rule, its page, who enforces it."""
    rows = ["| Service | Fields | Rule | Page | Simulator | Client |", "|---|---|---|---|---|---|"]
    lengths = [r for r in RULES if r.says == LENGTH_RULE]
    for rule in RULES:
        if rule.says == LENGTH_RULE and rule is not lengths[0]:
            continue  # one row for the maximum lengths of every Get
        services = [s for r in lengths for s in r.services] if rule.says == LENGTH_RULE else rule.services
        fields = ", ".join(rule.fields) + (" (each line)" if rule.lines else "")
        rows.append(_row(services, fields, rule.says, rule.page, _yes(rule.simulator), _yes(rule.client)))
    for data in DATA_RULES:
        rows.append(_row(data.services, ", ".join(data.fields), data.says, data.page, "yes", "no (Spectrum's data)"))
    return "\n".join(rows) + "\n"


START, END = "<!-- rules-by-page:start -->\n", "<!-- rules-by-page:end -->"


def write_doc(path: str) -> bool:
    """Rewrite the generated table between the markers of ``path``; True when it changed."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    new = f"{head}{START}{doc_table()}{END}{tail}"
    if new == text:
        return False
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(new)
    return True


if __name__ == "__main__":
    import sys

    print("updated" if write_doc(sys.argv[1] if len(sys.argv) > 1 else "docs/spectrum.md") else "unchanged")
