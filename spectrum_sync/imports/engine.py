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

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from connectors.errors import Consequence
from connectors.platform.errors import PlatformError
from connectors.spectrum.errors import SpectrumError
from connectors.spectrum.records import SpectrumRecord
from mappings.rules import load_class_names
from spectrum_sync import connections, enqueue
from spectrum_sync.imports import bulk, deletions, leases, mappers, readers
from spectrum_sync.imports.declarations import ImportDeclaration, get, record_hash
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
class Counts:
    read: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: int = 0
    other_company: int = 0
    held: int = 0
    notices: list[str] = field(default_factory=list)

    def apply_to(self, run: SyncRun) -> None:
        run.read_count = self.read
        run.created_count = self.created
        run.updated_count = self.updated
        run.deleted_count = self.deleted
        run.unchanged_count = self.unchanged
        run.failed_count = self.failed
        run.other_company_count = self.other_company
        run.held_deletion_count = self.held
        run.notice = "\n".join(self.notices)


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
                self.counts.notices.append(cut_notice(company))
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
        declaration, counts = self.declaration, self.counts
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
            digest = record_hash(declaration, record)
            if previous is None:
                self.queue(Change("create", key, record.company_code, digest.hex(), record, self.upsert_item(record)))
            elif previous != digest or self.full:
                self.queue(Change("update", key, record.company_code, digest.hex(), record, self.upsert_item(record)))
            else:
                counts.unchanged += 1
            if counts.read % PROGRESS_EVERY == 0:
                self.tick()
        return seen

    def upsert_item(self, record: SpectrumRecord) -> dict[str, Any]:
        data = self.declaration.to_item_data(record)
        if self.declaration.object_type == "gl_department":
            data = mappers.as_platform_class(data, self.class_names)
        return {"action": "upsert", "key": record.key, "data": data}

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
        items = [change.item for change in changes]
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
        object_type, tenant_id = self.declaration.object_type, self.tenant.pk
        with transaction.atomic():
            # The platform already has these changes: if a database crash lost this commit, the
            # mirror would merely lag and the next poll deliver them again (never a lost change),
            # so the commit need not wait for the disk.
            bulk.relax_commit()
            leases.hold_for_write(self.schedule.pk, self.token)
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
            "tenant_id": self.tenant.pk,
            "direction": Direction.IMPORT.value,
            "object_type": object_type,
            "platform_id": "",
            "version": change.row_hash,
            "document_number": change.key.split("|", 1)[-1][:60],
            "spectrum_key": change.key[:100],
            "company_code": change.company_code[:3],
            "status": (SyncStatus.FAILED if error else SyncStatus.SUCCEEDED).value,
            "idempotency_key": SyncRecord.make_idempotency_key(
                self.tenant.pk, Direction.IMPORT, object_type, change.key[:180], f"run{self.run.pk}"
            ),
            "payload": payload,
            "error_code": "platform" if error else "",
            "error_message": error,
            "attempt_count": 1,
            "created_at": now,
            "updated_at": now,
            "sent_at": now,
            "finished_at": now,
            "platform_notified_at": None if error else now,
        }


def cut_notice(company: str) -> str:
    return (
        f"Spectrum's reply for company {company} ended in a cut after a whole row (its known truncation, or "
        "a server that stopped mid-reply): the records read were delivered, but no deletions were computed."
    )


def other_company_notice(count: int, companies: list[str]) -> str:
    return (
        f"{count} row(s) Spectrum returned belong to another company than {', '.join(companies)}; "
        "they were dropped, not delivered."
    )


def describe_delivery_error(exc: PlatformError) -> str:
    if exc.consequence is Consequence.REJECT:
        return redact(f"The platform refused the delivery (HTTP {exc.status}): {exc.body}")[:2000]
    if exc.consequence is Consequence.CONFIGURATION:
        return redact(f"Delivery to the platform is not configured: {exc.message}")[:2000]
    return redact(f"The platform could not be reached or was busy: {exc.message}")[:2000]


def describe_read_error(exc: SpectrumError, declaration: ImportDeclaration, source: str) -> str:
    if exc.consequence is Consequence.CONFIGURATION:
        return redact(f"Reading {declaration.label} from Spectrum ({source}) is not set up: {exc}")
    kind = "could not be reached" if exc.retryable else "refused the request"
    return redact(f"Spectrum {kind} while reading {declaration.label} ({source}): {exc}")


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
    return run


def run_redelivery(
    schedule: PollSchedule, token: int, changes: list[Change], *, platform: PlatformSender | None = None
) -> SyncRun:
    """Deliver failed changes again under the poll's lease, as a run of their own.

    What succeeds is recorded exactly like a poll's delivery (mirror, a new import record, the
    earlier failures resolved); what fails again gets a new failed record with today's reason.
    """
    declaration = get(schedule.object_type)
    started = time.monotonic()
    run = SyncRun.objects.create(
        tenant=schedule.tenant, object_type=declaration.object_type, trigger=SyncRun.Trigger.RETRY, fencing_token=token
    )
    counts = Counts()
    error = ""
    owned_client = None
    try:
        if platform is None:
            platform = owned_client = connections.platform_client(schedule.tenant)
        poll = Poll(schedule, token, run, declaration, platform, counts=counts)
        for change in changes:
            poll.queue(change)
        poll.flush()
    except (DeliveryFailed, leases.LeaseLost) as exc:
        error = redact(str(exc))
    except Exception as exc:  # a bug must still end the run visibly, not leave it "running"
        logger.exception("redelivery of %s %s failed", schedule.tenant.slug, declaration.object_type)
        error = redact(f"Internal error ({type(exc).__name__}): {exc}")
    if owned_client is not None:
        owned_client.close()
    finish(schedule, token, run, counts, error, started, tell=False, is_poll=False)
    return run


def close_orphaned_runs(schedule: PollSchedule, token: int) -> int:
    """Runs still "running" under an older token belong to a poll that died: say so and close them."""
    orphans = SyncRun.objects.filter(
        tenant_id=schedule.tenant_id,
        object_type=schedule.object_type,
        status=SyncRun.Status.RUNNING,
        fencing_token__lt=token,
    )
    if not orphans.exists():  # the usual case: a read, so a quiet poll still writes only its run
        return 0
    return orphans.update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        error="The poll stopped without finishing (its worker died or lost its lease); a later poll took over. "
        "Changes it had not recorded are delivered by the next poll.",
    )


def finish(
    schedule: PollSchedule,
    token: int,
    run: SyncRun,
    counts: Counts,
    error: str,
    started: float,
    *,
    tell: bool = True,
    is_poll: bool = True,
) -> None:
    counts.apply_to(run)
    run.status = (
        SyncRun.Status.FAILED if error else SyncRun.Status.AWAITING if counts.held else SyncRun.Status.SUCCEEDED
    )
    run.error = error
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    previous = previous_run_status(run)
    with transaction.atomic():
        run.save(update_fields=[*FINAL_FIELDS])
        # A retry is not a poll: it must not make a poll that stopped running look recent.
        leases.release(schedule.pk, token, run_id=run.pk if is_poll else None, succeeded=is_poll and not error)
        if tell:
            notify(schedule.tenant, run, previous)
    if error:
        logger.warning("poll %s of %s %s failed: %s", run.pk, schedule.tenant.slug, run.object_type, error)
    else:
        logger.info(
            "poll %s of %s %s: read %s, created %s, updated %s, deleted %s in %s ms",
            run.pk,
            schedule.tenant.slug,
            run.object_type,
            run.read_count,
            run.created_count,
            run.updated_count,
            run.deleted_count,
            run.duration_ms,
        )


FINAL_FIELDS = (
    "status",
    "error",
    "finished_at",
    "duration_ms",
    "read_count",
    "created_count",
    "updated_count",
    "deleted_count",
    "unchanged_count",
    "failed_count",
    "other_company_count",
    "held_deletion_count",
    "notice",
)


def previous_run_status(run: SyncRun) -> str | None:
    return (
        SyncRun.objects.filter(tenant_id=run.tenant_id, object_type=run.object_type, finished_at__isnull=False)
        .exclude(pk=run.pk)
        .order_by("-started_at", "-pk")
        .values_list("status", flat=True)
        .first()
    )


def notify(tenant: Tenant, run: SyncRun, previous: str | None) -> None:
    from spectrum_sync.notifications.api import notify_event

    if run.status == SyncRun.Status.FAILED:
        notify_event(tenant, "poll_failed", run=run)
    elif previous == SyncRun.Status.FAILED:
        notify_event(tenant, "recovered", run=run)
