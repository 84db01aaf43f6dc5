"""One poll of one object type for one tenant: read everything, deliver only what changed.

Spectrum's Get services have no "changed since" filter (docs/spectrum.md#no-changed-since-filter),
so every poll streams the whole object type. Each record is hashed
(:func:`~spectrum_sync.imports.declarations.record_hash`) and compared with the mirror's hash for
its key, loaded up front as a compact ``key → digest`` map; unchanged records cost a dictionary
lookup and write nothing. New, changed and vanished records are delivered to the platform in chunks;
only after the platform has a chunk does the mirror record it (in one transaction guarded by the
poll's fencing token), together with one import ``SyncRecord`` per record. If a delivery fails, the
mirror keeps its old hashes, so the next poll sees the same changes and delivers them again — a
change is never lost, only delayed. Deletions are computed only after a complete read (never after a
reply that ended in a cut), never for companies this poll did not read, and more of them than
:func:`.deletions.limit` allows wait for a person (:mod:`.deletions`). Rows tagged with a company
the poll did not ask for are dropped and counted. A successful delivery of a record resolves that
record's earlier failed deliveries.

Entry point: :func:`run_poll`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from json.encoder import encode_basestring_ascii
from typing import Any, Protocol

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from connectors.platform.errors import PlatformError
from connectors.spectrum.errors import SpectrumError
from connectors.spectrum.records import SpectrumRecord
from linking.lookup import with_platform_ids
from mappings.rules import load_class_names
from spectrum_sync import connections, enqueue
from spectrum_sync.imports import bulk, deletions, leases, mappers, readers
from spectrum_sync.imports.declarations import ImportDeclaration, get, hasher
from spectrum_sync.imports.runs import (
    Counts,
    close_orphaned_runs,
    cut_notice,
    describe_delivery_error,
    describe_read_error,
    finish,
    other_company_notice,
)
from spectrum_sync.models import Direction, PollSchedule, SyncRecord, SyncRun, SyncStatus, Tenant
from spectrum_sync.redaction import redact

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000  # changes per platform delivery and per mirror transaction
HEARTBEAT_SECONDS = 20.0  # how often a running poll extends its lease
PROGRESS_EVERY = 1000  # records between progress callbacks
# A company that suddenly returns nothing while the mirror knows more than this many of its
# records is more likely a permission or reader problem than a mass deletion in Spectrum.
EMPTY_READ_GUARD = 10


SEEN = b""  # marks a key of the live map as read in this poll (real digests are 16 bytes)


class PlatformSender(Protocol):
    """The part of connectors.platform.client.PlatformClient a poll uses (shared contract)."""

    def deliver(self, resource: str, items: list[dict[str, Any]], *, delivery_id: str) -> Any: ...


Progress = Callable[[int, SyncRun], None]
ReaderFactory = Callable[[Tenant, ImportDeclaration], AbstractContextManager[readers.RecordReader]]


class PollRefused(Exception):
    """The poll stopped on purpose, with a reason an implementer can act on."""


class DeliveryFailed(Exception):
    pass


@dataclass
class Change:
    action: str  # "create", "update" or "delete"
    key: str
    company_code: str
    row_hash: str  # hex; "" for a delete
    record: SpectrumRecord | None  # None for a delete, and for a retried delivery
    item: dict[str, Any]
    # What the mirror keeps of the record when there is no SpectrumRecord (a retried delivery).
    mirror: dict[str, Any] | None = None

    @property
    def mirror_data(self) -> dict[str, Any] | None:
        return bulk.record_data(self.record) if self.record is not None else self.mirror


@dataclass
class Poll:
    schedule: PollSchedule
    token: int
    run: SyncRun
    declaration: ImportDeclaration
    platform: PlatformSender
    full: bool = False
    progress: Progress | None = None
    counts: Counts = field(default_factory=Counts)
    pending: list[Change] = field(default_factory=list)
    chunk_number: int = 0
    last_heartbeat: float = field(default_factory=time.monotonic)
    confirmed_batches: list[int] = field(default_factory=list)
    _failures_known: bool | None = None

    @property
    def tenant(self) -> Tenant:
        return self.schedule.tenant

    # --- reading and comparing ------------------------------------------------------------------

    def read(self, reader: readers.RecordReader, companies: list[str]) -> None:
        live = bulk.live_hashes(self.tenant.pk, self.declaration.object_type)
        known_total = len(live)
        complete = True
        for company in companies:
            known = sum(1 for key in live if key.startswith(company + "|"))
            cuts = readers.cut_replies(reader)
            seen = self.compare(reader.iter_records(self.declaration.object_type, company), live, company)
            if readers.cut_replies(reader) > cuts:
                complete = False
                # REST Get Vendors without the database reads active vendors only: not a cut reply.
                self.counts.notices.append(readers.incomplete_notice(reader, company) or cut_notice(company))
            elif seen == 0 and known > EMPTY_READ_GUARD:
                raise PollRefused(
                    f"Spectrum returned no {self.declaration.label} records for company {company} although "
                    f"{known} were imported before; nothing was deleted. If they really are gone, use "
                    "'reset' on this object type and poll again."
                )
        if self.counts.other_company:
            self.counts.notices.append(other_company_notice(self.counts.other_company, companies))
        if complete:
            prefixes = tuple(company + "|" for company in companies)
            vanished = [key for key, digest in live.items() if digest is not SEEN and key.startswith(prefixes)]
            self.queue_deletions(deletions.screen(self, vanished, known_total))
        self.flush()
        deletions.mark_delivered(self)

    def compare(self, records: Iterator[SpectrumRecord], live: dict[str, bytes], company: str) -> int:
        counts, digest_of, queue = self.counts, hasher(self.declaration), self.queue
        seen = 0
        for record in records:
            if record.company_code.strip().upper() != company:
                counts.other_company += 1  # never delivered, and never a reason to delete
                continue
            seen += 1
            counts.read += 1
            key = record.key
            previous = live.get(key)
            if previous is SEEN:
                # A reader that partitions its query may hand the same record twice; once is enough
                # (and one upsert batch must not hold a key twice).
                counts.read -= 1
                seen -= 1
                continue
            live[key] = SEEN
            digest = digest_of(record)
            if previous is None:
                queue(Change("create", key, record.company_code, digest.hex(), record, self.upsert_item(record, key)))
            elif previous != digest or self.full:
                queue(Change("update", key, record.company_code, digest.hex(), record, self.upsert_item(record, key)))
            else:
                counts.unchanged += 1
            if counts.read % PROGRESS_EVERY == 0:
                self.tick()
        return seen

    def upsert_item(self, record: SpectrumRecord, key: str) -> dict[str, Any]:
        data = self.declaration.to_item_data(record)
        if self.declaration.object_type == "gl_department":
            data = mappers.as_platform_class(data, self.class_names)
        return {"action": "upsert", "key": key, "data": data}

    @cached_property
    def class_names(self) -> dict[str, str]:
        """The tenant's Department ↔ class mapping, read once per poll."""
        return load_class_names(self.tenant)

    def queue_deletions(self, keys: list[str]) -> None:
        for key in keys:
            company = key.split("|", 1)[0]
            self.queue(Change("delete", key, company, "", None, {"action": "delete", "key": key}))

    def tick(self) -> None:
        if time.monotonic() - self.last_heartbeat >= HEARTBEAT_SECONDS:
            leases.extend(self.schedule.pk, self.token)
            self.last_heartbeat = time.monotonic()
        if self.progress:
            self.counts.apply_to(self.run)
            self.progress(self.counts.read, self.run)

    # --- delivering and recording ---------------------------------------------------------------

    def queue(self, change: Change) -> None:
        self.pending.append(change)
        if len(self.pending) >= CHUNK_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        changes, self.pending = self.pending, []
        self.chunk_number += 1
        delivery_id = f"{self.tenant.slug}.{self.declaration.object_type}.run{self.run.pk}.{self.chunk_number}"
        # A record linked to one the platform already had carries its platform id (one query per chunk).
        items = with_platform_ids(self.tenant.pk, self.declaration.object_type, [change.item for change in changes])
        try:
            self.platform.deliver(self.declaration.resource, items, delivery_id=delivery_id)
        except PlatformError as exc:
            delivered = min(exc.delivered_items, len(changes))
            reason = describe_delivery_error(exc)
            self.record(changes[:delivered], delivery_id)
            self.record(changes[delivered:], delivery_id, error=reason)
            raise DeliveryFailed(
                f"{reason} — {len(changes) - delivered} change(s) not delivered; the next poll delivers them again."
            ) from exc
        self.record(changes, delivery_id)

    def record(self, changes: list[Change], delivery_id: str, error: str = "") -> None:
        """Write what the platform now has (or failed to get) in one fenced transaction."""
        if not changes:
            return
        now = timezone.now()
        with transaction.atomic():
            # The platform already has these changes: if a database crash lost this commit, the
            # mirror would merely lag and the next poll deliver them again (never a lost change),
            # so the commit need not wait for the disk.
            bulk.relax_commit()
            leases.hold_for_write(self.schedule.pk, self.token)
            if bulk.is_postgres():
                self.write_staged(changes, delivery_id, error, now)
            else:
                self.write_rows(changes, delivery_id, error, now)
        if error:
            self.counts.failed += len(changes)
            return
        self.release_held_exports([c.key for c in changes if c.action != "delete"])
        for change in changes:
            if change.action == "create":
                self.counts.created += 1
            elif change.action == "update":
                self.counts.updated += 1
            else:
                self.counts.deleted += 1

    def write_rows(self, changes: list[Change], delivery_id: str, error: str, now: Any) -> None:
        """The mirror and the import records, row by row from Python (SQLite, ``make run``)."""
        object_type, tenant_id = self.declaration.object_type, self.tenant.pk
        if not error:
            bulk.upsert_mirror(
                tenant_id,
                object_type,
                [
                    bulk.MirrorRow(c.key, c.company_code, c.row_hash, data)
                    for c in changes
                    if c.action != "delete" and (data := c.mirror_data) is not None
                ],
                now,
            )
            bulk.mark_deleted(tenant_id, object_type, [c.key for c in changes if c.action == "delete"], now)
            self.resolve_failures([c.key for c in changes], now)
        bulk.insert(SyncRecord, [self.sync_record(c, delivery_id, error, now) for c in changes])

    def write_staged(self, changes: list[Change], delivery_id: str, error: str, now: Any) -> None:
        """The same writes as :meth:`write_rows` (PostgreSQL): each change is copied to the server
        once and the mirror rows and import records are built there, with the same values."""
        object_type, tenant_id = self.declaration.object_type, self.tenant.pk
        idempotency_key = self.idempotency_keys()
        bulk.stage_changes(
            (c.key, c.company_code, c.row_hash, c.action, c.mirror_data, c.item, idempotency_key(c.key))
            for c in changes
        )
        if not error:
            bulk.upsert_staged_mirror(tenant_id, object_type, now)
            bulk.mark_deleted(tenant_id, object_type, [c.key for c in changes if c.action == "delete"], now)
            self.resolve_failures([c.key for c in changes], now)
        # payload: the item, what the change was and which delivery carried it (and, for a failed
        # one, what the mirror keeps once a retry delivers it), as sync_record() builds it.
        payload = "item || jsonb_build_object('change', action, 'delivery_id', %s::text)"
        if error:
            payload += " || CASE WHEN data IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('mirror', data) END"
        row = self.sync_record_constants(error, now)
        bulk.insert_staged(
            SyncRecord,
            computed={
                "version": ("row_hash", ()),
                "document_number": ("left(substr(key, strpos(key, '|') + 1), 60)", ()),
                "spectrum_key": ("left(key, 100)", ()),
                "company_code": ("left(company_code, 3)", ()),
                "idempotency_key": ("idempotency_key", ()),
                "payload": (payload, (delivery_id,)),
            },
            constants=row,
        )

    def idempotency_keys(self) -> Callable[[str], str]:
        """key → what ``SyncRecord.make_idempotency_key`` gives an import record of this run, with the
        parts every record of the run shares encoded once (the JSON list is the same text)."""
        tenant_id, object_type = self.tenant.pk, self.declaration.object_type
        head = json.dumps([tenant_id, Direction.IMPORT.value, object_type], separators=(",", ":"))[:-1] + ","
        tail = "," + json.dumps(f"run{self.run.pk}") + "]"
        prefix = f"{tenant_id}:{Direction.IMPORT.value}:"
        encode, sha256 = encode_basestring_ascii, hashlib.sha256

        def idempotency_key(key: str) -> str:
            return prefix + sha256((head + encode(key[:180]) + tail).encode()).hexdigest()

        return idempotency_key

    def sync_record_constants(self, error: str, now: Any) -> dict[str, Any]:
        """The columns every import record of one write shares."""
        return {
            "tenant_id": self.tenant.pk,
            "direction": Direction.IMPORT.value,
            "object_type": self.declaration.object_type,
            "platform_id": "",
            "status": (SyncStatus.FAILED if error else SyncStatus.SUCCEEDED).value,
            "error_code": "platform" if error else "",
            "error_message": error,
            "attempt_count": 1,
            "created_at": now,
            "updated_at": now,
            "sent_at": now,
            "finished_at": now,
            "platform_notified_at": None if error else now,
        }

    def resolve_failures(self, keys: list[str], now: Any) -> None:
        """Earlier failed deliveries of these records are done with: the platform has them now."""
        if self._failures_known is None:  # one indexed probe per poll keeps a quiet poll cheap
            self._failures_known = self.failed_imports().exists()
        if not self._failures_known:
            return
        self.failed_imports().filter(spectrum_key__in=[key[:100] for key in keys]).update(
            status=SyncStatus.SUPERSEDED,
            resolved_at=now,
            updated_at=now,
            resolution_note=f"Delivered again by {self.run.get_trigger_display().lower()} run {self.run.pk}.",
        )

    def failed_imports(self) -> Any:
        return SyncRecord.objects.filter(
            tenant_id=self.tenant.pk,
            status=SyncStatus.FAILED,
            direction=Direction.IMPORT,
            object_type=self.declaration.object_type,
        )

    def release_held_exports(self, keys: list[str]) -> None:
        """Exports held because this parent (customer, job...) was missing can go now.

        An exports worker releases them, so the poll runs no export mapper; a lost message only
        delays them until the exports sweeper releases the holds whose parents arrived.
        """
        if keys:
            enqueue.send_on_commit(enqueue.EXPORT_RELEASE_HELD, self.tenant.pk, self.declaration.object_type, keys)

    def sync_record(self, change: Change, delivery_id: str, error: str, now: Any) -> dict[str, Any]:
        """One import SyncRecord as column values (bulk-inserted; see bulk.insert)."""
        object_type = self.declaration.object_type
        payload = {**change.item, "change": change.action, "delivery_id": delivery_id}
        if error and change.mirror_data is not None:
            payload["mirror"] = change.mirror_data  # what a retry hands the mirror once delivered
        return {
            **self.sync_record_constants(error, now),
            "version": change.row_hash,
            "document_number": change.key.split("|", 1)[-1][:60],
            "spectrum_key": change.key[:100],
            "company_code": change.company_code[:3],
            "idempotency_key": SyncRecord.make_idempotency_key(
                self.tenant.pk, Direction.IMPORT, object_type, change.key[:180], f"run{self.run.pk}"
            ),
            "payload": payload,
        }


def run_poll(
    schedule: PollSchedule,
    token: int,
    trigger: str = SyncRun.Trigger.SCHEDULE,
    *,
    progress: Progress | None = None,
    platform: PlatformSender | None = None,
    reader_factory: ReaderFactory | None = None,
) -> SyncRun:
    """Run one poll while holding the lease identified by ``token`` (see :mod:`.leases`).

    Always returns the finished ``SyncRun`` (succeeded or failed, with counts, duration and a reason);
    never raises for Spectrum, platform or lease problems. ``trigger`` "full" re-delivers every record.
    ``platform`` and ``reader_factory`` default to the tenant's real clients (tests and benchmarks
    pass their own).
    """
    declaration = get(schedule.object_type)
    tenant = schedule.tenant
    started = time.monotonic()
    close_orphaned_runs(schedule, token)
    run = SyncRun.objects.create(
        tenant=tenant, object_type=declaration.object_type, trigger=trigger, fencing_token=token
    )
    counts = Counts()
    error = ""
    source = "?"
    superseded = False
    owned_client = None
    try:
        connection = tenant.connection
        source = readers.source_name(connection, declaration)
        if platform is None:
            platform = owned_client = connections.platform_client(tenant)
        poll = Poll(
            schedule,
            token,
            run,
            declaration,
            platform,
            full=trigger == SyncRun.Trigger.FULL,
            progress=progress,
            counts=counts,
        )
        with (reader_factory or readers.reading)(tenant, declaration) as reader:
            poll.read(reader, connection.companies)
    except SpectrumError as exc:
        error = describe_read_error(exc, declaration, source)
    except leases.LeaseLost as exc:
        # A newer poll of the same type runs now; its outcome is the one worth telling anyone.
        error, superseded = redact(str(exc)), True
    except (DeliveryFailed, PollRefused) as exc:
        error = redact(str(exc))
    except ObjectDoesNotExist:
        error = "This tenant has no Spectrum connection yet; set one up before polling."
    except Exception as exc:  # a bug must still end the run visibly, not leave it "running"
        logger.exception("poll of %s %s failed", tenant.slug, declaration.object_type)
        error = redact(f"Internal error ({type(exc).__name__}): {exc}")
    if owned_client is not None:
        owned_client.close()
    finish(schedule, token, run, counts, error, started, tell=not superseded)
    if not superseded:
        release_period_holds(tenant)
    return run


# The export hold code of a closed Spectrum period (spectrum_sync/exports/holds.py HOLD_PERIOD; the
# pipelines import nothing of each other, tests/exports/test_periods.py checks the two agree).
PERIOD_HOLD = "PERIOD"


def release_period_holds(tenant: Tenant) -> None:
    """After each poll: an exports worker looks again at the tenant's exports held for a closed
    period (spectrum_sync/exports/periods.py); no message when it has none."""
    held = SyncRecord.objects.filter(
        tenant=tenant, direction=Direction.EXPORT, status=SyncStatus.HELD, error_code=PERIOD_HOLD
    )
    if held.exists():
        enqueue.send_on_commit(enqueue.EXPORT_RELEASE_PERIODS, tenant.pk)
