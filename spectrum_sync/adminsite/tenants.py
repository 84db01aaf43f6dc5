"""The tenant screens: a tenant with its Spectrum connection and poll schedules, onboarding, API keys.

Poll buttons (sync now, full resync, reset) and schedule intervals go through the import engine's
actions; the connection's secrets are write-only (:mod:`spectrum_sync.admin_forms`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from connectors.spectrum import schema
from spectrum_sync import demo
from spectrum_sync.admin_forms import OutboundChecks, SecretFieldsForm
from spectrum_sync.adminsite import onboarding
from spectrum_sync.adminsite.approvals import ApprovalRuleInline
from spectrum_sync.adminsite.deletions import pending_deletions_link
from spectrum_sync.adminsite.history import TenantFilter
from spectrum_sync.adminsite.scoped_admin import SecretsHiddenInline, TenantScopedAdmin
from spectrum_sync.adminsite.scoping import sees_all_tenants
from spectrum_sync.imports import actions as import_actions
from spectrum_sync.models import PollSchedule, SpectrumConnection, Tenant
from spectrum_sync.notifications import security

# docs/spectrum.md#batch-codes: the codes, and why every invoice lands unposted whatever the rule.
BATCH_RULE_HELP = (
    "Which Spectrum batch (Batch_Code, at most 10 characters) each AR invoice is added to: the invoice "
    "date as CCYYMMDD; the invoice date as YYMMDD followed by the department (4 characters); the "
    "Monday of the invoice's week as CCYYMMDD; or the platform's own batch code (the invoice date when "
    "it sends none). Spectrum always adds these invoices unposted: they wait in Customer Invoice Entry, "
    "by batch, for accounting to review and update (post) them in Spectrum."
)


class TenantForm(OutboundChecks, SecretFieldsForm):
    class Meta:
        model = Tenant
        fields = [
            "name",
            "slug",
            "active",
            "timezone",
            "platform_url",
            "platform_signing_secret",
            "batch_rule",
            "total_difference",
            "staff",
        ]
        help_texts = {"batch_rule": BATCH_RULE_HELP}

    # Accounting choices a form may leave out (an older screen, a script): the tenant keeps its own.
    KEPT_CHOICES = ("batch_rule", "total_difference")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.KEPT_CHOICES:
            if name in self.fields:
                self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.KEPT_CHOICES:
            if name in self.fields and not cleaned.get(name):
                cleaned[name] = getattr(self.instance, name)  # a new tenant holds the model default
        return cleaned


class LimitedTenantForm(TenantForm):
    class Meta(TenantForm.Meta):
        fields = [f for f in TenantForm.Meta.fields if f != "staff"]


class ConnectionForm(OutboundChecks, SecretFieldsForm):
    class Meta:
        model = SpectrumConnection
        exclude: list[str] = []
        help_texts = {"schema_overrides": schema.OVERRIDES_HELP}

    def clean_schema_overrides(self) -> Any:
        """Names for what schema discovery could not resolve (docs/spectrum.md#info-link-schema)."""
        overrides = self.cleaned_data.get("schema_overrides") or {}
        problems = schema.override_problems(overrides)
        if problems:
            raise forms.ValidationError(problems)
        return overrides


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
                    # REST Get Vendors (documented) or SOAP GetVendors (no help page): docs/spectrum.md#getvendors
                    "vendor_service",
                    "db_enabled",
                    "db_driver",
                    "db_host",
                    "db_port",
                    "db_name",
                    "db_user",
                    "db_password",
                    "db_options",
                    "schema_overrides",
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
    inlines = [ConnectionInline, PollScheduleInline, ApprovalRuleInline]
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
