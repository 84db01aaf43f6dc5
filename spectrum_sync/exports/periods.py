"""Closed accounting periods: documents dated outside Spectrum's open processing window wait, not fail.

Spectrum refuses an AR invoice whose GL date or invoice date falls outside the AR processing date
range (docs/spectrum.md#closed-periods); pre-flight refuses the same against the range recorded
here (``ProcessingDateRange``). Either way the record is held with code ``HOLD_PERIOD`` and the
window, when Spectrum or the recorded range names it. It goes back to pending by itself when the
window opens — :func:`release_due`, after each poll and once a day — or when an accountant moves its
GL date (:func:`move_gl_date`), which the mapper then sends instead of the document's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from connectors.spectrum.errors import SpectrumMessage
from mappings.mappers import Problem, company_of, spectrum_date
from spectrum_sync.catalogue import EXPORTS
from spectrum_sync.exports import preflight
from spectrum_sync.exports.holds import HOLD_PERIOD
from spectrum_sync.exports.queueing import enqueue_on_commit
from spectrum_sync.models import Direction, SyncRecord, SyncStatus, Tenant

# Spectrum's words for a date outside the open processing window (the page gives no code of its own;
# the rejection is an ordinary "I" on GL_Date or Invoice_Date, docs/spectrum.md#closed-periods).
_PERIOD_WORDS = re.compile(
    r"(?i)processing date|processing period|processing window|closed period|period is closed|"
    r"outside (?:of )?the (?:open )?(?:\w+ )?(?:window|period|date range)"
)
_DATE = r"(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})"
_WINDOW = re.compile(_DATE + r"\s*(?:-|–|—|to|through|thru|and)\s*" + _DATE, re.IGNORECASE)
# Without a recorded range nothing says when Spectrum opens the period: try again once a day.
RETRY_EVERY = timedelta(hours=23)
SOURCE_SPECTRUM, SOURCE_PREFLIGHT = "spectrum", "preflight"
WAITS = (
    "It is sent by itself once the period is open (checked after each poll and daily), "
    "or an accountant moves its GL date on this record's page."
)


@dataclass(frozen=True)
class PeriodHold:
    """Why a record waits for a period to open, and what the release check needs to know later."""

    reason: str
    column: str
    note: dict[str, Any] = field(default_factory=dict)

    def readback(self, record: SyncRecord) -> dict[str, Any]:
        """The record's notes with this hold's (``readback["period"]``; the other keys kept)."""
        return {**(record.readback or {}), "period": self.note}


# --- what the mapper is given ---------------------------------------------------------------------


def document_of(record: SyncRecord) -> Mapping[str, Any]:
    """The document as it is sent: with the GL date an accountant moved it to, if one did."""
    if record.gl_date_override is None:
        return record.payload
    return {**record.payload, "gl_date": record.gl_date_override.isoformat()}


# --- holding ----------------------------------------------------------------------------------------


def from_rejection(record: SyncRecord, messages: list[SpectrumMessage]) -> PeriodHold | None:
    """A hold when every message of Spectrum's refusal is about the processing window; else None
    (a refusal that also names a wrong GL account, say, fails as before)."""
    if not messages or not all(_PERIOD_WORDS.search(m.message) for m in messages):
        return None
    window = window_named(m.message for m in messages)
    said = "; ".join(str(m) for m in messages)
    where = (
        f"Spectrum's open window is {window}."
        if window
        else "Spectrum did not say which dates are open; see its Processing Date Change screen."
    )
    reason = f"Period closed in Spectrum ({said}). {where} {WAITS}"
    return PeriodHold(reason, messages[0].column, _note(SOURCE_SPECTRUM, window, _recorded(record)))


def from_preflight(record: SyncRecord, problems: list[Problem]) -> PeriodHold:
    """A hold for dates outside the range recorded here (pre-flight's own check; nothing was sent)."""
    recorded = _recorded(record)
    said = "; ".join(p.message for p in problems)
    reason = f"Period closed: {said}. {WAITS}"
    return PeriodHold(reason, problems[0].column, _note(SOURCE_PREFLIGHT, recorded, recorded))


def window_named(texts: Iterable[str]) -> str:
    """The open window a message names, as ``MM/DD/CCYY–MM/DD/CCYY``; "" when none does."""
    for text in texts:
        found = _WINDOW.search(text)
        if found:
            return f"{_as_spectrum_date(found.group(1))}–{_as_spectrum_date(found.group(2))}"
    return ""


def _as_spectrum_date(text: str) -> str:
    return spectrum_date(text) if "-" in text else text


def _note(source: str, window: str, recorded: str) -> dict[str, Any]:
    return {"source": source, "window": window, "recorded_range": recorded, "held_at": timezone.now().isoformat()}


def _recorded(record: SyncRecord) -> str:
    """The record's module range recorded here, in words ("" when none is)."""
    found = _range_for(record)
    if found is None:
        return ""
    return f"{spectrum_date(found.minimum_date.isoformat())}–{spectrum_date(found.maximum_date.isoformat())}"


def _range_for(record: SyncRecord) -> Any:
    dated = EXPORTS[record.object_type].dated if record.object_type in EXPORTS else None
    if dated is None:
        return None
    company = company_of(record.payload, preflight.default_company(record.tenant))
    return preflight.processing_range(record.tenant, dated.module, company)


# --- releasing ---------------------------------------------------------------------------------------


def release_due(tenant: Tenant | None = None, now: datetime | None = None) -> int:
    """Put back to pending the period holds whose window is open now (all tenants when None).

    With a range recorded here: when the document's dates fall inside it (for a record Spectrum
    refused although the range said open, only once the range changed, or a day later). Without
    one: once a day, letting Spectrum decide. Returns how many were released.
    """
    now = now or timezone.now()
    held = SyncRecord.objects.filter(
        direction=Direction.EXPORT, status=SyncStatus.HELD, error_code=HOLD_PERIOD, tenant__active=True
    ).select_related("tenant", "tenant__connection")
    if tenant is not None:
        held = held.filter(tenant=tenant)
    released = 0
    with transaction.atomic():
        for record in held:
            if is_open(record, now) and _release(record):
                released += 1
    return released


def is_open(record: SyncRecord, now: datetime) -> bool:
    """Whether a period-held record should be tried again now."""
    note = (record.readback or {}).get("period") or {}
    a_day_later = now - _held_at(record, note) >= RETRY_EVERY
    recorded = _recorded(record)
    if not recorded:
        return a_day_later
    default = preflight.default_company(record.tenant)
    if preflight.date_range_problems(record.tenant, record.object_type, document_of(record), default):
        return False
    if note.get("source") == SOURCE_PREFLIGHT:
        return True
    # Spectrum refused while the recorded range said open: that range was out of date then.
    return a_day_later or recorded != note.get("recorded_range")


def _held_at(record: SyncRecord, note: Mapping[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(note.get("held_at")))
    except ValueError:
        return record.updated_at


def _release(record: SyncRecord, **changes: Any) -> bool:
    notes = {k: v for k, v in (record.readback or {}).items() if k != "period"}
    moved = record.transition(
        SyncStatus.PENDING,
        next_attempt_at=None,
        held_reason="",
        error_code="",
        error_message="",
        error_column="",
        platform_notified_at=None,
        readback=notes,
        **changes,
    )
    if moved:
        enqueue_on_commit(record.pk)
    return moved


# --- the accountant moves the GL date ---------------------------------------------------------------


def move_gl_date(record: SyncRecord, gl_date: date, user: Any, note: str = "") -> bool:
    """Send a held or failed export again with another GL date; who and when are recorded.

    The mapper sends ``gl_date`` as the document's GL date from now on (:func:`document_of`).
    False when the record has moved on (sending, succeeded…) meanwhile.
    """
    if record.direction != Direction.EXPORT or record.status not in (SyncStatus.HELD, SyncStatus.FAILED):
        return False
    who = getattr(user, "get_username", lambda: "")() or "system"
    now = timezone.now()
    words = f"GL date moved to {spectrum_date(gl_date.isoformat())} by {who} at {now:%Y-%m-%d %H:%M} UTC"
    words += f": {note}" if note else ""
    changes: dict[str, Any] = {
        "gl_date_override": gl_date,
        "resolution_note": words[:2000],
        "resolved_at": now,
        "attempt_count": 0,
        "lost_claims": 0,
    }
    if getattr(user, "pk", None):
        changes["resolved_by"] = user
    with transaction.atomic():
        return _release(record, **changes)
