"""Admin for notification rules (edited by implementation staff) and the email ledger (read only).

Both are narrowed to the tenants the user serves by the admin's TenantScopedAdmin base.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from spectrum_sync.adminsite.scoped_admin import TenantScopedAdmin
from spectrum_sync.models import type_choices
from spectrum_sync.notifications.models import EmailDelivery, Event, NotificationRule


class NotificationRuleForm(forms.ModelForm):
    object_types = forms.MultipleChoiceField(
        choices=type_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every object type.",
    )
    events = forms.MultipleChoiceField(choices=Event.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = NotificationRule
        fields = ["tenant", "name", "active", "object_types", "events", "recipients", "delivery", "health_alerts"]
        widgets = {"recipients": forms.Textarea(attrs={"rows": 3})}


@admin.register(NotificationRule)
class NotificationRuleAdmin(TenantScopedAdmin):
    form = NotificationRuleForm
    list_display = ["name", "tenant", "active", "delivery", "event_list", "recipients"]
    list_filter = ["active", "delivery"]
    search_fields = ["name", "recipients", "tenant__name"]
    list_select_related = ["tenant"]

    @admin.display(description="Events")
    def event_list(self, rule: NotificationRule) -> str:
        return ", ".join(str(Event(e).label) for e in rule.events if e in Event.values)


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(TenantScopedAdmin):
    list_display = ["created_at", "tenant", "kind", "subject", "recipients", "status", "attempt_count", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["subject", "recipients", "key"]
    list_select_related = ["tenant"]
    show_full_result_count = False
    readonly_fields = [f.name for f in EmailDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
