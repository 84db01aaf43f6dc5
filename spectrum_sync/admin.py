"""Admin screens: tenants and their connection, the ledger (history, failed queue), runs, mirror, schedules.

Every screen is scoped to the tenants the user serves through :mod:`spectrum_sync.adminsite.scoping`.
The ledger is read-only for everyone but superusers; the only way to change a record's fate from
here is the export engine's retry / bypass (exports only: an import record has nothing to resend),
each recorded in the admin log with who did it. Poll buttons (sync now, full resync, reset) and
schedule intervals go through the import engine's actions.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from spectrum_sync.admin_forms import SecretFieldsForm
from spectrum_sync.adminsite import dashboard, onboarding
from spectrum_sync.adminsite.explanations import explain
from spectrum_sync.adminsite.history import (
    DateRangeFilter,
    HistoryPaginator,
    StatusFilter,
    TenantFilter,
    exact_search,
)
from spectrum_sync.adminsite.scoped_admin import TenantScopedAdmin
from spectrum_sync.adminsite.scoping import sees_all_tenants, tenants_for
from spectrum_sync.exports import actions as export_actions
from spectrum_sync.imports import actions as import_actions
from spectrum_sync.models import (
    Direction,
    MirrorRecord,
    PollSchedule,
    SpectrumConnection,
    SyncAttempt,
    SyncRecord,
    SyncRun,
    SyncStatus,
    Tenant,
)
from spectrum_sync.redaction import redact

RETRYABLE_STATUSES = (SyncStatus.FAILED, SyncStatus.HELD, SyncStatus.UNKNOWN)
BYPASSABLE_STATUSES = (SyncStatus.FAILED, SyncStatus.HELD, SyncStatus.PENDING)


class ReadOnlyLedgerAdmin(TenantScopedAdmin):
    """The ledger: history is written by the engines, not typed in. Superusers may still correct it."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


# --- Tenants and onboarding ------------------------------------------------------------------


class TenantForm(SecretFieldsForm):
    secret_fields = ("platform_signing_secret",)

    class Meta:
        model = Tenant
        fields = ["name", "slug", "active", "timezone", "platform_url", "platform_signing_secret", "staff"]


class LimitedTenantForm(TenantForm):
    class Meta(TenantForm.Meta):
        fields = [f for f in TenantForm.Meta.fields if f != "staff"]


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


class PollScheduleInline(admin.TabularInline):
    model = PollSchedule
    extra = 0
    fields = ("object_type", "enabled", "interval_minutes", "next_due_at", "last_success_at")
    readonly_fields = ("next_due_at", "last_success_at")


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    tenant_path = ""
    form = TenantForm
    inlines = [ConnectionInline, PollScheduleInline]
    list_display = ("name", "slug", "active", "onboarding_link", "api_key_prefix", "updated_at")
    list_filter = ("active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("api_key_prefix",)
    filter_horizontal = ("staff",)
    actions = ["regenerate_api_key", "sync_now", "full_resync"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        # Who serves which tenant is decided by those who see every tenant.
        kwargs["form"] = TenantForm if sees_all_tenants(request.user) else LimitedTenantForm
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change and not sees_all_tenants(request.user):
            # Someone limited to their tenants keeps seeing the tenant they just created.
            obj.staff.add(request.user)  # type: ignore[arg-type]

    @admin.display(description="Onboarding")
    def onboarding_link(self, tenant: Tenant) -> str:
        return format_html(
            '<a href="{}">Onboarding</a>', reverse("admin:spectrum_sync_tenant_onboarding", args=[tenant.pk])
        )

    @admin.action(description="Generate a new inbound API key (shown once)", permissions=["change"])
    def regenerate_api_key(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            key = tenant.generate_api_key()
            tenant.save(update_fields=["api_key_prefix", "api_key_hash", "updated_at"])
            self.log_change(request, tenant, "Generated a new inbound API key")
            messages.warning(request, f"New API key for {tenant}: {key} (copy it now; it is not shown again)")

    def has_onboard_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("spectrum_sync.onboard_tenant"))

    def _poll_now(self, request: HttpRequest, queryset: QuerySet[Tenant], *, full: bool) -> None:
        verb = "Full resync" if full else "Sync now"
        for tenant in queryset:
            result = import_actions.full_resync(tenant) if full else import_actions.sync_now(tenant)
            self.log_change(request, tenant, f"{verb}: {result}")
            messages.info(request, f"{tenant}: {verb.lower()}: {result}")

    @admin.action(description="Sync now (poll every scheduled object type)", permissions=["onboard"])
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        self._poll_now(request, queryset, full=False)

    @admin.action(description="Full resync (poll and deliver every record again)", permissions=["onboard"])
    def full_resync(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        self._poll_now(request, queryset, full=True)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not PollSchedule:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        for schedule in formset.deleted_objects:
            schedule.delete()
        for schedule in formset.new_objects:
            schedule.save()
        for schedule, changed in formset.changed_objects:
            save_schedule_changes(schedule, changed)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/onboarding/", view(self.onboarding_view), name="spectrum_sync_tenant_onboarding"),
            *super().get_urls(),
        ]

    def onboarding_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        tenant = get_object_or_404(self.get_queryset(request), pk=pk)
        may_act = request.user.has_perm("spectrum_sync.onboard_tenant")
        if request.method == "POST":
            if not may_act:
                raise PermissionDenied
            step = request.POST.get("step", "")
            message, ok = onboarding.perform(tenant, step, request.user)
            self.log_change(request, tenant, f"Onboarding: {step}: {message}")
            (messages.success if ok else messages.error)(request, message)
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Onboarding: {tenant}",
            "tenant": tenant,
            "opts": self.opts,
            "steps": onboarding.steps(tenant),
            "may_act": may_act,
        }
        return TemplateResponse(request, "admin/spectrum_sync/tenant/onboarding.html", context)


# --- The ledger: history, failed queue, attempts -----------------------------------------------


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


@admin.register(SyncRecord)
class SyncRecordAdmin(ReadOnlyLedgerAdmin):
    # Narrow on purpose: the "problem" column must fit on a laptop screen next to the filters.
    list_display = ("id", "tenant", "kind", "document", "status_label", "problem", "created_at")
    list_display_links = ("id", "document")
    list_select_related = ("tenant",)
    list_filter = (TenantFilter, "direction", "object_type", StatusFilter, DateRangeFilter)
    # Exact, indexed search; see get_search_results. The field list only turns the search box on.
    search_fields = ("=document_number",)
    search_help_text = "Exact document number, Spectrum key or platform id (or #id)."
    ordering = ("-created_at", "-id")
    paginator = HistoryPaginator
    show_full_result_count = False
    # Facet counts would run one COUNT per filter choice over the whole history.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    inlines = [SyncAttemptInline]
    actions = ["retry_selected", "bypass_selected"]
    change_form_template = "admin/spectrum_sync/syncrecord/change_form.html"
    change_list_template = "admin/spectrum_sync/syncrecord/change_list.html"
    fieldsets = (
        (
            "Document",
            {
                "fields": (
                    ("tenant", "direction", "object_type", "company_code"),
                    ("document_number", "spectrum_key", "platform_id", "version"),
                    "status",
                )
            },
        ),
        ("Problem", {"fields": ("explanation", ("error_code", "error_column"), "error_message", "held_reason")}),
        ("Resolution", {"fields": ("resolved_by", "resolution_note")}),
        (
            "Timing",
            {"fields": (("created_at", "sent_at", "finished_at", "platform_notified_at"), "attempt_count")},
        ),
        ("Document as received", {"fields": ("payload_redacted",), "classes": ("collapse",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Keep the wide columns (the stored document, the tenant's secrets) out of every list row.
        return super().get_queryset(request).defer("payload", "tenant__platform_signing_secret", "tenant__api_key_hash")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        editable = {"resolution_note"} if request.user.is_superuser else set()
        names = [f.name for f in SyncRecord._meta.fields if f.name not in editable]
        return [*names, "explanation", "payload_redacted"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        return exact_search(queryset, search_term), False

    @admin.display(description="what")
    def kind(self, record: SyncRecord) -> str:
        arrow = "→ Spectrum" if record.direction == "export" else "← Spectrum"
        return f"{record.get_object_type_display()} {arrow}"

    @admin.display(description="document / key")
    def document(self, record: SyncRecord) -> str:
        # Exports get their number back from Spectrum; until then the platform id is what people know.
        return record.document_number or record.spectrum_key or record.platform_id or f"#{record.pk}"

    @admin.display(description="status", ordering="status")
    def status_label(self, record: SyncRecord) -> str:
        return format_html(
            '<span class="sync-status sync-status-{}">{}</span>', record.status, record.get_status_display()
        )

    @admin.display(description="problem")
    def problem(self, record: SyncRecord) -> str:
        if record.status not in (SyncStatus.FAILED, SyncStatus.HELD, SyncStatus.UNKNOWN):
            return ""
        explanation = explain(record.error_code, record.error_message, record.error_column, record.held_reason)
        spectrum_says = " ".join(p for p in (record.error_code, record.error_column) if p)
        # The first sentence says what is wrong; the record's page has the rest and the link to fix it.
        plain = explanation.plain.split(". ")[0].rstrip(".") + "." if explanation and explanation.plain else ""
        return format_html('<span title="{}"><b>{}</b> {}</span>', record.error_message, spectrum_says, plain)

    @admin.display(description="In plain words")
    def explanation(self, record: SyncRecord) -> str:
        found = explain(record.error_code, record.error_message, record.error_column, record.held_reason)
        if not found:
            return "—"
        if found.fix_url:
            return format_html(
                '<p class="plain-explanation">{}</p><p>Fix it in: <a class="fix-link" href="{}">{}</a></p>',
                found.plain,
                found.fix_url,
                found.fix_label,
            )
        suffix = f" Fix it in: {found.fix_label}." if found.fix_label else ""
        return format_html('<p class="plain-explanation">{}{}</p>', found.plain, suffix)

    @admin.display(description="Payload (secrets redacted)")
    def payload_redacted(self, record: SyncRecord) -> str:
        return format_html(
            '<pre class="payload">{}</pre>', redact(json.dumps(record.payload, indent=2, sort_keys=True))
        )

    # Permissions of the custom actions.
    def has_retry_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("spectrum_sync.retry_syncrecord"))

    def has_bypass_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("spectrum_sync.bypass_syncrecord"))

    def has_export_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("spectrum_sync.export_syncrecord"))

    # --- Retry and bypass ---

    @staticmethod
    def _exports_only(request: HttpRequest, records: list[SyncRecord], verb: str) -> list[SyncRecord]:
        """The export records among ``records``: an import is read from Spectrum again by the next poll."""
        exports = [r for r in records if r.direction == Direction.EXPORT]
        if len(exports) < len(records):
            messages.warning(
                request,
                f"{len(records) - len(exports)} import record(s) skipped: imports cannot be {verb}; "
                "the next poll (or Sync now on the poll schedule) reads them from Spectrum again.",
            )
        return exports

    def _retry(self, request: HttpRequest, records: list[SyncRecord], note: str = "") -> int:
        records = self._exports_only(request, records, "retried")
        eligible = [r for r in records if r.status in RETRYABLE_STATUSES]
        skipped = len(records) - len(eligible)
        if skipped:
            messages.warning(request, f"{skipped} record(s) skipped: only failed or held records can be retried.")
        if not eligible:
            return 0
        queued = export_actions.retry(eligible, request.user, note=note)
        for record in eligible:
            self.log_change(request, record, f"Retried{': ' + note if note else ''}")
        if queued < len(eligible):
            messages.warning(request, f"{len(eligible) - queued} record(s) had moved on meanwhile and were left alone.")
        if queued:
            messages.success(request, f"Retry started for {queued} record(s).")
        return queued

    def _bypass(self, request: HttpRequest, records: list[SyncRecord], reason: str) -> int:
        done = 0
        for record in self._exports_only(request, records, "bypassed"):
            if record.status not in BYPASSABLE_STATUSES:
                messages.warning(
                    request, f"{record}: a {record.get_status_display().lower()} record cannot be bypassed."
                )
                continue
            if not export_actions.bypass(record, request.user, reason):
                messages.warning(request, f"{record}: it moved on meanwhile; left alone.")
                continue
            self.log_change(request, record, f"Bypassed (entered by hand in Spectrum): {reason}")
            done += 1
        if done:
            messages.success(request, f"{done} record(s) marked as entered by hand in Spectrum.")
        return done

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        found = super().get_actions(request)
        if request.GET.get("direction__exact") == Direction.IMPORT:
            # Imports are re-read by the next poll; nothing on this list can be resent or bypassed.
            for name in ("retry_selected", "bypass_selected"):
                found.pop(name, None)
        return found

    @admin.action(description="Retry selected failed / held records", permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[SyncRecord]) -> None:
        self._retry(request, list(queryset))

    @admin.action(description="Bypass selected records (entered by hand in Spectrum)…", permissions=["bypass"])
    def bypass_selected(self, request: HttpRequest, queryset: QuerySet[SyncRecord]) -> HttpResponse | None:
        reason = (request.POST.get("reason") or "").strip()
        if request.POST.get("confirm") and reason:
            self._bypass(request, list(queryset), reason)
            return None
        if request.POST.get("confirm"):
            messages.error(request, "Say why these records are bypassed.")
        context = {
            **self.admin_site.each_context(request),
            "title": "Bypass records",
            "opts": self.opts,
            "records": list(queryset[:200]),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "action": "bypass_selected",
        }
        return TemplateResponse(request, "admin/spectrum_sync/syncrecord/bypass_selected.html", context)

    # --- Extra screens: one record's retry / bypass, CSV export, dashboard ---

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("export.csv", view(self.export_csv_view), name="spectrum_sync_syncrecord_export"),
            path("dashboard/", view(self.dashboard_view), name="spectrum_sync_dashboard"),
            path("<int:pk>/retry/", view(self.retry_view), name="spectrum_sync_syncrecord_retry"),
            path("<int:pk>/bypass/", view(self.bypass_view), name="spectrum_sync_syncrecord_bypass"),
            *super().get_urls(),
        ]

    def _scoped_record(self, request: HttpRequest, pk: int) -> SyncRecord:
        record = self.get_queryset(request).filter(pk=pk).first()
        if record is None:
            raise Http404("No such sync record.")
        return record

    def retry_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self.has_retry_permission(request):
            raise PermissionDenied
        record = self._scoped_record(request, pk)
        self._retry(request, [record], note=(request.POST.get("note") or "").strip())
        return HttpResponseRedirect(reverse("admin:spectrum_sync_syncrecord_change", args=[pk]))

    def bypass_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self.has_bypass_permission(request):
            raise PermissionDenied
        record = self._scoped_record(request, pk)
        reason = (request.POST.get("reason") or "").strip()
        if not reason:
            messages.error(request, "Say why this record is bypassed (for example: entered by hand as invoice 1234).")
        else:
            self._bypass(request, [record], reason)
        return HttpResponseRedirect(reverse("admin:spectrum_sync_syncrecord_change", args=[pk]))

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        query = request.GET.urlencode()
        extra = {
            "can_export": self.has_export_permission(request),
            "export_url": reverse("admin:spectrum_sync_syncrecord_export") + (f"?{query}" if query else ""),
            "can_dashboard": request.user.has_perm("spectrum_sync.view_dashboard"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {
            "can_retry": self.has_retry_permission(request),
            "can_bypass": self.has_bypass_permission(request),
            "retryable_statuses": [str(s) for s in RETRYABLE_STATUSES],
            "bypassable_statuses": [str(s) for s in BYPASSABLE_STATUSES],
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    CSV_COLUMNS = (
        "id",
        "tenant__slug",
        "direction",
        "object_type",
        "company_code",
        "document_number",
        "spectrum_key",
        "platform_id",
        "version",
        "status",
        "error_code",
        "error_column",
        "error_message",
        "attempt_count",
        "created_at",
        "sent_at",
        "finished_at",
    )

    def export_csv_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """The filtered history as CSV, streamed row by row (no size limit, constant memory)."""
        if not (self.has_view_permission(request) and self.has_export_permission(request)):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        rows = changelist.queryset.values_list(*self.CSV_COLUMNS).iterator(chunk_size=2000)
        response = StreamingHttpResponse(_csv_lines(self.CSV_COLUMNS, rows), content_type="text/csv")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="sync-history-{stamp}.csv"'
        return response

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("spectrum_sync.view_dashboard"):
            raise PermissionDenied
        days = dashboard.parse_days(request.GET.get("days"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Sync dashboard",
            "opts": self.opts,
            "days": days,
            "day_choices": dashboard.DAY_CHOICES,
            "charts": dashboard.build(tenants_for(request.user), days),
        }
        return TemplateResponse(request, "admin/spectrum_sync/dashboard.html", context)


class _Echo:
    """csv.writer needs a file; this one hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(header: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([h.replace("tenant__slug", "tenant") for h in header])
    for row in rows:
        yield writer.writerow(["" if v is None else v.isoformat() if hasattr(v, "isoformat") else v for v in row])


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


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyLedgerAdmin):
    list_display = (
        "tenant",
        "object_type",
        "trigger",
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
    list_filter = (TenantFilter, "object_type", "status", "trigger")
    ordering = ("-started_at", "-id")
    paginator = HistoryPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER


@admin.register(MirrorRecord)
class MirrorRecordAdmin(ReadOnlyLedgerAdmin):
    list_display = ("tenant", "object_type", "key", "company_code", "changed_at", "deleted_at")
    list_select_related = ("tenant",)
    list_filter = (TenantFilter, "object_type")
    search_fields = ("=key",)
    search_help_text = "Exact Spectrum key."
    ordering = ("tenant", "object_type", "key")
    paginator = HistoryPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER


def save_schedule_changes(schedule: PollSchedule, changed: list[str]) -> None:
    """Save what an admin form changed on an existing schedule, the interval through the import engine.

    Only the changed columns are written: the lease columns belong to a poll that may be running, and
    writing back the values the form loaded would undo its fencing token. The interval goes through
    ``set_interval`` so a shorter one moves the next poll closer at once instead of after the old wait.
    """
    plain = [name for name in changed if name != "interval_minutes"]
    if plain:
        schedule.save(update_fields=plain)
    if "interval_minutes" in changed:
        current = PollSchedule.objects.get(pk=schedule.pk)  # next_due_at as the dispatcher last set it
        import_actions.set_interval(current, schedule.interval_minutes)
        schedule.next_due_at = current.next_due_at


@admin.register(PollSchedule)
class PollScheduleAdmin(TenantScopedAdmin):
    list_display = ("tenant", "object_type", "enabled", "interval_minutes", "next_due_at", "last_success_at")
    list_editable = ("enabled", "interval_minutes")
    list_select_related = ("tenant",)
    list_filter = (TenantFilter, "enabled", "object_type")
    fields = ("tenant", "object_type", "enabled", "interval_minutes", "next_due_at", "last_success_at")
    readonly_fields = ("next_due_at", "last_success_at")
    actions = ["sync_now", "full_resync", "reset_state"]

    def has_onboard_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("spectrum_sync.onboard_tenant"))

    def save_model(self, request: HttpRequest, obj: PollSchedule, form: Any, change: bool) -> None:
        # Both the change form and the list's editable columns save through here.
        if change:
            save_schedule_changes(obj, list(form.changed_data))
        else:
            super().save_model(request, obj, form, change)

    @staticmethod
    def _by_tenant(queryset: QuerySet[PollSchedule]) -> dict[Tenant, list[str]]:
        grouped: dict[Tenant, list[str]] = {}
        for schedule in queryset.select_related("tenant"):
            grouped.setdefault(schedule.tenant, []).append(schedule.object_type)
        return grouped

    def _poll(self, request: HttpRequest, queryset: QuerySet[PollSchedule], *, full: bool) -> None:
        verb = "Full resync" if full else "Sync now"
        start = import_actions.full_resync if full else import_actions.sync_now
        for tenant, object_types in self._by_tenant(queryset).items():
            result = start(tenant, object_types)
            self.log_change(request, tenant, f"{verb} ({', '.join(object_types)}): {result}")
            messages.add_message(request, messages.INFO if result.started else messages.WARNING, f"{tenant}: {result}")

    @admin.action(description="Sync selected now", permissions=["onboard"])
    def sync_now(self, request: HttpRequest, queryset: QuerySet[PollSchedule]) -> None:
        self._poll(request, queryset, full=False)

    @admin.action(description="Full resync: poll and deliver every record again", permissions=["onboard"])
    def full_resync(self, request: HttpRequest, queryset: QuerySet[PollSchedule]) -> None:
        self._poll(request, queryset, full=True)

    @admin.action(
        description="Reset: forget what was seen (the next poll delivers everything as new)", permissions=["onboard"]
    )
    def reset_state(self, request: HttpRequest, queryset: QuerySet[PollSchedule]) -> None:
        for tenant, object_types in self._by_tenant(queryset).items():
            forgotten = import_actions.reset_state(tenant, object_types)
            self.log_change(request, tenant, f"Reset {', '.join(object_types)}: {forgotten} mirror rows forgotten")
            messages.warning(request, f"{tenant}: {forgotten} mirrored records of {', '.join(object_types)} forgotten.")
