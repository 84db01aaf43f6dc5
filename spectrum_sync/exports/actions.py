"""What an accountant does with exports from the admin. Names are stable: the ADMIN screens call them.

- :func:`retry` — send failed, held or unknown records again (after fixing the cause);
- :func:`send_with_spectrum_total` — send an invoice held because Spectrum will compute another
  total (its tax rule) anyway; the platform is told Spectrum's total;
- :func:`bypass` — mark a record as entered by hand in Spectrum: it is never sent;
- :func:`release_connection_hold` — after an authorization problem is fixed, resume the tenant's exports;
- :func:`release_mapping_holds` — after a mapping row is saved, resume the records it completed.

Each records who did it and why (``resolved_by``, ``resolution_note``) and is safe to call twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from mappings.rules import Known, load_rules
from spectrum_sync.catalogue import EXPORTS
from spectrum_sync.enqueue import EXPORT_RESULT, send_on_commit
from spectrum_sync.exports import preflight
from spectrum_sync.exports.holds import HOLD_AUTHORIZATION, HOLD_CONFIGURATION, HOLD_TOTAL
from spectrum_sync.exports.queueing import enqueue_on_commit
from spectrum_sync.models import Direction, SpectrumConnection, SyncRecord, SyncStatus, Tenant

RETRYABLE_STATUSES = (SyncStatus.FAILED, SyncStatus.HELD, SyncStatus.UNKNOWN)


def _records(records_or_ids: Iterable[SyncRecord | int] | Any) -> list[SyncRecord]:
    ids = [r.pk if isinstance(r, SyncRecord) else int(r) for r in records_or_ids]
    return list(SyncRecord.objects.filter(pk__in=ids, direction=Direction.EXPORT).select_related("tenant"))


def _note(user: Any, verb: str, note: str) -> str:
    who = getattr(user, "get_username", lambda: "")() or "system"
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    return f"{verb} by {who} at {stamp}" + (f": {note}" if note else "")


def retry(records_or_ids: Iterable[SyncRecord | int], user: Any, note: str = "") -> int:
    """Put failed / held / unknown export records back to pending and enqueue them.

    An ``unknown`` record keeps its uncertain attempts, so Spectrum is still checked before a
    resend. Returns how many records were queued again; others (sending, succeeded…) are left alone.
    """
    count = 0
    with transaction.atomic():
        for record in _records(records_or_ids):
            if record.status not in RETRYABLE_STATUSES:
                continue
            changes: dict[str, Any] = {
                "next_attempt_at": None,
                "held_reason": "",
                "platform_notified_at": None,
                "resolution_note": _note(user, "Retried", note)[:2000],
            }
            if getattr(user, "pk", None):
                changes["resolved_by"] = user
            if record.status == SyncStatus.FAILED:
                # A fresh budget of automatic tries for the fixed document.
                changes["attempt_count"] = 0
                changes["lost_claims"] = 0
            if record.transition(SyncStatus.PENDING, **changes):
                count += 1
                enqueue_on_commit(record.pk)
    return count


def send_with_spectrum_total(records_or_ids: Iterable[SyncRecord | int], user: Any, note: str = "") -> int:
    """Send documents held for a total Spectrum computes differently (``HOLD_TOTAL``) as they are.

    The accountant accepts Spectrum's total: read-back then checks that Spectrum holds what was
    sent, and the platform is told Spectrum's total and tax. Returns how many were queued.
    """
    count = 0
    with transaction.atomic():
        for record in _records(records_or_ids):
            if record.status != SyncStatus.HELD or record.error_code != HOLD_TOTAL:
                continue
            accepted = _note(user, "Spectrum's total accepted", note)[:2000]
            changes: dict[str, Any] = {
                "next_attempt_at": None,
                "held_reason": "",
                "platform_notified_at": None,
                "resolution_note": accepted,
                "readback": {**record.readback, "difference_accepted": accepted},
            }
            if getattr(user, "pk", None):
                changes["resolved_by"] = user
            if record.transition(SyncStatus.PENDING, **changes):
                count += 1
                enqueue_on_commit(record.pk)
    return count


def bypass(record: SyncRecord | int, user: Any, reason: str) -> bool:
    """Mark a record as entered by hand in Spectrum: final, never sent, the platform is told.

    The platform is told by the result task once this commits, never inside the accountant's
    request: while the platform is down that task (and the sweeper after it) keeps trying.
    """
    if not reason.strip():
        raise ValueError("Say why the document is bypassed (for example: entered by hand as invoice 1234).")
    found = _records([record])
    if not found:
        return False
    target = found[0]
    if target.status not in (SyncStatus.PENDING, SyncStatus.FAILED, SyncStatus.HELD):
        return False
    with transaction.atomic():
        changes: dict[str, Any] = {
            "resolution_note": _note(user, "Bypassed (entered by hand in Spectrum)", reason)[:2000],
            "platform_notified_at": None,
            "next_attempt_at": None,
        }
        if getattr(user, "pk", None):
            changes["resolved_by"] = user
        ok = target.transition(SyncStatus.BYPASSED, **changes)
        if ok:
            send_on_commit(EXPORT_RESULT, target.pk)
    return ok


def release_connection_hold(tenant: Tenant, user: Any = None, note: str = "") -> int:
    """Clear the connection's authorization flag and resume the exports it held."""
    from spectrum_sync.notifications.api import notify_event

    with transaction.atomic():
        SpectrumConnection.objects.filter(tenant=tenant).update(exports_held_reason="", exports_held_at=None)
        held = SyncRecord.objects.filter(
            tenant=tenant, direction=Direction.EXPORT, status=SyncStatus.HELD, error_code=HOLD_AUTHORIZATION
        )
        count = retry(list(held), user, note or "authorization fixed")
        notify_event(tenant, "recovered")
    return count


def release_mapping_holds(tenant: Tenant, user: Any = None) -> int:
    """Resume the tenant's exports held for incomplete mappings that the mappings now complete.

    The mapping screens call this after every save. Completeness needs no mirror: the rules, the
    company and the document decide it, so one snapshot of the rules serves every held record.
    """
    rules = load_rules(tenant)
    company = preflight.default_company(tenant)
    held = SyncRecord.objects.filter(
        tenant=tenant, direction=Direction.EXPORT, status=SyncStatus.HELD, error_code=HOLD_CONFIGURATION
    ).order_by("created_at")
    complete = []
    for record in held.iterator():
        declaration = EXPORTS.get(record.object_type)
        if declaration is None:
            continue
        mapped = declaration.mapper(record.payload, rules, Known(), company)
        if not preflight.configuration_problems(rules, record.object_type, company, mapped):
            complete.append(record)
    return retry(complete, user, "mappings completed") if complete else 0
