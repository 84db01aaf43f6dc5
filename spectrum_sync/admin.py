"""Admin screens: tenants and their connection, the ledger (history, failed queue), runs, mirror, schedules.

Every screen is scoped to the tenants the user serves through :mod:`spectrum_sync.adminsite.scoping`.
The ledger is read-only for everyone but superusers; the only way to change a record's fate from
here is the export engine's retry / bypass, and for a failed import a retry (delivered to the platform
again) or a dismissal with a reason, each recorded in the admin log with who did it. Poll buttons
(sync now, full resync, reset) and schedule intervals go through the import engine's actions.
"""

from __future__ import annotations

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

from spectrum_sync import demo
from spectrum_sync.admin_forms import OutboundChecks, SecretFieldsForm
from spectrum_sync.adminsite import dashboard, explanations, onboarding
from spectrum_sync.adminsite.deletions import pending_deletions_link
from spectrum_sync.adminsite.explanations import explain
from spectrum_sync.adminsite.history import (
    DateRangeFilter,
    HistoryPaginator,
    StatusFilter,
    TenantFilter,
    columns_for,
    csv_lines,
    exact_search,
    when,
)
from spectrum_sync.adminsite.scoped_admin import SecretsHiddenInline, TenantScopedAdmin
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
from spectrum_sync.notifications import security
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


class TenantForm(OutboundChecks, SecretFieldsForm):
    class Meta:
        model = Tenant
        fields = ["name", "slug", "active", "timezone", "platform_url", "platform_signing_secret", "staff"]


class LimitedTenantForm(TenantForm):
    class Meta(TenantForm.Meta):
        fields = [f for f in TenantForm.Meta.fields if f != "staff"]


class ConnectionForm(OutboundChecks, SecretFieldsForm):
    class Meta:
        model = SpectrumConnection
        exclude: list[str] = []


class ConnectionInline(SecretsHiddenInline):
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
    readonly_fields = ("api_key_prefix", "pending_deletions")
    filter_horizontal = ("staff",)
    actions = ["regenerate_api_key", "sync_now", "full_resync"]
    change_form_template = "admin/spectrum_sync/tenant/change_form.html"

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        # Who serves which tenant is decided by those who see every tenant.
        kwargs["form"] = TenantForm if sees_all_tenants(request.user) else LimitedTenantForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        fields = list(super().get_fields(request, obj))
        # A new tenant starts inactive: it is enabled on its onboarding page once it is set up.
        return fields if obj is not None else [f for f in fields if f != "active"]

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        if not change:
            obj.active = False
            demo.fill_demo_platform(obj)
            request.new_api_key = obj.generate_api_key()  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)
        if not change and not sees_all_tenants(request.user):
            # Someone limited to their tenants keeps seeing the tenant they just created.
            obj.staff.add(request.user)  # type: ignore[arg-type]
        problem = demo.register_with_platform_simulator(obj)
        if problem:
            messages.warning(request, problem)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        moves = [*form.secret_moves, *(m for fs in formsets for f in fs.forms for m in getattr(f, "secret_moves", []))]
        if moves:
            self.log_change(request, form.instance, " ".join(moves))
            security.secrets_moved(form.instance, request.user, moves)

    def response_add(self, request: HttpRequest, obj: Tenant, post_url_continue: str | None = None) -> HttpResponse:
        key = getattr(request, "new_api_key", "")
        if not key:
            return super().response_add(request, obj, post_url_continue)
        self.log_change(request, obj, "Generated the first inbound API key")
        return self._api_keys_page(request, "Tenant created", [(obj, key)], created=obj)

    def _api_keys_page(
        self, request: HttpRequest, title: str, keys: list[tuple[Tenant, str]], created: Tenant | None = None
    ) -> HttpResponse:
        """The one page that ever shows an API key: in the response body, never in a (cookie) message."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "keys": [
                {"tenant": t, "key": k, "onboarding": reverse("admin:spectrum_sync_tenant_onboarding", args=[t.pk])}
                for t, k in keys
            ],
            "created": created,
            "platform_simulator": demo.simulator_url(),
        }
        # The admin's views are never cached (no-store), so the key stays on this one response.
        return TemplateResponse(request, "admin/spectrum_sync/tenant/api_keys.html", context)

    @admin.display(description="deletions waiting for confirmation")
    def pending_deletions(self, tenant: Tenant) -> str:
        return pending_deletions_link(tenant.pk) if tenant.pk else "—"

    @admin.display(description="Onboarding")
    def onboarding_link(self, tenant: Tenant) -> str:
        return format_html(
            '<a href="{}">Onboarding</a>', reverse("admin:spectrum_sync_tenant_onboarding", args=[tenant.pk])
        )

    @admin.action(description="Generate a new inbound API key (shown once)", permissions=["change"])
    def regenerate_api_key(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> HttpResponse:
        keys = []
        for tenant in queryset:
            key = tenant.generate_api_key()
            tenant.save(update_fields=["api_key_prefix", "api_key_hash", "updated_at"])
            self.log_change(request, tenant, "Generated a new inbound API key")
            keys.append((tenant, key))
        return self._api_keys_page(request, "New inbound API keys", keys)

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
            path(
                "<int:pk>/resume-exports/", view(self.resume_exports_view), name="spectrum_sync_tenant_resume_exports"
            ),
            *super().get_urls(),
        ]

    def resume_exports_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """ "Authorization fixed — resume exports": release what an authorization abort held."""
        tenant = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.method != "POST" or not self.has_onboard_permission(request):
            raise PermissionDenied
        message, ok = onboarding.perform(tenant, "resume", request.user)
        self.log_change(request, tenant, message)
        (messages.success if ok else messages.error)(request, message)
        back = "onboarding" if request.POST.get("back") == "onboarding" else "change"
        return HttpResponseRedirect(reverse(f"admin:spectrum_sync_tenant_{back}", args=[pk]))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        tenant = self.get_queryset(request).filter(pk=object_id).first()
        extra = {
            "exports_hold": onboarding.exports_hold(tenant) if tenant else None,
            "may_onboard": self.has_onboard_permission(request),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

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
            "exports_hold": onboarding.exports_hold(tenant),
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
    list_display = ("id", "tenant", "kind", "document", "status_label", "problem", "created")
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
    actions = ["retry_selected", "bypass_selected", "dismiss_selected"]
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
        ("Resolution", {"fields": (("resolved_by", "resolved_at"), "resolution_note")}),
        (
            "Timing",
            {"fields": (("created_at", "sent_to_spectrum", "finished_at", "platform_notified_at"), "attempt_count")},
        ),
        ("Document as received", {"fields": ("payload_redacted",), "classes": ("collapse",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Keep the wide columns (the stored document, the tenant's secrets) out of every list row.
        return super().get_queryset(request).defer("payload", "tenant__platform_signing_secret", "tenant__api_key_hash")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        editable = {"resolution_note"} if request.user.is_superuser else set()
        names = [f.name for f in SyncRecord._meta.fields if f.name not in editable]
        return [*names, "explanation", "sent_to_spectrum", "payload_redacted"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        return exact_search(queryset, search_term), False

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        return columns_for(request.user, self.list_display)

    @admin.display(description="created", ordering="created_at")
    def created(self, record: SyncRecord) -> str:
        return when(record.created_at)

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
        return explanations.explain_record(record)

    @admin.display(description="Sent to Spectrum at")
    def sent_to_spectrum(self, record: SyncRecord) -> str:
        # sent_at is when a worker took the record; a record stopped by pre-flight never reached Spectrum.
        if not explanations.was_sent(record):
            return "Not sent: stopped before sending"
        return str(timezone.localtime(record.sent_at)) if record.sent_at else "—"

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
        """The export records among ``records``; import failures are dismissed instead."""
        exports = [r for r in records if r.direction == Direction.EXPORT]
        if len(exports) < len(records):
            messages.warning(
                request,
                f"{len(records) - len(exports)} import record(s) skipped: nothing of an import is entered in "
                f"Spectrum by hand, so it is not {verb}; retry it, or dismiss it with a reason.",
            )
        return exports

    def _retry(self, request: HttpRequest, records: list[SyncRecord], note: str = "") -> int:
        imports = [r for r in records if r.direction == Direction.IMPORT]
        records = [r for r in records if r.direction == Direction.EXPORT]
        done = self._retry_imports(request, imports) if imports else 0
        if not records:
            return done
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

    def _retry_imports(self, request: HttpRequest, records: list[SyncRecord]) -> int:
        failed = import_actions.failed_imports(records)
        if len(failed) < len(records):
            skipped = len(records) - len(failed)
            messages.warning(request, f"{skipped} import record(s) skipped: only failures are retried.")
        outcome = import_actions.retry_failed_imports(failed, request.user)
        for record in failed:
            self.log_change(request, record, "Retried: delivered to the platform again")
        if outcome.busy:
            messages.warning(request, f"A poll is running for {', '.join(outcome.busy)}; it delivers those records.")
        if outcome.delivered:
            messages.success(request, f"{outcome.delivered} import record(s) delivered to the platform again.")
        if outcome.failed:
            errors = "; ".join(sorted({run.error for run in outcome.runs if run.error}))
            messages.error(request, f"{outcome.failed} import record(s) failed again: {errors}")
        return outcome.delivered

    def _dismiss(self, request: HttpRequest, records: list[SyncRecord], reason: str) -> int:
        done = import_actions.dismiss_failed_imports(records, request.user, reason)
        for record in records:
            if record.status == SyncStatus.DISMISSED:
                self.log_change(request, record, f"Dismissed: {reason}")
        if done < len(records):
            messages.warning(request, f"{len(records) - done} record(s) skipped: only import failures are dismissed.")
        if done:
            messages.success(request, f"{done} import failure(s) dismissed.")
        return done

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
        # Exports are bypassed (entered by hand in Spectrum); import failures are dismissed.
        unfit: dict[str, str] = {Direction.IMPORT: "bypass_selected", Direction.EXPORT: "dismiss_selected"}
        found.pop(unfit.get(request.GET.get("direction__exact", ""), ""), None)
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

    @admin.action(description="Dismiss selected import failures (with a reason)…", permissions=["bypass"])
    def dismiss_selected(self, request: HttpRequest, queryset: QuerySet[SyncRecord]) -> HttpResponse | None:
        reason = (request.POST.get("reason") or "").strip()
        if request.POST.get("confirm") and reason:
            self._dismiss(request, list(queryset), reason)
            return None
        if request.POST.get("confirm"):
            messages.error(request, "Say why these import failures are dismissed.")
        context = {
            **self.admin_site.each_context(request),
            "title": "Dismiss import failures",
            "opts": self.opts,
            "records": list(queryset[:200]),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "action": "dismiss_selected",
        }
        return TemplateResponse(request, "admin/spectrum_sync/syncrecord/dismiss_selected.html", context)

    # --- Extra screens: one record's retry / bypass, CSV export, dashboard ---

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("export.csv", view(self.export_csv_view), name="spectrum_sync_syncrecord_export"),
            path("dashboard/", view(self.dashboard_view), name="spectrum_sync_dashboard"),
            path("<int:pk>/retry/", view(self.retry_view), name="spectrum_sync_syncrecord_retry"),
            path("<int:pk>/bypass/", view(self.bypass_view), name="spectrum_sync_syncrecord_bypass"),
            path("<int:pk>/dismiss/", view(self.dismiss_view), name="spectrum_sync_syncrecord_dismiss"),
            path("<int:pk>/dry-run/", view(self.dry_run_view), name="spectrum_sync_syncrecord_dry_run"),
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

    def dismiss_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self.has_bypass_permission(request):
            raise PermissionDenied
        record = self._scoped_record(request, pk)
        reason = (request.POST.get("reason") or "").strip()
        if not reason:
            messages.error(request, "Say why this import failure is dismissed (for example: tenant set up twice).")
        else:
            self._dismiss(request, [record], reason)
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

    def dry_run_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """What exporting the record now would send, and what stops it; nothing is stored or sent."""
        record = self._scoped_record(request, pk)
        if record.direction != Direction.EXPORT or not self.has_view_permission(request, record):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            **explanations.dry_run_context(record),
            "title": f"Dry run of {self.document(record)}",
            "opts": self.opts,
            "original": record,
        }
        return TemplateResponse(request, "admin/spectrum_sync/syncrecord/dry_run.html", context)

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
            "problem_source": self._problem_source(request, object_id),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def _problem_source(self, request: HttpRequest, object_id: str) -> str:
        record = self.get_object(request, object_id)
        return explanations.problem_source(record) if record else ""

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


def _csv_lines(header: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    return csv_lines([h.replace("tenant__slug", "tenant") for h in header], rows)


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
