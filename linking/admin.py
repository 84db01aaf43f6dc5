"""The link screen: implementation staff confirm, reject, unlink, relink or undo proposed links, and
confirm every proposal above a score at once. One list, scoped to the user's tenants, with each
link's history on its own page. Reached from the admin index ("Link existing records").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from linking import services
from linking.matching import BULK_CONFIRM_AT
from linking.models import DirectoryEntry, LinkEvent, RecordLink
from spectrum_sync.adminsite.history import TenantFilter
from spectrum_sync.adminsite.scoped_admin import TenantScopedAdmin

Action = LinkEvent.Action


class LinkActionForm(ActionForm):
    min_score = forms.IntegerField(
        min_value=0,
        max_value=100,
        initial=BULK_CONFIRM_AT,
        required=False,
        label="Score at least",
        help_text="For “Confirm every proposal scoring at least…”.",
    )


class ScoreFilter(admin.SimpleListFilter):
    title = "score"
    parameter_name = "score"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("90", "90 or more"), (str(BULK_CONFIRM_AT), f"{BULK_CONFIRM_AT} or more"), ("60", "60 or more")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(score__gte=int(value)) if value and value.isdigit() else queryset


class LinkEventInline(admin.TabularInline):
    model = LinkEvent
    fields = ("at", "action", "from_status", "to_status", "by", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "history"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RecordLink)
class RecordLinkAdmin(TenantScopedAdmin):
    list_display = ("platform_record", "spectrum_record", "score", "reason", "status", "decided", "delivery")
    list_display_links = ("platform_record",)
    list_filter = (TenantFilter, "status", "object_type", ScoreFilter)
    list_select_related = ("tenant", "decided_by")
    search_fields = ("platform_name", "platform_id", "spectrum_name", "spectrum_key")
    ordering = ("status", "-score", "platform_name", "pk")
    list_per_page = 200
    action_form = LinkActionForm
    actions = ["confirm", "bulk_confirm", "reject", "unlink", "relink", "undo", "deliver_again"]
    inlines = [LinkEventInline]
    fields = (
        ("tenant", "object_type", "status"),
        ("platform_name", "platform_id"),
        ("spectrum_name", "spectrum_key"),
        ("score", "reason"),
        ("decided_by", "decided_at"),
        ("delivered_at", "delivery_error"),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for row in self.fields for name in (row if isinstance(row, tuple) else (row,))]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("linking.change_recordlink"))

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        title = "Link existing records: the platform's records matched to Spectrum's"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    @admin.display(description="platform record", ordering="platform_name")
    def platform_record(self, link: RecordLink) -> str:
        return format_html("{}<br><small>{}</small>", link.platform_name or "—", link.platform_id)

    @admin.display(description="Spectrum record", ordering="spectrum_key")
    def spectrum_record(self, link: RecordLink) -> str:
        return format_html("{}<br><small>{}</small>", link.spectrum_name or "—", link.spectrum_key)

    @admin.display(description="decided")
    def decided(self, link: RecordLink) -> str:
        if link.decided_at is None:
            return "—"
        who = link.decided_by.get_username() if link.decided_by else "?"
        return f"{who}, {link.decided_at:%Y-%m-%d %H:%M}"

    @admin.display(description="platform told")
    def delivery(self, link: RecordLink) -> str:
        if link.delivery_error:
            return format_html(
                '<span class="link-undelivered" title="{}">not yet: {}</span>',
                link.delivery_error,
                link.delivery_error[:80],
            )
        return f"{link.delivered_at:%Y-%m-%d %H:%M}" if link.delivered_at else "—"

    # --- the decisions ---

    def _each(
        self, request: HttpRequest, queryset: QuerySet[RecordLink], verb: str, step: Callable[[RecordLink], Any]
    ) -> None:
        done = 0
        for link in queryset:
            try:
                step(link)
            except services.LinkRefused as refused:
                messages.warning(request, str(refused))
                continue
            self.log_change(request, link, verb.capitalize())
            done += 1
        if done:
            messages.success(request, f"{done} link(s) {verb}.")

    def _decide(self, request: HttpRequest, queryset: QuerySet[RecordLink], action: str, verb: str) -> None:
        done, refused = services.decide_many(queryset, action, request.user)
        for reason in refused:
            messages.warning(request, reason)
        if done:
            messages.success(request, f"{done} link(s) {verb}.")

    @admin.action(description="Confirm: these are the same record", permissions=["decide"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[RecordLink]) -> None:
        self._decide(request, queryset, Action.CONFIRMED, "confirmed; the platform is told")

    @admin.action(description="Confirm every selected proposal scoring at least…", permissions=["decide"])
    def bulk_confirm(self, request: HttpRequest, queryset: QuerySet[RecordLink]) -> None:
        raw = request.POST.get("min_score") or ""
        min_score = int(raw) if raw.isdigit() and int(raw) <= 100 else BULK_CONFIRM_AT
        done, left = services.bulk_confirm(queryset.order_by("-score", "pk"), min_score, request.user)
        for reason in left:
            messages.warning(request, reason)
        messages.success(request, f"{done} link(s) scoring {min_score} or more confirmed; the platform is told.")

    @admin.action(description="Reject: these are different records", permissions=["decide"])
    def reject(self, request: HttpRequest, queryset: QuerySet[RecordLink]) -> None:
        self._decide(request, queryset, Action.REJECTED, "rejected")

    @admin.action(description="Unlink: later imports no longer update the platform's record", permissions=["decide"])
    def unlink(self, request: HttpRequest, queryset: QuerySet[RecordLink]) -> None:
        self._decide(request, queryset, Action.UNLINKED, "unlinked")

    @admin.action(description="Relink: link an unlinked pair again", permissions=["decide"])
    def relink(self, request: HttpRequest, queryset: QuerySet[RecordLink]) -> None:
        self._decide(request, queryset, Action.RELINKED, "relinked; the platform is told")

    @admin.action(description="Undo the last decision", permissions=["decide"])
    def undo(self, request: HttpRequest, queryset: QuerySet[RecordLink]) -> None:
        self._each(request, queryset, "put back as they were", lambda link: services.undo(link, request.user))

    @admin.action(description="Tell the platform again (confirmed links)", permissions=["decide"])
    def deliver_again(self, request: HttpRequest, queryset: QuerySet[RecordLink]) -> None:
        accepted = services.deliver(list(queryset.values_list("pk", flat=True)))
        messages.info(request, f"The platform accepted {accepted} link(s).")


@admin.register(DirectoryEntry)
class DirectoryEntryAdmin(TenantScopedAdmin):
    list_display = ("name", "platform_id", "object_type", "code", "phone", "tenant", "received_at")
    list_filter = (TenantFilter, "object_type")
    search_fields = ("name", "platform_id", "code")
    readonly_fields = (
        "tenant",
        "object_type",
        "platform_id",
        "name",
        "code",
        "address",
        "phone",
        "tax_id",
        "received_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
