"""The history and failed queue: one screen of sync records, with retry, bypass, dismissal and the dry run.

The only way to change a record's fate from here is the export engine's retry / bypass, and for a
failed import a retry (delivered to the platform again) or a dismissal with a reason, each recorded
in the admin log with who did it. The filtered history downloads as CSV; the dashboard hangs here too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from spectrum_sync.adminsite import dashboard, explanations
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
from spectrum_sync.adminsite.ledger import ReadOnlyLedgerAdmin, SyncAttemptInline
from spectrum_sync.adminsite.scoping import tenants_for
from spectrum_sync.exports import actions as export_actions
from spectrum_sync.exports import periods
from spectrum_sync.imports import actions as import_actions
from spectrum_sync.models import Direction, SyncRecord, SyncStatus
from spectrum_sync.plain_words import explain, problem_source
from spectrum_sync.redaction import redact

RETRYABLE_STATUSES = (SyncStatus.FAILED, SyncStatus.HELD, SyncStatus.UNKNOWN)
BYPASSABLE_STATUSES = (SyncStatus.FAILED, SyncStatus.HELD, SyncStatus.PENDING)


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
        ("Read back from Spectrum", {"fields": (("verification", "verified_at"), "spectrum_holds")}),
        ("Approval", {"fields": (("decided_by", "decided_at"), "decision_comment"), "classes": ("collapse",)}),
        ("Resolution", {"fields": (("resolved_by", "resolved_at"), "resolution_note", "gl_date_override")}),
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
        return [*names, "explanation", "sent_to_spectrum", "payload_redacted", "spectrum_holds"]

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
    @admin.display(description="What Spectrum holds")
    def spectrum_holds(self, record: SyncRecord) -> str:
        """The read-back: where it was read, Spectrum's totals, and what Spectrum holds column by column."""
        seen = record.readback or {}
        if not seen.get("held"):
            return str(seen.get("note") or seen.get("last_look") or "Not read back.")
        lines = [f"Read through {seen.get('source', 'Spectrum')} in {seen.get('read_ms', 0)} ms."]
        lines += [f"{name}: {value}" for name, value in (seen.get("spectrum") or {}).items()]
        if seen.get("difference_accepted"):
            lines.append(str(seen["difference_accepted"]))
        lines += [f"  {name} = {value}" for name, value in sorted(seen["held"].items())]
        return format_html("<pre class='payload spectrum-holds'>{}</pre>", "\n".join(lines))

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
            path("<int:pk>/accept-total/", view(self.accept_total_view), name="spectrum_sync_syncrecord_accept_total"),
            path("<int:pk>/gl-date/", view(self.gl_date_view), name="spectrum_sync_syncrecord_gl_date"),
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

    def accept_total_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self.has_retry_permission(request):
            raise PermissionDenied
        record = self._scoped_record(request, pk)
        note = (request.POST.get("note") or "").strip()
        if export_actions.send_with_spectrum_total([record], request.user, note):
            self.message_user(request, "Sent with Spectrum's total; the platform is told the total Spectrum holds.")
        else:
            self.message_user(request, "Only a document held for its total can be sent this way.", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:spectrum_sync_syncrecord_change", args=[pk]))

    def gl_date_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Send a document held for a closed period again with another GL date (exports/periods.py)."""
        if request.method != "POST" or not self.has_retry_permission(request):
            raise PermissionDenied
        record = self._scoped_record(request, pk)
        try:
            gl_date = date.fromisoformat((request.POST.get("gl_date") or "").strip())
        except ValueError:
            messages.error(request, "Enter the new GL date as a date (for example 2026-12-01).")
            return HttpResponseRedirect(reverse("admin:spectrum_sync_syncrecord_change", args=[pk]))
        note = (request.POST.get("note") or "").strip()
        if periods.move_gl_date(record, gl_date, request.user, note):
            self.log_change(request, record, f"GL date moved to {gl_date.isoformat()} and sent again")
            messages.success(request, f"Sent again with GL date {gl_date:%m/%d/%Y}.")
        else:
            messages.warning(request, "Only a held or failed export can be sent with another GL date.")
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
        return problem_source(record) if record else ""

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
