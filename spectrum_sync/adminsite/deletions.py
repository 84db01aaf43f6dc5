"""Deletions waiting for confirmation: implementation staff see what a poll no longer found, and
confirm (the next poll, started at once, deletes them on the platform) or discard (the platform
keeps them). Reached from the poll run that held them, from the tenant's page and the admin index.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from spectrum_sync.adminsite.history import TenantFilter
from spectrum_sync.adminsite.scoped_admin import TenantScopedAdmin
from spectrum_sync.imports import actions, deletions
from spectrum_sync.models import MirrorRecord, PendingDeletion

SHOWN_KEYS = 500  # the page lists this many records; the count says how many there are


def label_of(data: dict[str, Any]) -> str:
    return str(data.get("name") or data.get("description") or "")


def changelist_url(**filters: Any) -> str:
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    return reverse("admin:spectrum_sync_pendingdeletion_changelist") + (f"?{query}" if query else "")


def pending_deletions_link(tenant_id: int, object_type: str = "") -> str:
    """ "3 batches (1,240 records) wait: review", or "none", for the run and tenant pages."""
    waiting = PendingDeletion.objects.filter(tenant_id=tenant_id, status=PendingDeletion.Status.WAITING)
    if object_type:
        waiting = waiting.filter(object_type=object_type)
    batches = list(waiting.values_list("key_count", flat=True))
    filters = {"tenant": tenant_id, "status__exact": PendingDeletion.Status.WAITING}
    if object_type:
        filters["object_type__exact"] = object_type
    if not batches:
        return format_html('none (<a href="{}">history</a>)', changelist_url(tenant=tenant_id))
    return format_html(
        '<a class="pending-deletions-link" href="{}">{} batch(es), {} records: review</a>',
        changelist_url(**filters),
        len(batches),
        sum(batches),
    )


@admin.register(PendingDeletion)
class PendingDeletionAdmin(TenantScopedAdmin):
    list_display = ("created_at", "tenant", "object_type", "key_count", "known_count", "status", "run_link")
    list_filter = (TenantFilter, "status", "object_type")
    list_select_related = ("tenant", "run")
    ordering = ("-created_at", "-pk")
    fields = (
        ("tenant", "object_type", "status"),
        ("key_count", "known_count", "run_link"),
        ("decided_by", "decided_at"),
        "note",
        "records",
    )
    actions = ["confirm_selected", "discard_selected"]
    change_form_template = "admin/spectrum_sync/pendingdeletion/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        flat: list[str] = []
        for entry in self.fields:
            flat.extend(entry if isinstance(entry, tuple) else (entry,))
        return flat

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("spectrum_sync.decide_pendingdeletion"))

    @admin.display(description="found by poll run")
    def run_link(self, batch: PendingDeletion) -> str:
        url = reverse("admin:spectrum_sync_syncrun_change", args=[batch.run_id])
        return format_html('<a href="{}">run {}</a>', url, batch.run_id)

    @admin.display(description="records not found in Spectrum")
    def records(self, batch: PendingDeletion) -> str:
        keys = list(batch.keys[:SHOWN_KEYS])
        mirrored = MirrorRecord.objects.filter(tenant_id=batch.tenant_id, object_type=batch.object_type, key__in=keys)
        names = {key: label_of(data) for key, data in mirrored.values_list("key", "data")}
        row = "<tr><td><code>{}</code></td><td>{}</td></tr>"
        rows = format_html_join("", row, ((key, names.get(key, "")) for key in keys))
        hidden = len(batch.keys) - SHOWN_KEYS
        more = format_html("<p>… and {} more.</p>", hidden) if hidden > 0 else ""
        return format_html('<table class="pending-keys"><tr><th>key</th><th>name</th></tr>{}</table>{}', rows, more)

    # --- deciding ---

    def _decide(self, request: HttpRequest, batches: list[PendingDeletion], confirm: bool, note: str) -> int:
        done = 0
        for batch in batches:
            if confirm:
                started = actions.confirm(batch, request.user, note)
                ok = started is not None
                detail = f"Confirmed; {started}" if started is not None else ""
            else:
                ok = deletions.discard(batch, request.user, note)
                detail = "Discarded: the platform keeps these records"
            if not ok:
                messages.warning(request, f"{batch}: already decided, or replaced by a later poll; left alone.")
                continue
            self.log_change(request, batch, f"{detail}{': ' + note if note else ''}")
            done += 1
        if done:
            verb = "confirmed: the poll that delivers them has started" if confirm else "discarded"
            messages.success(request, f"{done} batch(es) of deletions {verb}.")
        return done

    @admin.action(description="Confirm: delete these records on the platform", permissions=["decide"])
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[PendingDeletion]) -> None:
        self._decide(request, list(queryset), True, "")

    @admin.action(description="Discard: keep these records on the platform", permissions=["decide"])
    def discard_selected(self, request: HttpRequest, queryset: QuerySet[PendingDeletion]) -> None:
        self._decide(request, list(queryset), False, "")

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/decide/", view(self.decide_view), name="spectrum_sync_pendingdeletion_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self.has_decide_permission(request):
            raise PermissionDenied
        batch = self.get_queryset(request).filter(pk=pk).first()
        if batch is not None:
            confirm = request.POST.get("decision") == "confirm"
            self._decide(request, [batch], confirm, (request.POST.get("note") or "").strip())
        return HttpResponseRedirect(reverse("admin:spectrum_sync_pendingdeletion_change", args=[pk]))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {"can_decide": self.has_decide_permission(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)
