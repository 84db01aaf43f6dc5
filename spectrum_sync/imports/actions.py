"""What people ask the import engine to do: the admin's buttons and the command line.

Stable names (the admin calls them; keep them):

- :func:`sync_now` ``(tenant, object_types=())`` — poll now, outside the schedule.
- :func:`full_resync` ``(tenant, object_types=())`` — poll now and re-deliver every record.
- :func:`reset_state` ``(tenant, object_types)`` — forget the mirror: the next poll delivers
  everything as new.
- :func:`ensure_schedules` ``(tenant, interval_minutes=None)`` — a ``PollSchedule`` for every object
  type the tenant's connection can read (call when a tenant is enabled; the demo calls
  :func:`enable_demo_polls`).
- :func:`set_interval` ``(schedule, minutes)`` — change a schedule's interval; a shorter one applies
  at once (call it from the admin when ``interval_minutes`` is edited).
- :func:`run_in_foreground` ``(tenant, object_type, ...)`` — one poll in this process (``sync_poll``).
- :func:`retry_failed_imports` ``(records, user)`` — deliver failed import records again now.
- :func:`dismiss_failed_imports` ``(records, user, reason)`` — take import failures off the queue.

Every poll, however started, takes the same lease (:mod:`.leases`), so a button pressed while the
scheduled poll runs reports "already running" instead of starting a second one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from spectrum_sync.imports import declarations, deletions, dispatcher, leases
from spectrum_sync.imports.engine import Change, Progress, run_poll
from spectrum_sync.imports.redelivery import run_redelivery
from spectrum_sync.models import (
    Direction,
    MirrorRecord,
    PendingDeletion,
    PollSchedule,
    SpectrumConnection,
    SyncRecord,
    SyncRun,
    SyncStatus,
    Tenant,
)

DEFAULT_INTERVAL_MINUTES = 30
DEMO_INTERVAL_MINUTES = 1


class PollBusy(Exception):
    """A poll of this (tenant, object type) is running; its lease has not expired."""


@dataclass
class PollRequest:
    """What a "sync now" / "full resync" did, per object type."""

    started: list[str] = field(default_factory=list)
    already_running: list[str] = field(default_factory=list)
    not_scheduled: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = []
        if self.started:
            parts.append(f"started: {', '.join(self.started)}")
        if self.already_running:
            parts.append(f"already running: {', '.join(self.already_running)}")
        if self.not_scheduled:
            parts.append(f"not readable with this connection: {', '.join(self.not_scheduled)}")
        return "; ".join(parts) or "nothing to poll"


def readable_object_types(tenant: Tenant) -> list[str]:
    """Object types this tenant's connection can read, in dependency order."""
    try:
        connection = tenant.connection
    except SpectrumConnection.DoesNotExist:
        return []
    database = connection.db_enabled
    web = connection.read_source == SpectrumConnection.ReadSource.WEB_SERVICES
    return declarations.in_dependency_order(declarations.readable_types(web_services=web, database=database))


def ensure_schedules(tenant: Tenant, *, interval_minutes: int | None = None) -> list[PollSchedule]:
    """Create the missing schedules (due at once) for every readable object type; return them all.

    Existing rows keep their interval unless ``interval_minutes`` is given.
    """
    schedules = []
    now = timezone.now()
    for object_type in readable_object_types(tenant):
        schedule, created = PollSchedule.objects.get_or_create(
            tenant=tenant,
            object_type=object_type,
            defaults={"interval_minutes": interval_minutes or DEFAULT_INTERVAL_MINUTES, "next_due_at": now},
        )
        if not created and interval_minutes and schedule.interval_minutes != interval_minutes:
            set_interval(schedule, interval_minutes)
        schedules.append(schedule)
    return schedules


def set_interval(schedule: PollSchedule, minutes: int) -> PollSchedule:
    """Change how often a (tenant, object type) is polled; a shorter interval takes effect at once
    (the next poll is never later than one new interval from now)."""
    if minutes < 1:
        raise ValueError("A poll interval is at least one minute.")
    schedule.interval_minutes = minutes
    schedule.next_due_at = min(schedule.next_due_at, timezone.now() + timedelta(minutes=minutes))
    schedule.save(update_fields=["interval_minutes", "next_due_at"])
    return schedule


def enable_demo_polls(tenant: Tenant) -> list[PollSchedule]:
    """The demo polls every minute, so a newcomer sees records arrive within a minute of `make run`."""
    return ensure_schedules(tenant, interval_minutes=DEMO_INTERVAL_MINUTES)


def _schedules(tenant: Tenant, object_types: Iterable[str]) -> tuple[list[PollSchedule], list[str]]:
    wanted = list(object_types) or list(declarations.DECLARATIONS)
    for name in wanted:
        declarations.get(name)  # unknown names are an error, not silently ignored
    # A tenant being onboarded imports its reference data before anyone set up schedules.
    if not PollSchedule.objects.filter(tenant=tenant).exists():
        ensure_schedules(tenant)
    rows = {s.object_type: s for s in PollSchedule.objects.filter(tenant=tenant, object_type__in=wanted)}
    if not object_types:  # "everything" means everything that is scheduled and enabled
        rows = {name: s for name, s in rows.items() if s.enabled}
        wanted = list(rows)
    ordered = declarations.in_dependency_order(wanted)
    return [rows[name] for name in ordered if name in rows], [name for name in ordered if name not in rows]


def request_polls(tenant: Tenant, object_types: Sequence[str], trigger: str) -> PollRequest:
    result = PollRequest()
    schedules, result.not_scheduled = _schedules(tenant, object_types)
    claimed: list[tuple[int, int]] = []
    with transaction.atomic():
        for schedule in schedules:
            token = leases.take(schedule.pk, leases.owner_name(trigger), seconds=leases.dispatch_lease_seconds())
            if token is None:
                result.already_running.append(schedule.object_type)
            else:
                claimed.append((schedule.pk, token))
                result.started.append(schedule.object_type)
    if claimed:
        dispatcher.enqueue_polls(claimed, trigger)
    return result


def sync_now(tenant: Tenant, object_types: Sequence[str] = ()) -> PollRequest:
    """Poll now (all scheduled object types when none are named), in dependency order."""
    return request_polls(tenant, object_types, SyncRun.Trigger.MANUAL)


def confirm(batch: PendingDeletion, user: Any, note: str = "") -> PollRequest | None:
    """Confirmed: poll now, so the deletions still missing from Spectrum reach the platform."""
    if not deletions.decide(batch, user, deletions.Status.CONFIRMED, note):
        return None
    return sync_now(batch.tenant, [batch.object_type])


def full_resync(tenant: Tenant, object_types: Sequence[str] = ()) -> PollRequest:
    """Poll now and re-deliver every record, changed or not (the platform upserts by key)."""
    return request_polls(tenant, object_types, SyncRun.Trigger.FULL)


@transaction.atomic
def reset_state(tenant: Tenant, object_types: Sequence[str]) -> int:
    """Forget what was seen of these object types; the next poll delivers every record as new.

    Returns how many mirror rows were forgotten. Records deleted in Spectrum meanwhile are then
    not deleted on the platform (the mirror no longer knows them).
    """
    for name in object_types:
        declarations.get(name)
    deleted, _ = MirrorRecord.objects.filter(tenant=tenant, object_type__in=list(object_types)).delete()
    return deleted


def run_in_foreground(
    tenant: Tenant,
    object_type: str,
    *,
    trigger: str = SyncRun.Trigger.COMMAND,
    progress: Progress | None = None,
) -> SyncRun:
    """Run one poll in this process under the usual lease; raises PollBusy if one is running."""
    declarations.get(object_type)
    schedule, _ = PollSchedule.objects.get_or_create(
        tenant=tenant, object_type=object_type, defaults={"interval_minutes": DEFAULT_INTERVAL_MINUTES}
    )
    owner = leases.owner_name(trigger)
    token = leases.take(schedule.pk, owner)
    token = leases.start(schedule.pk, token, owner) if token is not None else None
    if token is None:
        schedule.refresh_from_db()
        raise PollBusy(
            f"A poll of {object_type} for {tenant.slug} is running (lease held by {schedule.lease_owner or '?'} "
            f"until {schedule.lease_expires_at:%H:%M:%S} UTC); try again when it ends."
        )
    schedule.refresh_from_db()
    return run_poll(schedule, token, trigger, progress=progress)


def poll_scheduled(schedule_id: int, token: int, trigger: str) -> SyncRun | None:
    """The task's body: start the poll the token was handed out for, unless it is stale."""
    token_now = leases.start(schedule_id, token, leases.owner_name("worker"))
    if token_now is None:
        return None  # a duplicate message, or superseded: another poll holds (or held) the lease
    schedule = PollSchedule.objects.select_related("tenant").get(pk=schedule_id)
    if not schedule.tenant.active:
        leases.release(schedule_id, token_now, run_id=None, succeeded=False)
        return None
    return run_poll(schedule, token_now, trigger)


@dataclass
class RetryOutcome:
    """What "Retry" did with failed import records: one run per (tenant, object type)."""

    runs: list[SyncRun] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return sum(run.created_count + run.updated_count + run.deleted_count for run in self.runs)

    @property
    def failed(self) -> int:
        return sum(run.failed_count for run in self.runs)


def failed_imports(records: Iterable[SyncRecord]) -> list[SyncRecord]:
    return [r for r in records if r.direction == Direction.IMPORT and r.status == SyncStatus.FAILED]


def retry_failed_imports(records: Sequence[SyncRecord], user: Any = None) -> RetryOutcome:
    """Deliver again what these failed import records were to deliver, under each poll's lease.

    Per record key the newest failed change is sent (Spectrum's latest value we read, which the
    mirror only takes once the platform has it). A success resolves every earlier failure of that
    record; a renewed failure gets a record of its own and the retried ones leave the queue.
    """
    outcome = RetryOutcome()
    groups: dict[tuple[int, str], list[SyncRecord]] = {}
    for record in failed_imports(records):
        groups.setdefault((record.tenant_id, record.object_type), []).append(record)
    for (_tenant, object_type), group in groups.items():
        tenant = group[0].tenant
        run = _redeliver(tenant, object_type, group)
        if run is None:
            outcome.busy.append(f"{tenant.slug} {object_type}")
            continue
        _retried(group, run, user)
        outcome.runs.append(run)
    return outcome


def _redeliver(tenant: Tenant, object_type: str, records: list[SyncRecord]) -> SyncRun | None:
    declarations.get(object_type)
    schedule, _ = PollSchedule.objects.get_or_create(
        tenant=tenant, object_type=object_type, defaults={"interval_minutes": DEFAULT_INTERVAL_MINUTES}
    )
    owner = leases.owner_name("retry")
    token = leases.take(schedule.pk, owner)
    token = leases.start(schedule.pk, token, owner) if token is not None else None
    if token is None:
        return None  # a poll runs now; it delivers these records itself if Spectrum still has them
    schedule.refresh_from_db()
    return run_redelivery(schedule, token, newest_changes(tenant, object_type, records))


def newest_changes(tenant: Tenant, object_type: str, records: list[SyncRecord]) -> list[Change]:
    """The newest failed change of each record key among ``records``."""
    keys = {r.spectrum_key for r in records}
    newest: dict[str, SyncRecord] = {}
    failures = SyncRecord.objects.filter(
        tenant=tenant, direction=Direction.IMPORT, object_type=object_type, status=SyncStatus.FAILED,
        spectrum_key__in=keys,
    ).order_by("created_at", "pk")  # fmt: skip
    for record in failures:
        newest[record.spectrum_key] = record
    return [change_of(record) for record in newest.values()]


def change_of(record: SyncRecord) -> Change:
    payload = record.payload
    key = str(payload.get("key") or record.spectrum_key)
    item = {name: payload[name] for name in ("action", "key", "data") if name in payload}
    return Change(
        str(payload.get("change", "update")), key, record.company_code, record.version, None, item,
        mirror=payload.get("mirror"),
    )  # fmt: skip


def _retried(records: list[SyncRecord], run: SyncRun, user: Any) -> None:
    """Retried records whose retry failed again leave the queue: the retry's own record has today's reason."""
    now = timezone.now()
    by = f" by {user}" if user is not None else ""
    recorded = SyncRecord.objects.filter(
        tenant_id=run.tenant_id, direction=Direction.IMPORT, object_type=run.object_type,
        created_at__gte=run.started_at,
        payload__delivery_id__startswith=f"{run.tenant.slug}.{run.object_type}.run{run.pk}.",
    ).values_list("spectrum_key", flat=True)  # fmt: skip
    SyncRecord.objects.filter(
        pk__in=[r.pk for r in records], status=SyncStatus.FAILED, spectrum_key__in=list(recorded)
    ).update(
        status=SyncStatus.SUPERSEDED,
        resolved_by=user if user is not None and user.pk else None,
        resolved_at=now,
        updated_at=now,
        resolution_note=f"Retried{by} in run {run.pk}, which failed again: see that run's record.",
    )
    for record in records:
        record.refresh_from_db(fields=["status", "resolution_note", "resolved_at", "resolved_by"])


def dismiss_failed_imports(records: Sequence[SyncRecord], user: Any, reason: str) -> int:
    """Take failed import records off the queue with a reason (who and when are recorded too)."""
    if not reason.strip():
        raise ValueError("Say why these import failures are dismissed.")
    done = 0
    for record in failed_imports(records):
        done += record.transition(
            SyncStatus.DISMISSED,
            resolved_by=user,
            resolution_note=reason.strip(),
            resolved_at=timezone.now(),
        )
    return done
