"""What Spectrum holds of the documents we export, per period: read from Info-Link for reconciliation.

The tables are those of ``database.DOCUMENT_KINDS`` (docs/spectrum.md#tables-read-to-reconcile-exports);
this module adds, per kind, the column that dates a document, the columns that add up to its total
and the columns of its lines, as the simulator's store declares them
(``connectors/spectrum/simulator/store.py``; where the name is chosen, docs/spectrum.md says so).

One statement per kind and period: the headers dated in the period, their lines summed beside them
(``LEFT JOIN`` + ``GROUP BY``), the same ANSI text on SQL Server, PostgreSQL and SQLite. Dates are
compared as ``date >= first day AND date < day after the last``, so a ``datetime`` column counts
its whole last day. Keys are padded as Spectrum stores them (``database.padded``) and come back trimmed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from connectors.spectrum.database import (
    DOCUMENT_KINDS,
    SQLITE_DRIVER,
    SpectrumDatabase,
    date_or_none,
    decimal_or_none,
    padded,
    text,
)
from connectors.spectrum.schema import Names


@dataclass(frozen=True)
class LedgerKind:
    """How one exported document type is found and totalled in its Spectrum tables."""

    kind: str  # a DOCUMENT_KINDS key
    key_columns: tuple[str, ...]  # what identifies one document within a company
    date_column: str  # the header's document date, which places it in a period
    party_column: str = ""  # customer, vendor or job shown beside the number
    header_amounts: tuple[str, ...] = ()  # header columns that add up to the total
    tax_column: str = ""
    line_amount: str = ""  # a lines column summed into the total (the header's own rows if no lines table)
    line_quantity: str = ""
    credit_column: tuple[str, str] = ("", "")  # (column, value) that marks the amounts as a credit
    own_rows: bool = False  # the header table holds one row per line (PO receipts)

    @property
    def header_table(self) -> str:
        return DOCUMENT_KINDS[self.kind].table

    @property
    def lines_table(self) -> str:
        return DOCUMENT_KINDS[self.kind].lines_table

    @property
    def lines_join(self) -> tuple[str, ...]:
        return DOCUMENT_KINDS[self.kind].lines_join


# Column names per docs/spectrum.md#tables-read-to-reconcile-exports and the store's declarations.
LEDGER_KINDS: dict[str, LedgerKind] = {
    k.kind: k
    for k in (
        # docs/spectrum.md#customer-invoice-rest: extension (the lines) plus sales tax; type C is a credit memo.
        LedgerKind(
            "ar_invoice",
            ("Invoice_Or_Transaction",),
            "Invoice_Date",
            "Customer_Code",
            header_amounts=("Invoice_Extension", "Sales_Tax_Amount"),
            tax_column="Sales_Tax_Amount",
            line_amount="Line_Extension",
            credit_column=("Transaction_Type", "C"),
        ),
        # docs/spectrum.md#addjob: the original contract amount; the job is dated by the day it was created.
        LedgerKind("job", ("Job_Number",), "Create_Date", "Customer_Code", header_amounts=("Original_Contract",)),
        # docs/spectrum.md#packing-list-receipt-rest: one row per PO line received; quantities are what we send.
        LedgerKind(
            "po_receipt",
            ("PO_Number", "Receipt_Number"),
            "Receipt_Date",
            "Vendor_Code",
            line_amount="Received_Amount",
            line_quantity="Quantity_Received",
            own_rows=True,
        ),
        # docs/spectrum.md#updatesubcontractphases: the schedule of values adds up to the subcontract.
        LedgerKind(
            "subcontract",
            ("Vendor_Code", "Subcontract_Number"),
            "Date_Issued",
            "Job_Number",
            line_amount="Original_Contract_Amount",
        ),
        # docs/spectrum.md#archangeorder: the revenue of its lines.
        LedgerKind(
            "ar_change_order",
            ("Job_Number", "Customer_Code", "Change_Order_Number"),
            "Change_Order_Date",
            "Customer_Code",
            line_amount="Revenue",
        ),
        # docs/spectrum.md#workorderheader: we send no amount, so work orders are counted, not totalled.
        LedgerKind("work_order", ("WO_Number",), "Scheduled_Start_Date", "Bill_Customer_Code"),
    )
}


@dataclass(frozen=True)
class SpectrumDocument:
    """One document as Spectrum holds it: numbers trimmed, money as Decimal."""

    kind: str
    key: tuple[str, ...]  # upper-cased, trimmed key values in LedgerKind.key_columns order
    number: str  # the key joined with "/", as people read it
    party: str
    dated: date | None
    total: Decimal | None
    tax: Decimal | None
    quantity: Decimal | None
    line_count: int


def normal_key(values: Sequence[Any]) -> tuple[str, ...]:
    """Key values as both sides compare them: trimmed, upper case (Spectrum keys are upper case)."""
    return tuple(text(v).upper() for v in values)


def _select(spec: LedgerKind, header: Names, lines: Names) -> tuple[str, str]:
    """The SELECT list and FROM clause of one kind's documents with their lines summed (the database's names)."""
    h = header.column
    columns = [f"h.{h(c)} AS key_{n}" for n, c in enumerate(spec.key_columns)]
    columns.append(f"MAX(h.{h(spec.party_column)}) AS party" if spec.party_column else "'' AS party")
    columns.append(f"MAX(h.{h(spec.date_column)}) AS dated")
    columns += [f"MAX(h.{h(c)}) AS header_{n}" for n, c in enumerate(spec.header_amounts)]
    columns.append(f"MAX(h.{h(spec.tax_column)}) AS tax" if spec.tax_column else "NULL AS tax")
    if spec.credit_column[0]:
        columns.append(f"MAX(h.{h(spec.credit_column[0])}) AS credit_flag")
    source = f"{header.table} h"
    alias, d = "h", h
    if spec.lines_table and not spec.own_rows:
        d = lines.column
        join = " AND ".join(f"d.{d(c)} = h.{h(c)}" for c in ("Company_Code", *spec.lines_join))
        source += f" LEFT JOIN {lines.table} d ON {join}"
        alias = "d"
    if spec.line_amount:
        columns.append(f"SUM({alias}.{d(spec.line_amount)}) AS line_amount")
    if spec.line_quantity:
        columns.append(f"SUM({alias}.{d(spec.line_quantity)}) AS line_quantity")
    counted = spec.lines_join[0] if alias == "d" else spec.key_columns[0]
    has_lines = spec.lines_table or spec.own_rows
    columns.append(f"COUNT({alias}.{d(counted)}) AS line_count" if has_lines else "0 AS line_count")
    return ", ".join(columns), source


def _statement(
    database: SpectrumDatabase, spec: LedgerKind, conditions: Sequence[tuple[str, str]]
) -> tuple[str, Names]:
    """The statement, its WHERE from (our header column, "= ?" / ">= ?" ...) pairs, and the header's names."""
    header = database.schema.names(spec.header_table)
    lines = database.schema.names(spec.lines_table) if spec.lines_table else Names("")
    select, source = _select(spec, header, lines)
    group = ", ".join(f"h.{header.column(c)}" for c in spec.key_columns)
    where = " AND ".join(f"h.{header.column(column)} {test}" for column, test in conditions)
    sql = (
        f"SELECT {select} FROM {source} WHERE {where} "  # noqa: S608 - names declared above or resolved
        f"GROUP BY {group} ORDER BY {group}"
    )
    return sql, header


def _total(spec: LedgerKind, row: Mapping[str, Any]) -> Decimal | None:
    if spec.header_amounts:
        parts = [decimal_or_none(row.get(f"header_{n}")) for n in range(len(spec.header_amounts))]
        if all(p is None for p in parts):
            return None
        total = sum((p for p in parts if p is not None), Decimal(0))
    elif spec.line_amount:
        total_or_none = decimal_or_none(row.get("line_amount"))
        if total_or_none is None:
            return None
        total = total_or_none
    else:
        return None
    column, credit = spec.credit_column
    if column and text(row.get("credit_flag")).upper() == credit:
        return -total  # a credit memo holds positive amounts (docs/spectrum.md#addarinvoice)
    return total


def _document(spec: LedgerKind, row: Mapping[str, Any]) -> SpectrumDocument:
    key = normal_key([row.get(f"key_{n}") for n in range(len(spec.key_columns))])
    return SpectrumDocument(
        kind=spec.kind,
        key=key,
        number="/".join(key),
        party=text(row.get("party")),
        dated=date_or_none(row.get("dated")),
        total=_total(spec, row),
        tax=decimal_or_none(row.get("tax")),
        quantity=decimal_or_none(row.get("line_quantity")),
        line_count=int(row.get("line_count") or 0),
    )


def _day(database: SpectrumDatabase, day: date) -> Any:
    # The SQLite demo store keeps dates as ISO text; the ODBC drivers take a date parameter.
    return day.isoformat() if database.config.driver == SQLITE_DRIVER else day


def documents_in_period(
    database: SpectrumDatabase, kind: str, company: str, first: date, last: date
) -> list[SpectrumDocument]:
    """Every ``kind`` document of ``company`` dated from ``first`` to ``last`` (inclusive)."""
    spec = LEDGER_KINDS[kind]
    conditions = [("Company_Code", "= ?"), (spec.date_column, ">= ?"), (spec.date_column, "< ?")]
    sql, header = _statement(database, spec, conditions)
    params = [padded("Company_Code", company), _day(database, first), _day(database, last + timedelta(days=1))]
    return [_document(spec, row) for row in database.rows(sql, params, header.table)]


def find_documents(
    database: SpectrumDatabase, kind: str, company: str, keys: Sequence[tuple[str, ...]]
) -> Iterator[SpectrumDocument]:
    """The documents with these keys (any date); keys Spectrum does not have yield nothing."""
    spec = LEDGER_KINDS[kind]
    conditions = [("Company_Code", "= ?"), *((c, "= ?") for c in spec.key_columns)]
    sql, header = _statement(database, spec, conditions)
    for key in keys:
        params = [padded("Company_Code", company), *(padded(c, v) for c, v in zip(spec.key_columns, key, strict=True))]
        for row in database.rows(sql, params, header.table):
            yield _document(spec, row)


def record_keys(database: SpectrumDatabase, object_type: str, company: str) -> set[str]:
    """The keys of every ``object_type`` record of ``company``, as the import mirror keys them."""
    return {record.key for record in database.iter_records(object_type, company)}
