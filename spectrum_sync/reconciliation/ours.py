"""Our side of the reconciliation: the documents the platform exported, dated in the period, and their totals.

An export counts once Spectrum accepted it (``succeeded``, or ``confirming`` while it is read back).
Of several versions of one document, the latest accepted one is what Spectrum should hold. The
totals are the platform's, computed from the document as received (``SyncRecord.payload``) the way
the platform adds it up; what read-back found in Spectrum (``SyncRecord.readback``) is shown beside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform

from spectrum_sync.catalogue import EXPORTS
from spectrum_sync.catalogue.base import Reconciled, amount_of
from spectrum_sync.models import Direction, SyncRecord, SyncStatus, Tenant

ACCEPTED = (SyncStatus.SUCCEEDED, SyncStatus.CONFIRMING)


def _text(payload: Mapping[str, Any], name: str) -> str:
    return str(payload.get(name) or "").strip()


@dataclass(frozen=True)
class OurKind:
    """One exported type as the reconciliation reads it: its name and its catalogue declaration."""

    object_type: str
    declared: Reconciled

    @property
    def measure(self) -> str:
        return self.declared.measure

    @property
    def ledger_kind(self) -> str:
        return self.declared.ledger_kind

    def key(self, payload: Mapping[str, Any]) -> tuple[str, ...]:
        """The document's key as Spectrum holds it (trimmed; compared upper-cased)."""
        values = tuple(_text(payload, name) for name in self.declared.key_fields)
        return self.declared.as_held(values) if self.declared.as_held else values


def our_kinds() -> dict[str, OurKind]:
    """Every exported type the catalogue declares as reconciled, by name, in the catalogue's order."""
    return {
        name: OurKind(name, declared.reconciled)
        for name, declared in EXPORTS.items()
        if declared.reconciled is not None
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


def _money_or_none(value: Any) -> Decimal | None:
    return None if value in (None, "") else amount_of(value)


def _readback_total(readback: Mapping[str, Any]) -> Decimal | None:
    """Spectrum's total when read-back confirmed the export (``readback["spectrum"]["total"]``,
    spectrum_sync/exports/readback.py ``spectrum_summary``; a plain ``"total"`` is read too)."""
    told = readback.get("spectrum")
    if isinstance(told, Mapping) and told.get("total") not in (None, ""):
        return _money_or_none(told.get("total"))
    return _money_or_none(readback.get("total"))


def _accepted_day(record: SyncRecord, zone: ZoneInfo) -> dt.date | None:
    when = record.finished_at or record.sent_at or record.created_at
    return when.astimezone(zone).date() if when else None


def _document(kind: OurKind, record: SyncRecord, zone: ZoneInfo) -> OurDocument:
    payload = record.payload or {}
    key = kind.key(payload)
    dated: dt.date | None = None
    declared = kind.declared
    raw = _text(payload, declared.date_field) if declared.date_field else ""
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
        party=_text(payload, declared.party_field) if declared.party_field else "",
        dated=dated or _accepted_day(record, zone),
        total=declared.total(payload) if declared.total else None,
        tax=declared.tax(payload) if declared.tax else None,
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
    date_field = kind.declared.date_field
    if not date_field:
        return records.filter(accepted_in_period).order_by("finished_at", "pk")
    records = records.annotate(document_date=KeyTextTransform(date_field, "payload"))
    dated = Q(document_date__gte=first.isoformat(), document_date__lte=last.isoformat())
    undated = (Q(document_date__isnull=True) | Q(document_date="")) & accepted_in_period
    return records.filter(dated | undated).order_by("finished_at", "pk")


def our_documents(tenant: Tenant, company: str, object_type: str, first: dt.date, last: dt.date) -> list[OurDocument]:
    """One document per key: the latest accepted version dated in the period."""
    kind = our_kinds()[object_type]
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
    kind = our_kinds()[object_type]
    zone = ZoneInfo(tenant.timezone or "UTC")
    found: dict[tuple[str, ...], OurDocument] = {}
    records = SyncRecord.objects.filter(
        tenant=tenant, direction=Direction.EXPORT, object_type=object_type, status__in=ACCEPTED, company_code=company
    ).order_by("finished_at", "pk")
    # Narrowed by one key part as sent (the declaration says which); checked in full below.
    part = kind.declared.narrowed_by
    wanted = sorted({k[part] for k in keys})
    candidates = records.filter(**{f"payload__{kind.declared.key_fields[part]}__in": wanted})
    for record in candidates.iterator(chunk_size=500):
        document = _document(kind, record, zone)
        normal = tuple(v.upper() for v in document.key)
        if normal in keys:
            found[normal] = document
    return found
