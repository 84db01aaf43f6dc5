"""Run one poll in the foreground: ``python manage.py sync_poll TENANT [--object TYPE] [--full]``.

Without ``--object`` every object type the tenant's connection can read is polled, parents first.
It takes the same lease as the scheduled polls, so it refuses to run beside one.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from spectrum_sync.imports import actions, declarations
from spectrum_sync.models import MirrorRecord, SyncRun, Tenant


class ProgressBar:
    """A one-line bar on stderr; the total is what the mirror knew last time (an estimate)."""

    width = 30

    def __init__(self, label: str, expected: int, stream: Any) -> None:
        self.label = label
        self.expected = expected
        self.stream = stream
        self.started = time.monotonic()
        self.interactive = stream.isatty()

    def __call__(self, read: int, run: SyncRun) -> None:
        if not self.interactive:
            return
        rate = read / max(time.monotonic() - self.started, 1e-6)
        if self.expected:
            done = min(read / self.expected, 1.0)
            bar = "#" * int(done * self.width)
            shown = f"[{bar:<{self.width}}] {read}/~{self.expected}"
        else:
            shown = f"{read} read"
        changed = run.created_count + run.updated_count + run.deleted_count
        self.stream.write(f"\r{self.label:<28} {shown}  {changed} changed  {rate:,.0f}/s ")
        self.stream.flush()

    def close(self) -> None:
        if self.interactive:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


class Command(BaseCommand):
    help = "Poll Spectrum for one tenant now, in the foreground, and print what changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant", help="Tenant slug")
        parser.add_argument(
            "--object",
            dest="object_types",
            action="append",
            choices=list(declarations.DECLARATIONS),
            help="Object type to poll (repeatable); default: every type the connection can read.",
        )
        parser.add_argument("--full", action="store_true", help="Re-deliver every record, changed or not.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = Tenant.objects.select_related("connection").get(slug=options["tenant"])
        except Tenant.DoesNotExist:
            raise CommandError(f"No tenant with slug {options['tenant']!r}.") from None
        object_types = options["object_types"] or actions.readable_object_types(tenant)
        if not object_types:
            raise CommandError(f"Tenant {tenant.slug} has no Spectrum connection to poll.")
        trigger = SyncRun.Trigger.FULL if options["full"] else SyncRun.Trigger.COMMAND
        failures = 0
        for object_type in declarations.in_dependency_order(object_types):
            failures += not self.poll_one(tenant, object_type, trigger)
        if failures:
            raise CommandError(f"{failures} poll(s) failed; see above.")

    def poll_one(self, tenant: Tenant, object_type: str, trigger: str) -> bool:
        label = declarations.get(object_type).label
        expected = MirrorRecord.objects.filter(tenant=tenant, object_type=object_type, deleted_at__isnull=True).count()
        bar = ProgressBar(label, expected, sys.stderr)
        try:
            run = actions.run_in_foreground(tenant, object_type, trigger=trigger, progress=bar)
        except actions.PollBusy as exc:
            bar.close()
            self.stderr.write(self.style.WARNING(f"{label}: {exc}"))
            return False
        bar.close()
        summary = (
            f"{label}: read {run.read_count}, created {run.created_count}, updated {run.updated_count}, "
            f"deleted {run.deleted_count}, unchanged {run.unchanged_count}, failed {run.failed_count} "
            f"in {run.duration_ms / 1000:.1f} s (run #{run.pk})"
        )
        if run.status == SyncRun.Status.SUCCEEDED:
            self.stdout.write(self.style.SUCCESS(summary))
            if run.notice:
                self.stdout.write(f"  note: {run.notice}")
            return True
        if run.status == SyncRun.Status.AWAITING:
            # Delivered, except deletions a person must confirm first: worth seeing, not a failure.
            self.stdout.write(self.style.WARNING(f"{summary}; {run.get_status_display().lower()}"))
            self.stdout.write(f"  note: {run.notice}")
            return True
        self.stdout.write(self.style.ERROR(summary))
        self.stderr.write(f"  reason: {run.error}")
        return False
