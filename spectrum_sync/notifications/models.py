"""Who hears about what: notification rules, the events they match, and one row per email.

An event (:class:`NotificationEvent`) is written in the caller's transaction; the emails it causes
(:class:`EmailDelivery`) each carry a unique ``key``, so a task that runs twice, or an event that is
reported twice, still sends one email. Sending claims the delivery by a conditional update first.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.utils import timezone

from spectrum_sync.fields import TypeNameField
from spectrum_sync.models import SyncRecord, SyncRun, Tenant, type_choices


class Event(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    HELD = "held", "Held"
    RECOVERED = "recovered", "Recovered"
    POLL_FAILED = "poll_failed", "Poll failed"


EVENT_VALUES = frozenset(Event.values)


def parse_recipients(text: str) -> list[str]:
    """Addresses separated by commas, semicolons or new lines, duplicates dropped, order kept."""
    seen: dict[str, None] = {}
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        address = part.strip()
        if address:
            seen.setdefault(address, None)
    return list(seen)


def validate_recipients(text: str) -> None:
    addresses = parse_recipients(text)
    if not addresses:
        raise ValidationError("Enter at least one email address.")
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(f"{address!r} is not a valid email address.") from None


def validate_events(value: object) -> None:
    if not isinstance(value, list) or not value or any(v not in EVENT_VALUES for v in value):
        raise ValidationError(f"Choose one or more of: {', '.join(Event.values)}.")


def validate_object_types(value: object) -> None:
    if not isinstance(value, list) or any(v not in dict(type_choices()) for v in value):
        raise ValidationError("Unknown object type.")


class NotificationRule(models.Model):
    """Per tenant: which object types and events reach which recipients, at once or in a daily digest."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "Immediately, one email per event"
        DIGEST = "digest", "Daily digest"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="notification_rules")
    name = models.CharField(max_length=100, help_text="For example “Compliance team: jobs to review”.")
    active = models.BooleanField(default=True)
    object_types = models.JSONField(
        default=list, blank=True, validators=[validate_object_types], help_text="Empty means every object type."
    )
    events = models.JSONField(default=list, validators=[validate_events])
    recipients = models.TextField(
        validators=[validate_recipients], help_text="Email addresses, separated by commas or new lines."
    )
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    # Connection-health alerts go to rules that ask for them, whatever their object types.
    health_alerts = models.BooleanField(
        default=False, help_text="Also send connection-health alerts (failed checks, expiring secrets, late polls)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant", "name"]
        indexes = [models.Index(fields=["tenant", "active"], name="notifyrule_tenant_active")]

    def __str__(self) -> str:
        return f"{self.name} ({self.tenant})"

    @property
    def recipient_list(self) -> list[str]:
        return parse_recipients(self.recipients)

    def matches(self, event: str, object_type: str) -> bool:
        return self.active and event in self.events and (not self.object_types or object_type in self.object_types)


class NotificationEvent(models.Model):
    """Something that happened to a sync record or a poll run, as told by the engine."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="notification_events")
    event = models.CharField(max_length=12, choices=Event.choices)
    object_type = TypeNameField(max_length=20, choices=type_choices, blank=True)
    record = models.ForeignKey(SyncRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What the record or run said at that moment (its error may change later).
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["tenant", "event", "-created_at"], name="notifyevent_tenant_time")]

    def __str__(self) -> str:
        return f"{self.get_event_display()} {self.detail.get('label', '')} ({self.tenant})"


class Escalation(models.Model):
    """A tenant that keeps failing: opened once, closed when a success shows it has cleared."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="escalations")
    reason = models.CharField(max_length=20, default="failures")
    opened_at = models.DateTimeField(default=timezone.now)
    failure_count = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # At most one open escalation per tenant and reason: the partial unique index is the lock.
            models.UniqueConstraint(
                fields=["tenant", "reason"], condition=Q(closed_at__isnull=True), name="escalation_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"Escalation of {self.tenant} since {self.opened_at:%Y-%m-%d %H:%M}"


class EmailDelivery(models.Model):
    """One email to send; ``key`` makes it happen once, however often it is asked for."""

    class Kind(models.TextChoices):
        EVENT = "event", "Event"
        DIGEST = "digest", "Daily digest"
        ESCALATION = "escalation", "Escalation"
        RECOVERED = "recovered", "Recovered"
        HEALTH = "health", "Connection health"
        DELETIONS = "deletions", "Deletions waiting for confirmation"
        SECURITY = "security", "Security notice"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="email_deliveries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    rule = models.ForeignKey(NotificationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    event = models.ForeignKey(NotificationEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recipients = models.TextField()
    # Whatever the template needs beyond the rows above (digest window, health findings, counts).
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    subject = models.CharField(max_length=255, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    # When a failed send is due again (the task's own retry); the sweeper leaves it alone until then.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "email deliveries"
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="emaildelivery_tenant_time"),
            models.Index(fields=["created_at"], name="emaildelivery_pending", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} email to {self.recipients[:60]}"

    @property
    def recipient_list(self) -> list[str]:
        return parse_recipients(self.recipients)
