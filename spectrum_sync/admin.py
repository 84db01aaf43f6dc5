"""Admin screens of the engine: tenants and their connection, and the ledger (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from spectrum_sync.admin_forms import SecretFieldsForm
from spectrum_sync.models import SpectrumConnection, SyncAttempt, SyncRecord, SyncRun, Tenant


class TenantForm(SecretFieldsForm):
    secret_fields = ("platform_signing_secret",)

    class Meta:
        model = Tenant
        fields = ["name", "slug", "active", "timezone", "platform_url", "platform_signing_secret"]


class ConnectionForm(SecretFieldsForm):
    secret_fields = ("authorization_id", "enhanced_client_secret", "db_password")

    class Meta:
        model = SpectrumConnection
        exclude: list[str] = []


class ConnectionInline(admin.StackedInline):
    model = SpectrumConnection
    form = ConnectionForm
    can_delete = False
    readonly_fields = (
        "spectrum_version",
        "last_health_check_at",
        "last_health_ok",
        "last_health_detail",
        "exports_held_reason",
        "exports_held_at",
    )
    fieldsets = (
        ("Data Exchange", {"fields": ("hosting", "base_url", "company_codes", "authorization_id", "verify_tls")}),
        (
            "Enhanced Authentication",
            {
                "fields": (
                    "auth_mode",
                    "enhanced_client_id",
                    "enhanced_client_secret",
                    "enhanced_secret_expires_at",
                    "allow_secret_rotation",
                )
            },
        ),
        (
            "Database (Info-Link ODBC)",
            {
                "fields": (
                    "read_source",
                    "db_enabled",
                    "db_driver",
                    "db_host",
                    "db_port",
                    "db_name",
                    "db_user",
                    "db_password",
                    "db_options",
                )
            },
        ),
        ("Health", {"fields": readonly_fields}),
    )


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    form = TenantForm
    inlines = [ConnectionInline]
    list_display = ("name", "slug", "active", "api_key_prefix", "updated_at")
    list_filter = ("active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("api_key_prefix",)
    actions = ["regenerate_api_key"]

    @admin.action(description="Generate a new inbound API key (shown once)")
    def regenerate_api_key(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            key = tenant.generate_api_key()
            tenant.save(update_fields=["api_key_prefix", "api_key_hash", "updated_at"])
            self.log_change(request, tenant, "Generated a new inbound API key")
            messages.warning(request, f"New API key for {tenant}: {key} (copy it now; it is not shown again)")


class SyncAttemptInline(admin.TabularInline):
    model = SyncAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "outcome", "service", "http_status", "duration_ms", "error_code", "error_message")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SyncRecord)
class SyncRecordAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "tenant",
        "direction",
        "object_type",
        "document_number",
        "spectrum_key",
        "status",
        "error_code",
        "created_at",
    )
    list_select_related = ("tenant",)
    show_full_result_count = False
    inlines = [SyncAttemptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "tenant",
        "object_type",
        "status",
        "started_at",
        "duration_ms",
        "read_count",
        "created_count",
        "updated_count",
        "deleted_count",
        "unchanged_count",
        "failed_count",
    )
    list_select_related = ("tenant",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
