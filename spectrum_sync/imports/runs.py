"""The bookkeeping of a poll run: its counts, its closing, the words of its notices, who is told.

Split from :mod:`.engine` (which reads, compares and delivers); everything here writes only the
``SyncRun`` and the schedule's lease.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from connectors.errors import Consequence
from connectors.platform.errors import PlatformError
from connectors.spectrum.errors import SpectrumError
from spectrum_sync.imports import leases
from spectrum_sync.imports.declarations import ImportDeclaration
from spectrum_sync.models import PollSchedule, SyncRun, Tenant
from spectrum_sync.redaction import redact

logger = logging.getLogger("spectrum_sync.imports.engine")


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
