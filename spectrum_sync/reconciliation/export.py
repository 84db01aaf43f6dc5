"""The report as CSV: one line per document type (its totals), then one per difference.

Written through the project's one CSV writer (``adminsite/history.py`` ``csv_lines``), so text from
outside (document numbers, Spectrum's values) can never run as a spreadsheet formula, while amounts
stay numbers a spreadsheet adds up.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from spectrum_sync.adminsite.history import csv_lines
from spectrum_sync.models import ReconciliationReport

HEADER = (
    "row",
    "document_type",
    "difference",
    "document",
    "customer_vendor_or_job",
    "platform_date",
    "spectrum_date",
    "platform_count",
    "spectrum_count",
    "platform_total",
    "spectrum_total",
    "spectrum_minus_platform",
    "spectrum_at_read_back",
    "measure",
    "explanation",
)


def _amount(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text)) if text not in (None, "") else None
    except InvalidOperation:
        return None


def _total_rows(report: ReconciliationReport) -> Iterator[tuple[Any, ...]]:
    for line in report.summary.get("documents", []):
        ours, theirs = line["ours"], line["spectrum"]
        yield (
            "total",
            line["label"],
            "",
            "",
            "",
            "",
            "",
            ours["count"],
            theirs["count"],
            _amount(ours["total"]),
            _amount(theirs["total"]),
            None,
            None,
            line.get("measure", "amount"),
            line.get("error", ""),
        )


def _difference_rows(report: ReconciliationReport) -> Iterator[tuple[Any, ...]]:
    for item in report.differences:
        yield (
            "difference",
            item["type_label"],
            item["kind_label"],
            item["number"],
            item["party"],
            item["our_date"],
            item["spectrum_date"],
            None,
            None,
            _amount(item["ours"]),
            _amount(item["spectrum"]),
            _amount(item["difference"]),
            _amount(item["readback"]),
            item["measure"],
            item["reason"],
        )


def csv_text(report: ReconciliationReport) -> Iterator[str]:
    rows = [*_total_rows(report), *_difference_rows(report)]
    return csv_lines(HEADER, rows)


def filename(report: ReconciliationReport) -> str:
    return f"reconciliation-{report.tenant.slug}-{report.company_code}-{report.period_start:%Y-%m}.csv"
