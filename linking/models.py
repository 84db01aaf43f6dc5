"""What the platform already has, and which Spectrum record each of its records is linked to.

A ``DirectoryEntry`` is one record of the platform's own directory (a customer, a company it buys
from, a project), as the platform last sent it. A ``RecordLink`` pairs one of them with one mirrored
Spectrum record (``MirrorRecord.key``, "<company>|<code>"): proposed by the matcher with a score
and its reason, then confirmed, rejected or unlinked by a person. Only confirmed links change what
the pipelines do. Every change of a link's status is a ``LinkEvent``, so an unlink is on record
and can be undone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from spectrum_sync.fields import TypeNameField
from spectrum_sync.models import Tenant


class LinkableType(models.TextChoices):
    """The records both sides keep: the mirror's object type, with the API name the platform uses."""

    CUSTOMER = "customer", "Customer"
    VENDOR = "vendor", "Vendor (company)"
    JOB = "job", "Job (project)"


API_NAMES = {"customers": LinkableType.CUSTOMER, "vendors": LinkableType.VENDOR, "jobs": LinkableType.JOB}


class LinkStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"
    UNLINKED = "unlinked", "Unlinked"


class DirectoryEntry(models.Model):
    """One record of the platform's directory, as it was last sent (the matcher's input)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="directory_entries")
    object_type = TypeNameField(max_length=20, choices=LinkableType.choices)
    platform_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=60, blank=True)
    address = models.JSONField(default=dict, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    tax_id = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "platform directory record"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "object_type", "platform_id"], name="directory_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.platform_id})"


class RecordLink(models.Model):
    """A platform record and the Spectrum record it is (or may be) the same as."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="record_links")
    object_type = TypeNameField(max_length=20, choices=LinkableType.choices)
    platform_id = models.CharField(max_length=100)
    platform_name = models.CharField(max_length=200, blank=True)
    spectrum_key = models.CharField(max_length=200)
    spectrum_name = models.CharField(max_length=200, blank=True)
    score = models.PositiveSmallIntegerField(default=0, help_text="How sure the match is, 0–100.")
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=LinkStatus.choices, default=LinkStatus.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="When the platform was given the link.")
    delivery_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "record link"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "object_type", "platform_id", "spectrum_key"], name="link_unique_pair"
            ),
            # One platform record is one Spectrum record, and the other way round, once confirmed.
            models.UniqueConstraint(
                fields=["tenant", "object_type", "spectrum_key"],
                condition=Q(status="confirmed"),
                name="link_one_confirmed_per_spectrum_key",
            ),
            models.UniqueConstraint(
                fields=["tenant", "object_type", "platform_id"],
                condition=Q(status="confirmed"),
                name="link_one_confirmed_per_platform_id",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "object_type", "status", "spectrum_key"], name="link_lookup")]

    def __str__(self) -> str:
        return f"{self.platform_name or self.platform_id} ↔ {self.spectrum_name or self.spectrum_key}"


class LinkEvent(models.Model):
    """One change of a link's status: who, when, from what to what."""

    class Action(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"
        UNLINKED = "unlinked", "Unlinked"
        RELINKED = "relinked", "Relinked"
        UNDONE = "undone", "Undone"

    link = models.ForeignKey(RecordLink, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    from_status = models.CharField(max_length=10, choices=LinkStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=LinkStatus.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"
