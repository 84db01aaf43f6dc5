"""Tenants and how each reaches its Spectrum (web services and, optionally, Info-Link)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

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

    class BatchRule(models.TextChoices):
        DAY = "day", "One batch per invoice date"
        DAY_DEPARTMENT = "day_department", "One batch per invoice date and department"
        WEEK = "week", "One batch per week (Monday's date)"
        PLATFORM = "platform", "The platform's own batch code"

    batch_rule = models.CharField(
        "AR invoice batches",
        max_length=16,
        choices=BatchRule.choices,
        default=BatchRule.DAY,
        help_text="How AR invoices are grouped into Spectrum batch codes (at most 10 characters).",
    )

    total_difference = models.CharField(
        "when Spectrum's total will differ",
        max_length=4,
        choices=TotalDifference.choices,
        default=TotalDifference.HOLD,
        help_text="Pre-flight computes what Spectrum will hold (the job's tax rate, for example). When that total "
        "differs from the platform's, hold the document or send it with a warning.",
    )
    # Changes whenever one of the tenant's mapping rows or processing date ranges is saved or removed
    # (mappings.signals): a worker keeps its copy of those rows while the stamp it reads with each
    # record is the one it loaded them under (mappings.rules.rules_for).
    rules_stamp = models.UUIDField(default=uuid.uuid4, editable=False)
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
