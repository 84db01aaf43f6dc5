"""Compute and store one reconciliation: what the platform exported in a period against what Spectrum holds.

Per exported document type: counts and totals on both sides, the documents on one side only, and
those whose totals (or dates) differ. Spectrum's side is read through the tenant's Info-Link
database (``connectors/spectrum/ledger.py``); without database access the report says so in its
``error`` and still counts our side. For imports, the mirror is counted against Spectrum
(``mirror.py``): a difference means a poll missed something.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from connectors.spectrum import ledger
from connectors.spectrum.errors import SpectrumConfigurationError, SpectrumError
from spectrum_sync.connections import spectrum_database
from spectrum_sync.models import ReconciliationReport, SpectrumConnection, Tenant
from spectrum_sync.models import type_label as label_of
from spectrum_sync.reconciliation import mirror
from spectrum_sync.reconciliation.ours import OurDocument, exported_numbers, our_documents, our_kinds

CENT = Decimal("0.01")
# Beyond this many differences the report keeps the first ones and says how many there were.
DIFFERENCE_LIMIT = 2000

ONLY_OURS, ONLY_SPECTRUM, MISMATCH = "only_ours", "only_spectrum", "mismatch"
KIND_LABELS = {ONLY_OURS: "Only on the platform", ONLY_SPECTRUM: "Only in Spectrum", MISMATCH: "Totals differ"}

NO_DATABASE = (
    "Spectrum's side could not be read: this tenant has no Info-Link database access set up, and the "
    "report reads Spectrum's documents from its database. Only the platform's side is counted below. "
    "To reconcile, add the database login on the tenant's Spectrum connection."
)
NO_CONNECTION = "This tenant has no Spectrum connection yet, so there is nothing in Spectrum to compare with."


def type_label(object_type: str) -> str:
    return label_of(object_type)


def amount_text(value: Decimal | None) -> str:
    return "" if value is None else format(value.quantize(CENT), "f")


def _measure(document: ledger.SpectrumDocument, measure: str) -> Decimal | None:
    return document.quantity if measure == "quantity" else document.total


def _differs(ours: Decimal | None, theirs: Decimal | None) -> bool:
    if ours is None:
        return False  # the platform sent no amount for it: nothing to compare
    return (theirs or Decimal(0)).quantize(CENT) != ours.quantize(CENT)


def _row(
    kind: str,
    object_type: str,
    number: str,
    ours: OurDocument | None,
    theirs: ledger.SpectrumDocument | None,
    reason: str,
) -> dict[str, Any]:
    measure = our_kinds()[object_type].measure
    our_value = ours.total if ours else None
    their_value = _measure(theirs, measure) if theirs else None
    difference = (their_value or Decimal(0)) - our_value if (ours and theirs and our_value is not None) else None
    return {
        "kind": kind,
        "kind_label": KIND_LABELS[kind],
        "type": object_type,
        "type_label": type_label(object_type),
        "number": number,
        "party": (ours.party if ours else "") or (theirs.party if theirs else ""),
        "measure": measure,
        "our_date": ours.dated.isoformat() if ours and ours.dated else "",
        "spectrum_date": theirs.dated.isoformat() if theirs and theirs.dated else "",
        "ours": amount_text(our_value),
        "spectrum": amount_text(their_value),
        "difference": amount_text(difference),
        "readback": amount_text(ours.readback_total) if ours else "",
        "reason": reason,
        "record_id": ours.record_id if ours else None,
    }


def _mismatch_reason(object_type: str, ours: OurDocument, theirs: ledger.SpectrumDocument) -> str:
    """Why the two differ, in words an accountant can check: amounts, tax, dates, what read-back saw."""
    measure = our_kinds()[object_type].measure
    their_value = _measure(theirs, measure)
    parts: list[str] = []
    if _differs(ours.total, their_value):
        what = "received quantity" if measure == "quantity" else "total"
        held = amount_text(their_value) or "no amount"
        parts.append(f"Spectrum holds a {what} of {held}; the platform's is {amount_text(ours.total)}.")
        if ours.tax is not None and theirs.tax is not None and ours.tax.quantize(CENT) != theirs.tax.quantize(CENT):
            parts.append(
                f"Spectrum's tax is {amount_text(theirs.tax)}, the platform's tax lines {amount_text(ours.tax)}."
            )
        if ours.readback_total is not None:
            if their_value is not None and ours.readback_total.quantize(CENT) == their_value.quantize(CENT):
                parts.append("Read-back saw the same amount when it was exported.")
            else:
                parts.append(
                    f"It was {amount_text(ours.readback_total)} when read back after the export: "
                    "changed in Spectrum since."
                )
    if ours.own_date and ours.dated and theirs.dated and ours.dated != theirs.dated:
        parts.append(f"Dated {theirs.dated:%Y-%m-%d} in Spectrum, {ours.dated:%Y-%m-%d} on the platform.")
    return " ".join(parts)


def compare_type(
    database: Any, tenant: Tenant, company: str, object_type: str, first: dt.date, last: dt.date
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One document type: its summary line and its differences."""
    kind = our_kinds()[object_type]
    ours = our_documents(tenant, company, object_type, first, last)
    theirs = {d.key: d for d in ledger.documents_in_period(database, kind.ledger_kind, company, first, last)}
    by_key = {tuple(v.upper() for v in d.key): d for d in ours}
    missing = [d.key for k, d in by_key.items() if k not in theirs]
    elsewhere = {d.key: d for d in ledger.find_documents(database, kind.ledger_kind, company, missing)}
    spectrum_only = set(theirs) - set(by_key)
    exported_elsewhere = exported_numbers(tenant, company, object_type, spectrum_only)
    differences: list[dict[str, Any]] = []
    for key, document in by_key.items():
        match = theirs.get(key) or elsewhere.get(key)
        if match is None:
            reason = f"Spectrum has no {type_label(object_type)} {document.number}, though it accepted the export."
            differences.append(_row(ONLY_OURS, object_type, document.number, document, None, reason))
        elif reason := _mismatch_reason(object_type, document, match):
            differences.append(_row(MISMATCH, object_type, document.number, document, match, reason))
    for key in sorted(spectrum_only):
        held = theirs[key]
        exported = exported_elsewhere.get(key)
        if exported is not None:
            reason = _mismatch_reason(object_type, exported, held)
            differences.append(_row(MISMATCH, object_type, held.number, exported, held, reason))
        else:
            reason = "Not exported by the platform: entered in Spectrum directly, or sent by another system."
            differences.append(_row(ONLY_SPECTRUM, object_type, held.number, None, held, reason))
    return _summary_line(object_type, ours, list(theirs.values()), differences), differences


def _total(values: list[Decimal | None]) -> str:
    present = [v for v in values if v is not None]
    return amount_text(sum(present, Decimal(0))) if present else ""


def _summary_line(
    object_type: str, ours: list[OurDocument], theirs: list[ledger.SpectrumDocument], differences: list[dict[str, Any]]
) -> dict[str, Any]:
    measure = our_kinds()[object_type].measure
    kinds = [d["kind"] for d in differences]
    return {
        "type": object_type,
        "label": type_label(object_type),
        "measure": measure,
        "ours": {"count": len(ours), "total": _total([d.total for d in ours])},
        "spectrum": {"count": len(theirs), "total": _total([_measure(d, measure) for d in theirs])},
        "only_ours": kinds.count(ONLY_OURS),
        "only_spectrum": kinds.count(ONLY_SPECTRUM),
        "mismatched": kinds.count(MISMATCH),
        "error": "",
    }


def _ours_only_line(
    tenant: Tenant, company: str, object_type: str, first: dt.date, last: dt.date, error: str
) -> dict[str, Any]:
    ours = our_documents(tenant, company, object_type, first, last)
    line = _summary_line(object_type, ours, [], [])
    line["spectrum"] = {"count": None, "total": ""}
    line["error"] = error
    return line


def _compare_documents(
    database: Any, report: ReconciliationReport, summary: dict[str, Any], differences: list[dict[str, Any]]
) -> None:
    tenant, company = report.tenant, report.company_code
    first, last = report.period_start, report.period_end
    for object_type in our_kinds():
        try:
            line, found = compare_type(database, tenant, company, object_type, first, last)
        except SpectrumConfigurationError as exc:  # one table missing or not granted: the others still count
            line, found = _ours_only_line(tenant, company, object_type, first, last, exc.message), []
        summary["documents"].append(line)
        differences.extend(found)


def _counts(summary: dict[str, Any], differences: list[dict[str, Any]]) -> dict[str, int]:
    kinds = [d["kind"] for d in differences]
    return {
        "only_ours": kinds.count(ONLY_OURS),
        "only_spectrum": kinds.count(ONLY_SPECTRUM),
        "mismatched": kinds.count(MISMATCH),
        "drift": sum(1 for m in summary["mirror"] if m.get("drift")),
        "differences": len(differences),
    }


def _database_for(tenant: Tenant) -> tuple[Any, str]:
    """The tenant's Info-Link reader, or None and the plain reason there is none."""
    if not SpectrumConnection.objects.filter(tenant=tenant).exists():
        return None, NO_CONNECTION
    database = spectrum_database(tenant)
    return (database, "") if database is not None else (None, NO_DATABASE)


def run(tenant: Tenant, company: str, first: dt.date, last: dt.date, *, user: Any = None) -> ReconciliationReport:
    """Compare, store and return the report of ``company`` from ``first`` to ``last`` (inclusive). Never raises
    for Spectrum's sake: what could not be read is in the report's ``error`` or on its line."""
    report = ReconciliationReport(
        tenant=tenant, company_code=company.strip().upper(), period_start=first, period_end=last, created_by=user
    )
    summary: dict[str, Any] = {
        "period": {"start": first.isoformat(), "end": last.isoformat()},
        "documents": [],
        "mirror": [],
    }
    differences: list[dict[str, Any]] = []
    database, report.error = _database_for(tenant)
    if database is None:
        for object_type in our_kinds():
            summary["documents"].append(_ours_only_line(tenant, report.company_code, object_type, first, last, ""))
    else:
        try:
            with database:
                _compare_documents(database, report, summary, differences)
                summary["mirror"] = mirror.compare(database, tenant, report.company_code)
        except SpectrumError as exc:
            report.error = f"Spectrum's database could not be read, so this report is incomplete: {exc.message}"
            done = {line["type"] for line in summary["documents"]}
            for object_type in (t for t in our_kinds() if t not in done):
                summary["documents"].append(_ours_only_line(tenant, report.company_code, object_type, first, last, ""))
    summary["counts"] = _counts(summary, differences)
    summary["truncated"] = max(len(differences) - DIFFERENCE_LIMIT, 0)
    report.summary = summary
    report.differences = differences[:DIFFERENCE_LIMIT]
    report.save()
    return report


def companies_of(tenant: Tenant) -> list[str]:
    connection = SpectrumConnection.objects.filter(tenant=tenant).first()
    return connection.companies if connection else []
