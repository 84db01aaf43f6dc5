"""The sync engine's data: tenants, their Spectrum connection, and the ledger.

The ledger has one row per synced item (:class:`SyncRecord`), one per attempt
(:class:`SyncAttempt`) and one per poll (:class:`SyncRun`). A record's status only moves through
:meth:`SyncRecord.transition`, a conditional update that refuses illegal moves and loses races
visibly instead of overwriting another worker's result.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from spectrum_sync.fields import EncryptedTextField


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (for example America/Chicago).")


# Spectrum company codes are Text 3 (docs/spectrum.md#authorization-id-and-guid); more than one company
# per tenant is common.
company_code_list = RegexValidator(
    r"^\s*[A-Za-z0-9]{1,3}(\s*,\s*[A-Za-z0-9]{1,3})*\s*$",
    "Enter one or more Spectrum company codes of up to 3 letters or digits, separated by commas.",
)


class Tenant(models.Model):
    """A customer company of the operations platform, with one Spectrum connection."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True, help_text="Short name used in URLs and commands.")
    active = models.BooleanField(default=True, help_text="Inactive tenants are neither polled nor exported.")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    platform_url = models.URLField(
        blank=True, help_text="Where imported records and export results are delivered (POST)."
    )
    platform_signing_secret = EncryptedTextField(
        "platform signing secret",
        blank=True,
        help_text="HMAC-SHA256 key for signing deliveries to the platform.",
        bound_to=("platform_url",),
    )
    platform_signing_secret_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class TotalDifference(models.TextChoices):
        HOLD = "hold", "Hold the document for an accountant"
        SEND = "send", "Send it and warn"

    total_difference = models.CharField(
        "when Spectrum's total will differ",
        max_length=4,
        choices=TotalDifference.choices,
        default=TotalDifference.HOLD,
        help_text="Pre-flight computes what Spectrum will hold (the job's tax rate, for example). When that total "
        "differs from the platform's, hold the document or send it with a warning.",
    )
    # Inbound API key: only a hash is stored; the key is shown once when it is generated.
    api_key_prefix = models.CharField(max_length=12, blank=True, editable=False)
    api_key_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    # Staff who serve this tenant; a staff user who is not a superuser sees only these tenants.
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="served_tenants")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash_api_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def generate_api_key(self) -> str:
        """Make a new inbound API key, store its hash and return the key (shown once)."""
        key = "ssk_" + secrets.token_urlsafe(32)
        self.api_key_prefix = key[:12]
        self.api_key_hash = self.hash_api_key(key)
        return key

    def check_api_key(self, key: str) -> bool:
        return bool(self.api_key_hash) and secrets.compare_digest(self.api_key_hash, self.hash_api_key(key))


class SpectrumConnection(models.Model):
    """How one tenant reaches its Spectrum: Data Exchange web services and, optionally, the database."""

    class Hosting(models.TextChoices):
        CLOUD = "cloud", "Trimble-hosted (Spectrum cloud)"
        ON_PREMISE = "on_premise", "On-premise"

    class AuthMode(models.TextChoices):
        # docs/spectrum.md#authentication: Authorization_ID in the body always; Basic on REST; Enhanced = OAuth2.
        BASIC = "basic", "Authorization ID (Basic on REST services)"
        ENHANCED = "enhanced", "Enhanced Authentication (client id / secret)"

    class ReadSource(models.TextChoices):
        WEB_SERVICES = "web_services", "Data Exchange web services where a Get service exists"
        DATABASE = "database", "Database (Info-Link ODBC) for every object"

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="connection")
    hosting = models.CharField(max_length=20, choices=Hosting.choices, default=Hosting.ON_PREMISE)
    base_url = models.URLField(
        help_text="Data Exchange URL and port from System Administration > Utilities > Data Exchange Download, "
        "for example https://spectrum.example.com:8482"
    )
    # A secret is bound to where it is sent: changing one of ``bound_to`` needs the secret typed again.
    authorization_id = EncryptedTextField(
        "Authorization ID",
        help_text="The Authorization ID from the Data Exchange Installation screen (max 20 characters).",
        bound_to=("base_url", "verify_tls"),
    )
    authorization_id_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    company_codes = models.CharField(
        max_length=200,
        validators=[company_code_list],
        help_text="Spectrum company codes this tenant syncs, comma-separated; the first is the default.",
    )
    auth_mode = models.CharField(max_length=20, choices=AuthMode.choices, default=AuthMode.BASIC)
    enhanced_client_id = models.CharField(max_length=200, blank=True)
    enhanced_client_secret = EncryptedTextField(
        "Enhanced Authentication client secret", blank=True, bound_to=("base_url", "auth_mode", "verify_tls")
    )
    enhanced_client_secret_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    enhanced_secret_expires_at = models.DateTimeField(null=True, blank=True)
    allow_secret_rotation = models.BooleanField(
        default=False, help_text="Rotate the Enhanced Authentication secret automatically before it expires."
    )
    verify_tls = models.BooleanField(
        default=True, help_text="Turn off only for an on-premise server with a self-signed certificate."
    )
    read_source = models.CharField(max_length=20, choices=ReadSource.choices, default=ReadSource.WEB_SERVICES)

    class VendorService(models.TextChoices):
        REST = "rest", "REST Get Vendors (documented; active vendors)"
        SOAP = "soap", "SOAP GetVendors (undocumented)"

    vendor_service = models.CharField(
        max_length=4,
        choices=VendorService.choices,
        default=VendorService.REST,
        help_text="How vendors are read when they come from the web services. The SOAP service has no help page.",
    )

    # Database (Info-Link read-only login over ODBC).
    db_enabled = models.BooleanField(
        default=False, help_text="Read GL, departments, tax, payments and PO bills from the Spectrum database."
    )
    db_driver = models.CharField(max_length=100, default="ODBC Driver 18 for SQL Server", blank=True)
    db_host = models.CharField(max_length=255, blank=True)
    db_port = models.PositiveIntegerField(null=True, blank=True)
    db_name = models.CharField(max_length=128, blank=True)
    db_user = models.CharField(max_length=128, blank=True)
    db_password = EncryptedTextField(
        "database password", blank=True, bound_to=("db_driver", "db_host", "db_port", "db_options")
    )
    db_password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    db_options = models.CharField(
        max_length=500, blank=True, help_text="Extra ODBC attributes, for example Encrypt=yes;TrustServerCertificate=no"
    )

    # Info-Link schema discovery: per object type, the table and column names that resolved, and
    # per-connection names for those that did not (docs/spectrum.md#info-link-schema).
    schema_overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text='Names for tables or columns discovery could not resolve, e.g. {"GL_MASTER": "GL_MASTER_MC"}.',
    )
    schema_report = models.JSONField(default=dict, blank=True, editable=False)
    schema_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    # What the last health check found.
    spectrum_version = models.CharField(max_length=100, blank=True)
    last_health_check_at = models.DateTimeField(null=True, blank=True)
    last_health_ok = models.BooleanField(null=True)
    last_health_detail = models.JSONField(default=dict, blank=True)
    # Set when Spectrum answers an authorization abort (A): exports wait instead of retrying.
    exports_held_reason = models.TextField(blank=True)
    exports_held_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Spectrum connection of {self.tenant}"

    @property
    def companies(self) -> list[str]:
        return [code.strip().upper() for code in self.company_codes.split(",") if code.strip()]

    @property
    def default_company(self) -> str:
        return self.companies[0] if self.companies else ""

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.authorization_id and len(self.authorization_id) > 20:
            errors["authorization_id"] = "A Spectrum Authorization ID has at most 20 characters."
        if self.auth_mode == self.AuthMode.ENHANCED and not self.enhanced_client_id:
            errors["enhanced_client_id"] = "Enhanced Authentication needs the client id."
        if self.db_enabled and not (self.db_host and self.db_name and self.db_user):
            errors["db_host"] = "Reading from the database needs host, database name and user."
        if self.read_source == self.ReadSource.DATABASE and not self.db_enabled:
            errors["read_source"] = "Enable the database connection to read every object from it."
        if errors:
            raise ValidationError(errors)


class Direction(models.TextChoices):
    EXPORT = "export", "Platform → Spectrum"
    IMPORT = "import", "Spectrum → platform"


class ObjectType(models.TextChoices):
    # Exports (platform → Spectrum)
    AR_INVOICE = "ar_invoice", "AR invoice"
    JOB = "job", "Job"
    PO_RECEIPT = "po_receipt", "PO receipt"
    MAINTENANCE = "maintenance", "Service-agreement maintenance"
    COMMITMENT = "commitment", "Commitment (subcontract)"
    CHANGE_ORDER = "change_order", "Prime contract change order"
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
    # Import failures only: a later delivery of the same record went through, or a person dismissed it.
    SUPERSEDED = "superseded", "Superseded by a later delivery"
    DISMISSED = "dismissed", "Dismissed"


# Which status may follow which. Succeeded and bypassed are final.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    SyncStatus.PENDING: frozenset({SyncStatus.SENDING, SyncStatus.HELD, SyncStatus.BYPASSED, SyncStatus.FAILED}),
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
    object_type = models.CharField(max_length=20, choices=ObjectType.choices)
    platform_id = models.CharField(max_length=100, blank=True, help_text="The document's id on the platform.")
    version = models.CharField(max_length=40, blank=True, help_text="The platform's version of the document.")
    document_number = models.CharField(max_length=60, blank=True, help_text="Invoice / job / PO number.")
    spectrum_key = models.CharField(max_length=100, blank=True, help_text="The record's key in Spectrum.")
    company_code = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=10, choices=SyncStatus.choices, default=SyncStatus.PENDING)
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
        """Take the record for sending with a lease; returns the lease token, or None if taken."""
        token = secrets.token_hex(8)
        now = timezone.now()
        if self.status not in (SyncStatus.PENDING, SyncStatus.UNKNOWN):
            return None
        ok = self.transition(
            SyncStatus.SENDING,
            lease_token=token,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempt_count=F("attempt_count") + 1,
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
    object_type = models.CharField(max_length=20, choices=ObjectType.choices)
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
    object_type = models.CharField(max_length=20, choices=ObjectType.choices)
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
    object_type = models.CharField(max_length=20, choices=ObjectType.choices)
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
    object_type = models.CharField(max_length=20, choices=ObjectType.choices)
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


class ReconciliationReport(models.Model):
    """One comparison of what we exported (and mirrored) with what Spectrum holds, for a period."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="reconciliations")
    company_code = models.CharField(max_length=3)
    period_start = models.DateField()
    period_end = models.DateField(help_text="Inclusive.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Counts and totals per document type on each side; per object type for the mirror.
    summary = models.JSONField(default=dict, blank=True)
    # Documents on one side only, or whose totals differ.
    differences = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why the report could not be made, when it could not.")
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "-created_at"]
        indexes = [models.Index(fields=["tenant", "company_code", "-period_start"], name="recon_tenant_period")]

    def __str__(self) -> str:
        return f"Reconciliation of {self.tenant} {self.company_code} {self.period_start:%Y-%m}"
