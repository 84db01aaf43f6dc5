"""The ledger's read-only screens: attempts, poll runs and the mirror of what was read from Spectrum.

The engines write the ledger; people read it. Superusers may still correct a row (the mirror excepted:
Spectrum is its source). :class:`SyncAttemptInline` shows a record's attempts on its page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from spectrum_sync.adminsite.deletions import pending_deletions_link
from spectrum_sync.adminsite.history import HistoryPaginator, TenantFilter, columns_for, when
from spectrum_sync.adminsite.scoped_admin import TenantScopedAdmin
from spectrum_sync.models import MirrorRecord, SyncAttempt, SyncRun
from spectrum_sync.redaction import redact


class ReadOnlyLedgerAdmin(TenantScopedAdmin):
    """The ledger: history is written by the engines, not typed in. Superusers may still correct it."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


class SyncAttemptInline(admin.StackedInline):
    model = SyncAttempt
    extra = 0
    can_delete = False
    fields = (
        ("number", "started_at", "outcome", "service", "http_status", "duration_ms", "remote_ms"),
        ("error_code", "error_column", "error_message"),
        "request_redacted",
        "response_redacted",
    )
    readonly_fields = (
        "number",
        "started_at",
        "outcome",
        "service",
        "http_status",
        "duration_ms",
        "remote_ms",
        "error_code",
        "error_column",
        "error_message",
        "request_redacted",
        "response_redacted",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # Stored payloads are redacted when written; redacting again on display costs little and
    # covers anything written before a secret was known to the process.
    @admin.display(description="Request")
    def request_redacted(self, attempt: SyncAttempt) -> str:
        return format_html('<pre class="payload">{}</pre>', redact(attempt.request))

    @admin.display(description="Response")
    def response_redacted(self, attempt: SyncAttempt) -> str:
        return format_html('<pre class="payload">{}</pre>', redact(attempt.response))


@admin.register(SyncAttempt)
class SyncAttemptAdmin(ReadOnlyLedgerAdmin):
    tenant_path = "record__tenant"
    list_display = ("record", "number", "started_at", "outcome", "service", "http_status", "duration_ms", "error_code")
    list_select_related = ("record",)
    list_filter = ("outcome",)
    ordering = ("-id",)
    paginator = HistoryPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    raw_id_fields = ("record",)
    exclude = ("request", "response")
    readonly_fields = ("request_redacted", "response_redacted")

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        # Attempts are read on their record's page; no separate menu entry.
        return {}

    request_redacted = SyncAttemptInline.request_redacted
    response_redacted = SyncAttemptInline.response_redacted


# A poll's counts in the words of its "records" column, in this order; zeros are left out.
RUN_COUNTS = (
    ("created_count", "new"),
    ("updated_count", "changed"),
    ("deleted_count", "deleted"),
    ("unchanged_count", "unchanged"),
    ("failed_count", "not delivered"),
    ("other_company_count", "of another company (dropped)"),
    ("held_deletion_count", "deletions held"),
)


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyLedgerAdmin):
    # Few, wrapping columns (how and how long under the start, the counts as one sentence), so the
    # problem fits on a laptop screen.
    list_display = ("tenant", "object_type", "run_status", "started", "records", "problem")
    list_select_related = ("tenant",)
    list_filter = (TenantFilter, "object_type", "status", "trigger")
    ordering = ("-started_at", "-id")
    paginator = HistoryPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    # The lease's fencing token is the engine's bookkeeping, nothing a person can act on.
    exclude = ("fencing_token",)
    readonly_fields = ("pending_deletions",)

    @admin.display(description="deletions waiting for confirmation")
    def pending_deletions(self, run: SyncRun) -> str:
        return pending_deletions_link(run.tenant_id, run.object_type)

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        return columns_for(request.user, self.list_display)

    @admin.display(description="started", ordering="started_at")
    def started(self, run: SyncRun) -> str:
        return format_html(
            '{}<br><span class="run-how">{}, {}</span>', when(run.started_at), run.get_trigger_display(), self.took(run)
        )

    @admin.display(description="status", ordering="status")
    def run_status(self, run: SyncRun) -> str:
        return format_html('<span class="sync-status sync-status-{}">{}</span>', run.status, run.get_status_display())

    @staticmethod
    def took(run: SyncRun) -> str:
        minutes, seconds = divmod(run.duration_ms / 1000, 60)
        return f"{int(minutes)} min {int(seconds)} s" if minutes else f"{seconds:.1f} s"

    @admin.display(description="records")
    def records(self, run: SyncRun) -> str:
        counts = [f"{getattr(run, name):,} {label}" for name, label in RUN_COUNTS if getattr(run, name)]
        return f"{run.read_count:,} read" + (": " + ", ".join(counts) if counts else "")

    @admin.display(description="problem")
    def problem(self, run: SyncRun) -> str:
        return run.error or run.notice


@admin.register(MirrorRecord)
class MirrorRecordAdmin(ReadOnlyLedgerAdmin):
    """What was read from Spectrum. Spectrum is its source: nobody edits it here, superusers neither."""

    list_display = ("tenant", "object_type", "key", "company_code", "changed_at", "deleted_at")
    list_select_related = ("tenant",)
    list_filter = (TenantFilter, "object_type")
    search_fields = ("=key",)
    search_help_text = "Exact Spectrum key."
    ordering = ("tenant", "object_type", "key")
    paginator = HistoryPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        return columns_for(request.user, self.list_display)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
