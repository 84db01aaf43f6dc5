"""Our side of the reconciliation: the documents the platform exported, dated in the period, and their totals.

An export counts once Spectrum accepted it (``succeeded``, or ``confirming`` while it is read back).
Of several versions of one document, the latest accepted one is what Spectrum should hold. The
totals are the platform's, computed from the document as received (``SyncRecord.payload``) the way
the platform adds it up; what read-back found in Spectrum (``SyncRecord.readback``) is shown beside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform

from spectrum_sync.models import Direction, ObjectType, SyncRecord, SyncStatus, Tenant

ACCEPTED = (SyncStatus.SUCCEEDED, SyncStatus.CONFIRMING)


def money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def money_or_none(value: Any) -> Decimal | None:
    return None if value in (None, "") else money(value)


def _lines(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [line for line in payload.get("lines") or [] if isinstance(line, Mapping)]


def invoice_total(payload: Mapping[str, Any]) -> Decimal:
    """Labor and material, less discounts (towards zero), plus the tax lines: the platform's invoice total."""
    lines = _lines(payload)
    revenue = sum(
        (money(line.get("amount")) for line in lines if line.get("kind") in ("labor", "material")), Decimal(0)
    )
    discount = sum((abs(money(line.get("amount"))) for line in lines if line.get("kind") == "discount"), Decimal(0))
    tax = invoice_tax(payload)
    return revenue - discount + tax if revenue >= 0 else revenue + discount + tax


def invoice_tax(payload: Mapping[str, Any]) -> Decimal:
    return sum((money(line.get("amount")) for line in _lines(payload) if line.get("kind") == "tax"), Decimal(0))


def lines_total(payload: Mapping[str, Any]) -> Decimal:
    return sum((money(line.get("amount")) for line in _lines(payload)), Decimal(0))


def quantity_received(payload: Mapping[str, Any]) -> Decimal:
    return sum((money(line.get("quantity_received")) for line in _lines(payload)), Decimal(0))


def _text(payload: Mapping[str, Any], name: str) -> str:
    return str(payload.get(name) or "").strip()


@dataclass(frozen=True)
class OurKind:
    """How one exported type reads on our side, and which Spectrum ledger kind it lands in."""

    object_type: str
    ledger_kind: str  # connectors/spectrum/ledger.py LEDGER_KINDS
    key_fields: tuple[str, ...]  # payload fields in the ledger kind's key order
    date_field: str  # "" = dated by the day the export was accepted
    party_field: str = ""
    total: Callable[[Mapping[str, Any]], Decimal | None] | None = None
    measure: str = "amount"  # "amount" (money) or "quantity" (PO receipts: we send quantities only)

    def key(self, payload: Mapping[str, Any]) -> tuple[str, ...]:
        values = [_text(payload, name) for name in self.key_fields]
        if self.object_type == ObjectType.PO_RECEIPT and values[1].isdigit():
            values[1] = values[1].zfill(3)  # our receipt sequence as sent (mappings/mappers.py map_po_receipt)
        return tuple(values)


OUR_KINDS: dict[str, OurKind] = {
    k.object_type: k
    for k in (
        OurKind(
            ObjectType.AR_INVOICE, "ar_invoice", ("invoice_number",), "invoice_date", "customer_code", invoice_total
        ),
        OurKind(
            ObjectType.JOB,
            "job",
            ("job_number",),
            "",
            "customer_code",
            lambda p: money_or_none(p.get("original_contract")),
        ),
        OurKind(
            ObjectType.PO_RECEIPT,
            "po_receipt",
            ("po_number", "receipt_sequence"),
            "receipt_date",
            "",
            quantity_received,
            measure="quantity",
        ),
        OurKind(
            ObjectType.COMMITMENT,
            "subcontract",
            ("vendor_code", "commitment_number"),
            "date_issued",
            "job_number",
            lines_total,
        ),
        OurKind(
            ObjectType.CHANGE_ORDER,
            "ar_change_order",
            ("job_number", "customer_code", "change_order_number"),
            "change_order_date",
            "customer_code",
            lines_total,
        ),
        OurKind(ObjectType.MAINTENANCE, "work_order", ("work_order_number",), "scheduled_date", "customer_code"),
    )
}


@dataclass(frozen=True)
class OurDocument:
    object_type: str
    record_id: int
    key: tuple[str, ...]  # as sent (trimmed); compared upper-cased
    number: str
    party: str
    dated: dt.date | None
    total: Decimal | None
    tax: Decimal | None
    readback_total: Decimal | None
    verification: str
    # False when the document carries no date of its own (a job; an optional date left out): dated by
    # the day it was accepted, which says nothing about the date Spectrum gave it.
    own_date: bool = True


def _readback_total(readback: Mapping[str, Any]) -> Decimal | None:
    """Spectrum's total when read-back confirmed the export (``readback["spectrum"]["total"]``,
    spectrum_sync/exports/readback.py ``spectrum_summary``; a plain ``"total"`` is read too)."""
    told = readback.get("spectrum")
    if isinstance(told, Mapping) and told.get("total") not in (None, ""):
        return money_or_none(told.get("total"))
    return money_or_none(readback.get("total"))


def _accepted_day(record: SyncRecord, zone: ZoneInfo) -> dt.date | None:
    when = record.finished_at or record.sent_at or record.created_at
    return when.astimezone(zone).date() if when else None


def _document(kind: OurKind, record: SyncRecord, zone: ZoneInfo) -> OurDocument:
    payload = record.payload or {}
    key = kind.key(payload)
    dated: dt.date | None = None
    raw = _text(payload, kind.date_field) if kind.date_field else ""
    if raw:
        try:
            dated = dt.date.fromisoformat(raw[:10])
        except ValueError:
            dated = None
    readback = record.readback if isinstance(record.readback, Mapping) else {}
    return OurDocument(
        object_type=kind.object_type,
        record_id=record.pk,
        key=key,
        number="/".join(key),
        party=_text(payload, kind.party_field) if kind.party_field else "",
        dated=dated or _accepted_day(record, zone),
        total=kind.total(payload) if kind.total else None,
        tax=invoice_tax(payload) if kind.object_type == ObjectType.AR_INVOICE else None,
        readback_total=_readback_total(readback),
        verification=record.verification,
        own_date=dated is not None,
    )


def _day_bounds(first: dt.date, last: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    return start, dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def _candidates(tenant: Tenant, company: str, kind: OurKind, first: dt.date, last: dt.date) -> Iterable[SyncRecord]:
    """Accepted exports of ``kind`` dated in the period (by the document's date, else by the day accepted)."""
    zone = ZoneInfo(tenant.timezone or "UTC")
    start, end = _day_bounds(first, last, zone)
    records = SyncRecord.objects.filter(
        tenant=tenant, direction=Direction.EXPORT, object_type=kind.object_type, status__in=ACCEPTED
    ).filter(Q(company_code=company) | Q(company_code=""))
    accepted_in_period = Q(finished_at__gte=start, finished_at__lt=end) | Q(
        finished_at__isnull=True, created_at__gte=start, created_at__lt=end
    )
    if not kind.date_field:
        return records.filter(accepted_in_period).order_by("finished_at", "pk")
    records = records.annotate(document_date=KeyTextTransform(kind.date_field, "payload"))
    dated = Q(document_date__gte=first.isoformat(), document_date__lte=last.isoformat())
    undated = (Q(document_date__isnull=True) | Q(document_date="")) & accepted_in_period
    return records.filter(dated | undated).order_by("finished_at", "pk")


def our_documents(tenant: Tenant, company: str, object_type: str, first: dt.date, last: dt.date) -> list[OurDocument]:
    """One document per key: the latest accepted version dated in the period."""
    kind = OUR_KINDS[object_type]
    zone = ZoneInfo(tenant.timezone or "UTC")
    latest: dict[tuple[str, ...], OurDocument] = {}
    for record in _candidates(tenant, company, kind, first, last):
        if record.company_code and record.company_code != company:
            continue
        if not record.company_code and str((record.payload or {}).get("company_code") or company).upper() != company:
            continue
        document = _document(kind, record, zone)
        latest[tuple(v.upper() for v in document.key)] = document  # ordered by acceptance: the last one wins
    return sorted(latest.values(), key=lambda d: d.number)


def exported_numbers(
    tenant: Tenant, company: str, object_type: str, keys: set[tuple[str, ...]]
) -> dict[tuple[str, ...], OurDocument]:
    """Of these Spectrum keys, the ones the platform exported (dated in another period), by key."""
    if not keys:
        return {}
    kind = OUR_KINDS[object_type]
    zone = ZoneInfo(tenant.timezone or "UTC")
    found: dict[tuple[str, ...], OurDocument] = {}
    records = SyncRecord.objects.filter(
        tenant=tenant, direction=Direction.EXPORT, object_type=object_type, status__in=ACCEPTED, company_code=company
    ).order_by("finished_at", "pk")
    # Narrowed by one key part as sent (the PO number of a receipt, else the document's number); checked in full below.
    part = 0 if kind.object_type == ObjectType.PO_RECEIPT else -1
    wanted = sorted({k[part] for k in keys})
    candidates = records.filter(**{f"payload__{kind.key_fields[part]}__in": wanted})
    for record in candidates.iterator(chunk_size=500):
        document = _document(kind, record, zone)
        normal = tuple(v.upper() for v in document.key)
        if normal in keys:
            found[normal] = document
    return found
