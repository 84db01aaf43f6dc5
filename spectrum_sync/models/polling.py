"""Polling: each run, the mirror of what was last seen in Spectrum, schedules, deletions held back, the beat."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from spectrum_sync.fields import TypeNameField
from spectrum_sync.models.ledger import type_choices
from spectrum_sync.models.tenants import Tenant


class SyncRun(models.Model):
    """One poll of one object type for one tenant, with what it counted."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        # Everything else was delivered; too many deletions wait for implementation staff.
        AWAITING = "awaiting", "Deletions waiting for confirmation"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Sync now"
        FULL = "full", "Full resync"
        COMMAND = "command", "Command line"
        RETRY = "retry", "Retry of failed deliveries"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sync_runs")
    object_type = TypeNameField(max_length=20, choices=type_choices)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    read_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    deleted_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    # Rows Spectrum returned for a company this poll did not ask for: dropped, never delivered.
    other_company_count = models.PositiveIntegerField(default=0, verbose_name="rows of another company (dropped)")
    held_deletion_count = models.PositiveIntegerField(default=0, verbose_name="deletions waiting for confirmation")
    notice = models.TextField(blank=True, help_text="What this poll held back, and why.")
    error = models.TextField(blank=True)
    fencing_token = models.PositiveBigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "object_type", "-started_at"], name="syncrun_tenant_type_time"),
            models.Index(fields=["-started_at"], name="syncrun_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_object_type_display()} poll of {self.tenant} at {self.started_at:%Y-%m-%d %H:%M}"


class MirrorRecord(models.Model):
    """What was last seen of one Spectrum record: detects changes and deletions, and offers choices.

    One row per (tenant, object type, key). ``data`` is the typed record as JSON; ``row_hash`` is
    the hash of the fields that matter, compared on every poll. A record that vanished from Spectrum
    keeps its row with ``deleted_at`` set.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="mirror")
    object_type = TypeNameField(max_length=20, choices=type_choices)
    key = models.CharField(max_length=200)
    company_code = models.CharField(max_length=3, blank=True)
    row_hash = models.CharField(max_length=32)
    data = models.JSONField(default=dict)
    first_seen_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "object_type", "key"], name="mirror_unique_key"),
        ]
        indexes = [models.Index(fields=["tenant", "object_type", "company_code"], name="mirror_tenant_type_co")]

    def __str__(self) -> str:
        return f"{self.get_object_type_display()} {self.key}"


class PollSchedule(models.Model):
    """When each (tenant, object type) is polled next, and the lease that keeps polls from overlapping.

    The dispatcher takes a lease by a conditional update (``lease_expires_at`` in the past) and bumps
    ``fencing_token``; a poll writes its results only while its token is still the current one.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="poll_schedules")
    object_type = TypeNameField(max_length=20, choices=type_choices)
    enabled = models.BooleanField(default=True)
    interval_minutes = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1)], help_text="Minutes between polls (1 or more)."
    )
    next_due_at = models.DateTimeField(default=timezone.now)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    fencing_token = models.PositiveBigIntegerField(default=0)
    last_run = models.ForeignKey("SyncRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "object_type"], name="pollschedule_unique"),
            models.CheckConstraint(condition=Q(interval_minutes__gte=1), name="pollschedule_interval_min_1"),
        ]
        indexes = [models.Index(fields=["next_due_at"], name="pollschedule_due", condition=Q(enabled=True))]

    def __str__(self) -> str:
        return f"{self.tenant} {self.get_object_type_display()} every {self.interval_minutes} min"


class PendingDeletion(models.Model):
    """Deletions a poll did not deliver because there were too many; implementation staff decide.

    One batch per poll that held them. A later complete poll of the same object type replaces a
    waiting batch (it knows better what is gone); a confirmed batch is delivered by the next poll
    for the keys that are still missing then.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for confirmation"
        CONFIRMED = "confirmed", "Confirmed: the next poll delivers them"
        DELIVERED = "delivered", "Delivered"
        DISCARDED = "discarded", "Discarded"
        SUPERSEDED = "superseded", "Replaced by a later poll"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="pending_deletions")
    object_type = TypeNameField(max_length=20, choices=type_choices)
    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="pending_deletions")
    keys = models.JSONField(default=list, help_text="Spectrum keys the poll no longer found.")
    key_count = models.PositiveIntegerField(default=0)
    known_count = models.PositiveIntegerField(default=0, help_text="Live records of this type before the poll.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    delivered_run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["tenant", "object_type", "status"], name="pendingdel_tenant_type")]
        permissions = [("decide_pendingdeletion", "Can confirm or discard deletions waiting for confirmation")]

    def __str__(self) -> str:
        return f"{self.key_count} {self.get_object_type_display()} deletions of {self.tenant}"


class BeatHeartbeat(models.Model):
    """When Celery beat last went round its loop (spectrum_sync/beat.py); ``check_beat`` reads it."""

    BEAT = "beat"

    name = models.CharField(max_length=20, primary_key=True)
    last_tick_at = models.DateTimeField()
    hostname = models.CharField(max_length=100, blank=True)
    pid = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} last ticked at {self.last_tick_at:%Y-%m-%d %H:%M:%S}"
