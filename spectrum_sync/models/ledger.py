"""The ledger: one row per synced item and one per attempt, and the state machine of a record.

A record's status only moves through :meth:`SyncRecord.transition`, a conditional update that
refuses illegal moves and loses races visibly instead of overwriting another worker's result."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from spectrum_sync.catalogue.registry import export_choices
from spectrum_sync.fields import TypeNameField
from spectrum_sync.models.tenants import Tenant


class Direction(models.TextChoices):
    EXPORT = "export", "Platform → Spectrum"
    IMPORT = "import", "Spectrum → platform"


class ObjectType(models.TextChoices):
    """The name of every object type a record, a poll or a rule is about.

    The exported types are members only so that code can name them (``ObjectType.AR_INVOICE``):
    which types are exported, and how screens label them, is the catalogue's (spectrum_sync/catalogue/),
    so a new exported type needs no member here. Fields and forms take ``type_choices``.
    """

    # Exports (platform → Spectrum): labelled by their catalogue declarations.
    AR_INVOICE = "ar_invoice"
    JOB = "job"
    PO_RECEIPT = "po_receipt"
    MAINTENANCE = "maintenance"
    COMMITMENT = "commitment"
    CHANGE_ORDER = "change_order"
    # Imports (Spectrum → platform); "job" above is also imported as a project.
    CUSTOMER = "customer", "Customer"
    VENDOR = "vendor", "Vendor"
    GL_ACCOUNT = "gl_account", "GL account"
    GL_DEPARTMENT = "gl_department", "GL department (class)"
    SALES_TAX = "sales_tax", "AR sales tax rate"
    PURCHASE_TAX = "purchase_tax", "AP purchase tax rate"
    AR_PAYMENT = "ar_payment", "AR payment"
    PO_BILL = "po_bill", "PO bill"
    PHASE = "phase", "Phase (cost code)"
    COST_TYPE = "cost_type", "Cost type (category)"
    BUDGET = "budget", "Budget (original estimate)"
    JOB_COST = "job_cost", "Job cost to date"
    PRIME_CONTRACT = "prime_contract", "Prime contract"


def type_choices() -> list[tuple[str, str]]:
    """(name, label) of every object type: the exported ones as the catalogue labels them, then the
    imported ones (a type that is both, the job, once)."""
    exported = export_choices()
    names = {name for name, _label in exported}
    return [*exported, *((value, str(label)) for value, label in ObjectType.choices if value not in names)]


def type_label(name: str) -> str:
    """How screens and e-mails name the object type ``name`` (the name itself if it is none)."""
    return dict(type_choices()).get(name, name)


class IllegalTransition(Exception):
    """A status change the state machine does not allow."""


class SyncStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    HELD = "held", "Held"
    BYPASSED = "bypassed", "Bypassed"
    UNKNOWN = "unknown", "Outcome unknown"
    # Spectrum accepted the export; we are reading it back to compare what it holds.
    CONFIRMING = "confirming", "Confirming in Spectrum"
    # Exports of a type the tenant approves first: waiting for an accountant, or turned down by one.
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    REJECTED = "rejected", "Rejected by an approver"
    # Import failures only: a later delivery of the same record went through, or a person dismissed it.
    SUPERSEDED = "superseded", "Superseded by a later delivery"
    DISMISSED = "dismissed", "Dismissed"


# Which status may follow which. Succeeded and bypassed are final.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    SyncStatus.PENDING: frozenset(
        {SyncStatus.SENDING, SyncStatus.HELD, SyncStatus.BYPASSED, SyncStatus.FAILED, SyncStatus.AWAITING_APPROVAL}
    ),
    # Approved → pending (the normal export); a newer version of the document replaces it → superseded.
    SyncStatus.AWAITING_APPROVAL: frozenset({SyncStatus.PENDING, SyncStatus.REJECTED, SyncStatus.SUPERSEDED}),
    SyncStatus.REJECTED: frozenset(),
    SyncStatus.SENDING: frozenset(
        {
            SyncStatus.SUCCEEDED,
            SyncStatus.CONFIRMING,
            SyncStatus.FAILED,
            SyncStatus.HELD,
            SyncStatus.UNKNOWN,
            SyncStatus.PENDING,
        }
    ),
    SyncStatus.UNKNOWN: frozenset(
        {SyncStatus.SENDING, SyncStatus.SUCCEEDED, SyncStatus.CONFIRMING, SyncStatus.PENDING, SyncStatus.FAILED}
    ),
    # Read back: equal → succeeded; different or never found → failed (a person decides).
    SyncStatus.CONFIRMING: frozenset({SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.BYPASSED}),
    SyncStatus.FAILED: frozenset(
        {SyncStatus.PENDING, SyncStatus.BYPASSED, SyncStatus.SUPERSEDED, SyncStatus.DISMISSED}
    ),
    SyncStatus.HELD: frozenset({SyncStatus.PENDING, SyncStatus.BYPASSED, SyncStatus.FAILED}),
    SyncStatus.SUCCEEDED: frozenset(),
    SyncStatus.BYPASSED: frozenset(),
    SyncStatus.SUPERSEDED: frozenset(),
    SyncStatus.DISMISSED: frozenset(),
}


class Verification(models.TextChoices):
    """What reading an export back from Spectrum showed (docs/architecture.md#read-back)."""

    NONE = "", "Not read back yet"
    CONFIRMED = "confirmed", "Confirmed: Spectrum holds what was sent"
    UNVERIFIED = "unverified", "Accepted by Spectrum, not verified"
    MISMATCH = "mismatch", "Spectrum holds something else"
    NOT_FOUND = "not_found", "Accepted, but not found in Spectrum"


class SyncRecord(models.Model):
    """One document or record crossing between the platform and Spectrum."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sync_records")
    direction = models.CharField(max_length=6, choices=Direction.choices)
    object_type = TypeNameField(max_length=20, choices=type_choices)
    platform_id = models.CharField(max_length=100, blank=True, help_text="The document's id on the platform.")
    version = models.CharField(max_length=40, blank=True, help_text="The platform's version of the document.")
    document_number = models.CharField(max_length=60, blank=True, help_text="Invoice / job / PO number.")
    spectrum_key = models.CharField(max_length=100, blank=True, help_text="The record's key in Spectrum.")
    company_code = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=20, choices=SyncStatus.choices, default=SyncStatus.PENDING)
    idempotency_key = models.CharField(max_length=255, unique=True)
    payload = models.JSONField(default=dict, blank=True, help_text="The document as received (secrets never).")
    # SHA-256 of the document as received: the same document and version posted with another body
    # is refused, not mistaken for a repeat.
    body_hash = models.CharField(max_length=64, blank=True)

    # Last error, in Spectrum's own terms (docs/spectrum.md#replies-and-codes) plus our reason when it is ours.
    error_code = models.CharField(max_length=10, blank=True)
    error_message = models.TextField(blank=True)
    error_column = models.CharField(max_length=100, blank=True)
    held_reason = models.TextField(blank=True)

    # Approval (exports of a type the tenant approves first): who decided, when, and the comment.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    # An accountant moved the GL date out of a closed period (the original stays in the payload).
    gl_date_override = models.DateField(null=True, blank=True)

    # Read-back (exports): what Spectrum holds after it accepted the document, and how it compared.
    verification = models.CharField(max_length=12, choices=Verification.choices, blank=True, default="")
    readback = models.JSONField(
        default=dict, blank=True, help_text="What Spectrum holds: number, dates, line count, amounts and tax."
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    # Confirming gives up at this time and flags the record.
    confirm_until = models.DateTimeField(null=True, blank=True)

    # Work bookkeeping.
    attempt_count = models.PositiveIntegerField(default=0)
    # Claims in a row whose worker stopped without an outcome (crash, out of memory, kill). At
    # EXPORT_WORKER_LOSS_LIMIT the sweeper sets the record aside instead of feeding it to the next
    # worker: a document that kills every worker that touches it must not take the service down.
    lost_claims = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)

    # Who set it aside, and why.
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    # Timings.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    platform_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "status", "-created_at"], name="syncrec_tenant_status_time"),
            models.Index(fields=["tenant", "object_type", "-created_at"], name="syncrec_tenant_type_time"),
            models.Index(fields=["-created_at", "-id"], name="syncrec_time"),
            models.Index(fields=["status", "-created_at"], name="syncrec_status_time"),
            models.Index(fields=["platform_id"], name="syncrec_platform_id"),
            models.Index(fields=["spectrum_key"], name="syncrec_spectrum_key"),
            models.Index(fields=["document_number"], name="syncrec_document_number"),
            # The sweeper's questions: what is due, and whose lease ran out.
            models.Index(
                fields=["next_attempt_at"],
                name="syncrec_due",
                condition=Q(status__in=["pending", "unknown", "confirming"]),
            ),
            models.Index(fields=["lease_expires_at"], name="syncrec_leased", condition=Q(status="sending")),
        ]
        constraints = [
            # One export per document version, on the separate columns (a joined key would let
            # document "A:1" version "2" collide with document "A" version "1:2").
            models.UniqueConstraint(
                fields=["tenant", "object_type", "platform_id", "version"],
                condition=Q(direction="export"),
                name="syncrec_export_document_version",
            ),
        ]
        permissions = [
            ("retry_syncrecord", "Can retry a failed or held sync record"),
            ("bypass_syncrecord", "Can mark a sync record as entered by hand in Spectrum"),
        ]

    def __str__(self) -> str:
        label = self.document_number or self.platform_id or self.spectrum_key or f"#{self.pk}"
        return f"{self.get_object_type_display()} {label}"

    @staticmethod
    def make_idempotency_key(tenant_id: int, direction: str, object_type: str, platform_id: str, version: str) -> str:
        # A digest of the parts as a JSON list: parts that contain the separator cannot collide.
        parts = json.dumps([tenant_id, direction, object_type, platform_id, version], separators=(",", ":"))
        return f"{tenant_id}:{direction}:{hashlib.sha256(parts.encode()).hexdigest()}"

    @property
    def is_final(self) -> bool:
        return not ALLOWED_TRANSITIONS[self.status]

    def transition(self, new_status: str, *, expected: dict[str, Any] | None = None, **changes: Any) -> bool:
        """Move to ``new_status`` if the state machine allows it and nobody moved first.

        Raises :class:`IllegalTransition` for a move the machine forbids. Returns False when the
        row's status in the database is no longer the one this instance holds (another worker won);
        the instance is then refreshed. On success the instance reflects the new values.
        ``expected`` adds conditions the row must still meet (``{"lease_token": token}``).
        """
        current = self.status
        if new_status not in ALLOWED_TRANSITIONS[current]:
            raise IllegalTransition(f"{self}: {current} → {new_status} is not allowed")
        changes["status"] = new_status
        changes["updated_at"] = timezone.now()
        if new_status in (SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.BYPASSED):
            changes.setdefault("finished_at", changes["updated_at"])
        updated = SyncRecord.objects.filter(pk=self.pk, status=current, **(expected or {})).update(**changes)
        if not updated:
            self.refresh_from_db()
            return False
        for field, value in changes.items():
            if not hasattr(value, "resolve_expression"):
                setattr(self, field, value)
        computed = [field for field, value in changes.items() if hasattr(value, "resolve_expression")]
        if computed:
            self.refresh_from_db(fields=computed)  # only those: cached relations (the tenant) stay
        return True

    def claim(self, lease_seconds: int = 300) -> str | None:
        """Take the record for sending with a lease; returns the lease token, or None if taken.

        One UPDATE: the attempt count and ``sent_at`` this instance holds are part of the condition,
        so the new count is known without reading it back, and any claim since this instance was read
        makes this one fail (every claim writes a new ``sent_at``: when a worker took it, the ledger's
        split between waiting in the queue and our work). A record read with no ``sent_at`` was
        therefore never claimed, and has no attempts, when this claim succeeds.
        """
        token = secrets.token_hex(8)
        now = timezone.now()
        if self.status not in (SyncStatus.PENDING, SyncStatus.UNKNOWN):
            return None
        ok = self.transition(
            SyncStatus.SENDING,
            expected={"attempt_count": self.attempt_count, "sent_at": self.sent_at},
            lease_token=token,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempt_count=self.attempt_count + 1,
            sent_at=now,
        )
        return token if ok else None


class SyncAttempt(models.Model):
    """One try at sending (export) or delivering (import) a sync record."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected by Spectrum"
        AUTHORIZATION = "authorization", "Authorization refused"
        RETRYABLE = "retryable", "Temporary failure"
        UNKNOWN = "unknown", "Outcome unknown"
        FOUND = "found", "Found already in Spectrum"
        HELD = "held", "Held"
        ERROR = "error", "Error"

    record = models.ForeignKey(SyncRecord, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    remote_ms = models.PositiveIntegerField(default=0, help_text="Time spent waiting for the remote side.")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    service = models.CharField(max_length=60, blank=True, help_text="Spectrum service or platform resource.")
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    request = models.TextField(blank=True, help_text="What was sent, secrets redacted.")
    response = models.TextField(blank=True, help_text="What came back, secrets redacted.")
    error_code = models.CharField(max_length=10, blank=True)
    error_message = models.TextField(blank=True)
    error_column = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["record", "number"]
        constraints = [models.UniqueConstraint(fields=["record", "number"], name="syncattempt_unique_number")]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.record}"
