"""Read-back: an export is ``succeeded`` only once Spectrum is seen to hold what was sent.

After Spectrum accepts a document the record is ``confirming``. The document is then read back —
through Info-Link (``SpectrumDatabase.find_document``, docs/spectrum.md#tables-read-to-reconcile-exports)
or, for jobs on a tenant without database access, through GetJob — and compared with what we sent:
the document exists under its number or key; its customer, vendor or job; its dates; its line
count; its amounts and tax to the cent (:func:`differences`). For types that declare totals
(``ExportType.totals``) Spectrum's total and tax are also compared with the platform's own.

- Equal → ``succeeded``, verification ``confirmed``; what Spectrum holds goes to the platform.
- Different → ``failed`` (verification ``mismatch``) with the differences in plain words; nothing
  is resent: the accountant corrects it in Spectrum or bypasses it.
- Not found yet → looked again with back-off until ``EXPORT_CONFIRM_SECONDS`` have passed, then
  ``failed`` (verification ``not_found``): Spectrum said yes but does not show the document.
- No way to read back (no Info-Link access and no Get service) → ``succeeded`` with verification
  ``unverified``: "accepted by Spectrum, not verified", never a silent success.

See docs/architecture.md#read-back.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from mappings.mappers import company_of
from spectrum_sync import connections
from spectrum_sync.catalogue import EXPORTS
from spectrum_sync.exports import conf, preflight, queueing
from spectrum_sync.exports.results import after_outcome
from spectrum_sync.models import SyncAttempt, SyncRecord, SyncStatus, Verification

logger = logging.getLogger(__name__)

UNVERIFIED_NOTE = "Accepted by Spectrum, not verified (no Info-Link access)"
MISMATCH = "MISMATCH"  # error_code of a document Spectrum holds differently
NOT_FOUND = "NOTFOUND"  # error_code of a document Spectrum accepted but does not show
CENT = Decimal("0.01")
# Text columns compared: keys and codes. Descriptions and remarks are Spectrum's to trim.
_IDENTITY = re.compile(r"(?i)(_code|_number|_or_transaction)$")


def can_read_back(tenant: Any, object_type: str) -> bool:
    """Whether this tenant's exports of this type can be read back at all."""
    declaration = EXPORTS[object_type]
    connection = getattr(tenant, "connection", None)
    if connection is not None and connection.db_enabled:
        return True
    return declaration.web_lookup is not None


# --- comparing ----------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        return None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for pattern in ("%m/%d/%Y", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text[:19] if "T" in text else text, pattern).date()
        except ValueError:
            continue
    return None


def _field_difference(name: str, ours: Any, theirs: Any) -> str:
    """One column: '' when Spectrum holds what we sent (or the column is not ours to compare)."""
    if isinstance(theirs, bool):
        return ""
    if isinstance(theirs, (Decimal, int, float)) or (theirs is None and _decimal(ours) not in (None, Decimal(0))):
        sent, held = _decimal(ours), _decimal(theirs) or Decimal("0.00")
        if sent is not None and sent != held:
            return f"{name}: we sent {sent}, Spectrum holds {held}"
        return ""
    if isinstance(theirs, (date, datetime)):
        sent_date, held_date = _date(ours), _date(theirs)
        if sent_date and held_date and sent_date != held_date:
            return f"{name}: we sent {sent_date:%m/%d/%Y}, Spectrum holds {held_date:%m/%d/%Y}"
        return ""
    if isinstance(theirs, str) and _IDENTITY.search(name) and str(ours).strip().upper() != theirs.strip().upper():
        return f"{name}: we sent {str(ours).strip()!r}, Spectrum holds {theirs.strip()!r}"
    return ""


def _line_differences(sent_lines: list[Mapping[str, Any]], held_lines: list[Mapping[str, Any]]) -> list[str]:
    if len(sent_lines) != len(held_lines):
        return [f"lines: we sent {len(sent_lines)}, Spectrum holds {len(held_lines)}"]
    out = []
    columns = {k for line in sent_lines for k, v in line.items() if _decimal(v) is not None and isinstance(v, float)}
    for column in sorted(columns):
        if not all(column in line for line in held_lines):
            continue
        sent = sum((_decimal(line.get(column)) or Decimal(0) for line in sent_lines), Decimal(0))
        held = sum((_decimal(line[column]) or Decimal(0) for line in held_lines), Decimal(0))
        if sent != held:
            out.append(f"{column} over the lines: we sent {sent}, Spectrum holds {held}")
    return out


def differences(sent: Mapping[str, Any], held: Mapping[str, Any]) -> list[str]:
    """What Spectrum holds that differs from what we sent: keys and codes, dates, amounts, lines.

    ``sent`` is the call's fields as sent (a list field holds the detail lines); ``held`` the row
    read back (a ``Row``: columns looked up case-insensitively), with ``"lines"`` for documents
    whose lines live in a detail table. Columns Spectrum does not show are not compared.
    """
    out: list[str] = []
    sent_lines: list[Mapping[str, Any]] = []
    for name, value in sent.items():
        if isinstance(value, list):
            sent_lines = [line for line in value if isinstance(line, Mapping)]
            continue
        if isinstance(value, dict) or value in ("", None) or name not in held or name.lower() == "lines":
            continue
        problem = _field_difference(name, value, held[name])
        if problem:
            out.append(problem)
    if sent_lines:
        held_lines = held.get("lines")
        out += _line_differences(sent_lines, list(held_lines) if held_lines is not None else [held])
    return out


def facts(held: Mapping[str, Any], number_column: str = "") -> dict[str, Any]:
    """What Spectrum holds, for the record page and the platform: plain JSON values, the column
    names in lower case (SQL Server spells them as Spectrum does, PostgreSQL folds them)."""
    plain: dict[str, Any] = {}
    for column, value in held.items():
        name = column.lower()
        if name == "lines":
            plain["line_count"] = len(value)
        elif isinstance(value, Decimal):
            plain[name] = str(value.quantize(CENT))
        elif isinstance(value, (date, datetime)):
            plain[name] = value.isoformat()[:10]
        elif value not in (None, ""):
            plain[name] = value.strip() if isinstance(value, str) else value
    if number_column and number_column in held:
        plain["number"] = str(held[number_column] or "").strip()
    return plain


def spectrum_summary(record: SyncRecord, held: Mapping[str, Any]) -> dict[str, Any]:
    """What the platform is told Spectrum holds: the number, and the total, tax and lines where known."""
    declaration = EXPORTS[record.object_type]
    summary: dict[str, Any] = {"document_number": record.document_number}
    if declaration.number_column and declaration.number_column in held:
        summary["document_number"] = str(held[declaration.number_column] or "").strip() or record.document_number
    if "lines" in held:
        summary["line_count"] = len(held["lines"])
    if declaration.totals is not None and "exists" not in held:
        summary.update(declaration.totals.summary(held))
    return summary


# --- the confirming step ------------------------------------------------------------------------


def sent_call(record: SyncRecord, accepted: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The document's main call as it was accepted (the first accepted attempt's request);
    ``accepted``: the (service, request) of the accepted attempts, in order, when known already."""
    declaration = EXPORTS[record.object_type]
    requests = accepted
    if requests is None:
        requests = list(
            record.attempts.filter(outcome__in=[SyncAttempt.Outcome.ACCEPTED, SyncAttempt.Outcome.FOUND])
            .order_by("number")
            .values_list("service", "request")
        )
    ordered = sorted(requests, key=lambda item: item[0] not in declaration.creating_services)
    for _service, request in ordered:
        try:
            call = json.loads(request)
        except ValueError:
            continue
        if isinstance(call, dict) and isinstance(call.get("fields"), dict):
            return call["fields"]
    return {}


def _read(record: SyncRecord) -> tuple[str, Mapping[str, Any] | None]:
    """(where it was read, the document or None when Spectrum does not show it)."""
    declaration = EXPORTS[record.object_type]
    kind, key = record.readback.get("kind", ""), record.readback.get("key") or {}
    company = record.company_code or company_of(record.payload, preflight.default_company(record.tenant))
    database = connections.spectrum_database(record.tenant, keep=True)
    if database is not None and kind:
        try:
            return "Info-Link", database.find_document(kind, company, key)
        finally:
            database.close()
    if declaration.web_lookup is not None:
        client = connections.spectrum_client(record.tenant)
        try:
            found = declaration.web_lookup(client, company, key)
        finally:
            client.close()
        return "web services", ({"exists": True} if found else None)
    return "", None


def explain(record: SyncRecord, sent: Mapping[str, Any], held: Mapping[str, Any]) -> list[str]:
    """Every difference, with the platform's totals beside Spectrum's where the type has totals."""
    problems = differences(sent, held)
    totals = EXPORTS[record.object_type].totals
    if totals is not None and not record.readback.get("difference_accepted"):
        problems += totals.compare(record.payload, held)
    return problems


def confirm(record_id: int) -> str:
    """Read a ``confirming`` record back once; reschedules itself while Spectrum does not show it."""
    record = SyncRecord.objects.select_related("tenant", "tenant__connection").filter(pk=record_id).first()
    return _confirm(record) if record is not None else "skipped"


def confirm_record(record: SyncRecord, accepted: list[tuple[str, str]] | None = None) -> str:
    """:func:`confirm` on a record in hand (the engine's, just moved to ``confirming``, its tenant
    and connection loaded): the moves below are conditional on its status, so nothing is reread.
    ``accepted``: the calls Spectrum accepted, when the engine sent them all in this run."""
    return _confirm(record, accepted)


@dataclass
class Verdict:
    """What reading back found: the record's outcome, its verification, what Spectrum holds
    (the record's new ``readback``) and the error fields of a mismatch."""

    status: str
    verification: str
    readback: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)


def first_look(record: SyncRecord, accepted: list[tuple[str, str]] | None = None) -> Verdict | str:
    """Read back the document the engine has just sent, before its record moves: the verdict, to be
    written with the outcome in one move, or (a string) why it cannot be confirmed yet. The record
    in hand carries what the move will write (``readback`` with the key, ``company_code``)."""
    return _judge(record, accepted)


def look_again(record: SyncRecord, why: str) -> str:
    """The engine moved the record to ``confirming`` because the first look did not find it: the
    platform hears "confirming" and the next look is scheduled with back-off."""
    return _look_again(record, why)


def _judge(record: SyncRecord, accepted: list[tuple[str, str]] | None) -> Verdict | str:
    started = time.monotonic()
    try:
        source, held = _read(record)
    except Exception as exc:  # Spectrum or the database unreachable: try again later, keep the record
        logger.warning("record %s: read-back failed (%s); tried again later", record.pk, exc)
        return f"reading back failed: {exc}"
    elapsed = int((time.monotonic() - started) * 1000)
    if held is None:
        return f"not found yet through {source or 'Spectrum'}"
    sent = sent_call(record, accepted)
    problems = explain(record, sent, held) if "exists" not in held else []
    seen = {**record.readback, "source": source, "read_ms": elapsed}
    seen["held"] = facts(held, EXPORTS[record.object_type].number_column)
    seen["spectrum"] = spectrum_summary(record, held)
    if problems:
        message = "Spectrum accepted the document but holds something else: " + "; ".join(problems)
        return Verdict(
            SyncStatus.FAILED, Verification.MISMATCH, seen, {"error_code": MISMATCH, "error_message": message}
        )
    return Verdict(SyncStatus.SUCCEEDED, Verification.CONFIRMED, seen)


def _confirm(record: SyncRecord, accepted: list[tuple[str, str]] | None = None) -> str:
    if record.status != SyncStatus.CONFIRMING:
        return "skipped"
    verdict = _judge(record, accepted)
    if isinstance(verdict, str):
        return _look_again(record, verdict)
    return _close(record, verdict.status, verdict.verification, verdict.readback, **verdict.changes)


def _look_again(record: SyncRecord, why: str) -> str:
    now = timezone.now()
    if record.confirm_until and now >= record.confirm_until:
        minutes = max(1, conf.confirm_seconds() // 60)
        return _close(
            record,
            SyncStatus.FAILED,
            Verification.NOT_FOUND,
            dict(record.readback),
            error_code=NOT_FOUND,
            error_message=(
                f"Spectrum accepted the document but it was still not found after {minutes} min ({why}). "
                "Nothing was resent. Check Spectrum: enter it by hand and mark it entered, or retry to look again."
            ),
        )
    looks = int(record.readback.get("looks", 0)) + 1
    delay = min(conf.confirm_seconds(), conf.backoff_base_seconds() * 2 ** min(looks, 10))
    SyncRecord.objects.filter(pk=record.pk, status=SyncStatus.CONFIRMING).update(
        next_attempt_at=now + timedelta(seconds=delay),
        readback={**record.readback, "looks": looks, "last_look": why},
        updated_at=now,
    )
    if looks == 1:
        # It takes longer than a glance: the platform sees "confirming" meanwhile.
        with transaction.atomic():
            after_outcome(record, SyncStatus.CONFIRMING)
    queueing.enqueue(record.pk, countdown=delay)
    return "confirming"


def _close(record: SyncRecord, status: str, verification: str, seen: dict[str, Any], **changes: Any) -> str:
    with transaction.atomic():
        if not record.transition(
            status,
            verification=verification,
            readback=seen,
            verified_at=timezone.now(),
            next_attempt_at=None,
            platform_notified_at=None,
            **changes,
        ):
            return "skipped"
        after_outcome(record, status)
    return str(status)
