"""The one write path for a document the platform sends: store it once, enqueue it after commit.

A document is one record per (tenant, document type, document id, version). Its versions reach
Spectrum in version order: a version older than one already received is refused, never stored,
so the records of one document are stored in version order and the engine sends them in that
order. Versions compare as numbers when both are whole numbers, otherwise as text (ISO 8601
timestamps sort right).

A document of a type the tenant approves first (spectrum_sync/exports/approval.py) is stored
``awaiting_approval`` and not queued; a newer version replaces a waiting one in the queue.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, connection, transaction

from spectrum_sync.exports import approval
from spectrum_sync.exports.holds import HOLD_NO_CONNECTION, NO_CONNECTION
from spectrum_sync.exports.queueing import enqueue_on_commit
from spectrum_sync.models import Direction, SpectrumConnection, SyncRecord, SyncStatus, Tenant

# A tenant loaded with this annotation (the API's authentication does) carries its Spectrum
# connection's company codes, None when it has no connection: intake then asks no query for it.
CONNECTION_COMPANY_CODES = "connection_company_codes"


class Refused(Exception):
    """The document cannot be taken as sent; ``code`` tells the platform why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def body_hash(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def version_key(version: str) -> tuple[int, int, str]:
    return (0, int(version), "") if version.isascii() and version.isdigit() else (1, 0, version)


def accept(
    tenant: Tenant, object_type: str, platform_id: str, version: str, document: Mapping[str, Any]
) -> tuple[SyncRecord, bool]:
    """Store ``document`` as a sync record; the same (document, version) and body twice is one record.

    Returns the record and whether it was created now. Raises :class:`Refused` for the same
    version with another body, or a version older than one already received. The record is
    enqueued once this transaction commits (never before: a worker must find the row).
    """
    digest = body_hash(document)
    try:
        with transaction.atomic():
            known = _versions_of(tenant, object_type, platform_id)
            same = next((record for record in known if record.version == version), None)
            if same is not None:
                return _repeat(same, digest), False
            _refuse_if_superseded(known, version)
            approval.supersede_waiting(known, version)
            return _create(tenant, object_type, platform_id, version, document, digest), True
    except IntegrityError:  # the same version posted twice at once: the other request stored it
        same = SyncRecord.objects.get(
            tenant=tenant, direction=Direction.EXPORT, object_type=object_type, platform_id=platform_id, version=version
        )
        return _repeat(same, digest), False


def _versions_of(tenant: Tenant, object_type: str, platform_id: str) -> list[SyncRecord]:
    """The document's stored versions, with the document locked: a concurrent post of another
    version waits for this one, so versions are stored in version order."""
    _lock_document(tenant, object_type, platform_id)
    return list(
        SyncRecord.objects.select_for_update()
        .filter(tenant=tenant, direction=Direction.EXPORT, object_type=object_type, platform_id=platform_id)
        .only("pk", "version", "body_hash", "status", "tenant_id")
    )


def _lock_document(tenant: Tenant, object_type: str, platform_id: str) -> None:
    """A transaction lock on the document, also before its first version exists (PostgreSQL; SQLite
    lets one writer at a time anyway)."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(json.dumps([tenant.pk, object_type, platform_id]).encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)])


def _repeat(record: SyncRecord, digest: str) -> SyncRecord:
    stored = record.body_hash or body_hash(SyncRecord.objects.get(pk=record.pk).payload)
    if stored != digest:
        raise Refused(
            "different_body",
            f"Version {record.version} of this document was received before with a different body. "
            "Send changes as a new version.",
        )
    return SyncRecord.objects.get(pk=record.pk)


def _refuse_if_superseded(known: list[SyncRecord], version: str) -> None:
    newest = max((record.version for record in known), key=version_key, default=None)
    if newest is not None and version_key(newest) > version_key(version):
        raise Refused(
            "superseded",
            f"Version {version} is older than version {newest} of this document, already received; "
            "it is not sent to Spectrum, so it cannot overwrite the newer one.",
        )


def _create(
    tenant: Tenant, object_type: str, platform_id: str, version: str, document: Mapping[str, Any], digest: str
) -> SyncRecord:
    if approval.needs_approval(tenant, object_type):
        return _create_awaiting_approval(tenant, object_type, platform_id, version, document, digest)
    connected = _connected(tenant)
    record = SyncRecord.objects.create(
        tenant=tenant,
        direction=Direction.EXPORT,
        object_type=object_type,
        platform_id=platform_id,
        version=version,
        idempotency_key=SyncRecord.make_idempotency_key(tenant.pk, Direction.EXPORT, object_type, platform_id, version),
        # Without a connection nothing could send it: held, and released when one is added.
        status=SyncStatus.PENDING if connected else SyncStatus.HELD,
        error_code="" if connected else HOLD_NO_CONNECTION,
        held_reason="" if connected else NO_CONNECTION,
        error_message="" if connected else NO_CONNECTION,
        payload=dict(document),
        body_hash=digest,
        company_code=str(document.get("company_code") or "")[:3],
    )
    if connected:
        enqueue_on_commit(record.pk)
    return record


def _connected(tenant: Tenant) -> bool:
    """Whether the tenant has a Spectrum connection: no query for a tenant loaded with
    CONNECTION_COMPANY_CODES (the API's authentication), one otherwise."""
    if hasattr(tenant, CONNECTION_COMPANY_CODES):
        return getattr(tenant, CONNECTION_COMPANY_CODES) is not None
    return SpectrumConnection.objects.filter(tenant=tenant).exists()


def _create_awaiting_approval(
    tenant: Tenant, object_type: str, platform_id: str, version: str, document: Mapping[str, Any], digest: str
) -> SyncRecord:
    """Stored for an accountant to approve or reject; not queued. The platform hears that it waits."""
    record = SyncRecord.objects.create(
        tenant=tenant,
        direction=Direction.EXPORT,
        object_type=object_type,
        platform_id=platform_id,
        version=version,
        idempotency_key=SyncRecord.make_idempotency_key(tenant.pk, Direction.EXPORT, object_type, platform_id, version),
        status=SyncStatus.AWAITING_APPROVAL,
        payload=dict(document),
        body_hash=digest,
        company_code=str(document.get("company_code") or "")[:3],
    )
    approval.tell_platform_on_commit(record)
    return record
