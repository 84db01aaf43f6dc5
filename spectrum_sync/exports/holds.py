"""Holds that wait for something outside the record: a master record in Spectrum, a connection.

A document that names a customer or job Spectrum does not have yet is held (code ``HOLD_PARENT``)
and released when the imports poll or our own job export reports the parent; one that arrived
before its tenant had a Spectrum connection (``HOLD_NO_CONNECTION``) is released when one is saved.
One dated in a closed accounting period (``HOLD_PERIOD``) is released by ``periods.release_due``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from mappings.mappers import company_of
from mappings.rules import Known, MappingRules
from spectrum_sync.catalogue import EXPORTS
from spectrum_sync.exports import preflight
from spectrum_sync.exports.queueing import enqueue_on_commit
from spectrum_sync.models import Direction, SpectrumConnection, SyncRecord, SyncStatus, Tenant

# Holds are told apart by their code: "M" waits for a master record (Spectrum's "missing"), "A" for
# the connection's authorization (Spectrum's "abort"), "CFG" for incomplete mappings, "TOTAL" for an
# accountant's decision on a total Spectrum will compute differently.
HOLD_PARENT, HOLD_AUTHORIZATION, HOLD_CONFIGURATION, HOLD_TOTAL = "M", "A", "CFG", "TOTAL"
# Held because the tenant has no Spectrum connection yet; released when one is saved.
HOLD_NO_CONNECTION = "CONN"
# Held because a date falls in a period Spectrum has not open (its refusal, or the range recorded
# here); released when the window opens or an accountant moves the GL date (exports/periods.py).
HOLD_PERIOD = "PERIOD"
NO_CONNECTION = "No Spectrum connection yet: this document is sent once the tenant's connection is added."


def parents_of(record: SyncRecord) -> set[tuple[str, str]]:
    """The master records (object_type, mirror key) the document refers to."""
    declaration = EXPORTS.get(record.object_type)
    if declaration is None:
        return set()
    company = company_of(record.payload, preflight.default_company(record.tenant))
    probe = declaration.mapper(record.payload, MappingRules(), Known(), company)
    return {p.parent for p in probe.missing_parents if p.parent}


def release_held_for(tenant: Tenant, object_type: str, keys: Iterable[str]) -> int:
    """Release the tenant's exports held for a missing ``object_type`` whose key is in ``keys``.

    For the IMPORTS poll (after it writes the mirror) and for our own job exports. Keys are mirror
    keys, ``"<company>|<code>"`` (``SpectrumRecord.key``). Released records go back to pending and
    are enqueued after commit; one still missing another parent is held again by the engine.
    Returns how many were released.
    """
    arrived = {(object_type, key) for key in keys}
    if not arrived:
        return 0
    released = 0
    held = SyncRecord.objects.filter(
        tenant=tenant, direction=Direction.EXPORT, status=SyncStatus.HELD, error_code=HOLD_PARENT
    ).select_related("tenant")
    with transaction.atomic():
        for record in held:
            if parents_of(record) & arrived and record.transition(
                SyncStatus.PENDING, next_attempt_at=None, held_reason="", error_message="", platform_notified_at=None
            ):
                released += 1
                enqueue_on_commit(record.pk)
    return released


def release_on_new_connection(instance: SpectrumConnection, created: bool, raw: bool = False, **_: Any) -> None:
    """A tenant's first connection is saved (``post_save``, connected in SpectrumSyncConfig.ready):
    documents that arrived while it had none were held for one."""
    if created and not raw:
        release_held_without_connection(instance.tenant)


def release_held_without_connection(tenant: Tenant) -> int:
    """The tenant's exports held for want of a Spectrum connection go back to pending (one is saved)."""
    released = 0
    held = SyncRecord.objects.filter(
        tenant=tenant, direction=Direction.EXPORT, status=SyncStatus.HELD, error_code=HOLD_NO_CONNECTION
    ).select_related("tenant")
    if not held.exists():  # the usual case: every connection save asks
        return 0
    with transaction.atomic():
        for record in held:
            if record.transition(
                SyncStatus.PENDING,
                next_attempt_at=None,
                held_reason="",
                error_code="",
                error_message="",
                platform_notified_at=None,
            ):
                released += 1
                enqueue_on_commit(record.pk)
    return released
