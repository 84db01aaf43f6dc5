"""The mapping screens: tenant-scoped, with Spectrum's mirrored values offered as dropdowns.

Django autodiscovers this module; it registers each mapping model's one screen at the end. The
screens build on the project's scoped admin (:mod:`spectrum_sync.adminsite.scoped_admin`); nothing
imports this module, so building on it closes no import cycle.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpRequest

from mappings.completeness import no_udf_document_types, udf_document_types, udf_slots
from mappings.models import (
    DepartmentClassMapping,
    GLAccountMapping,
    ProcessingDateRange,
    TaxCodeDefault,
    UDFMapping,
)
from mappings.services import no_udf_reason, udf_services
from spectrum_sync.adminsite.history import TenantFilter
from spectrum_sync.adminsite.scoped_admin import TenantScopedAdmin
from spectrum_sync.adminsite.scoping import tenants_for
from spectrum_sync.exports import actions as export_actions
from spectrum_sync.models import MirrorRecord, ObjectType, Tenant, type_label

Choice = tuple[str, str]


def mirror_choices(tenant_ids: list[int], object_types: tuple[str, ...], value_key: str) -> dict[int, list[Choice]]:
    """Per tenant, (value, label) of the live mirrored Spectrum records of ``object_types``."""
    rows = (
        MirrorRecord.objects.filter(tenant_id__in=tenant_ids, object_type__in=object_types, deleted_at__isnull=True)
        .order_by("tenant_id", "key")
        .values_list("tenant_id", "company_code", "data")
    )
    found: dict[int, dict[str, str]] = defaultdict(dict)
    for tenant_id, company, data in rows:
        value = str((data or {}).get(value_key, "")).strip()
        if not value:
            continue
        description = str((data or {}).get("description") or (data or {}).get("name") or "")
        label = f"{value} — {description}" if description else value
        found[tenant_id].setdefault(value, f"{label} ({company})" if company else label)
    return {tenant_id: sorted(values.items()) for tenant_id, values in found.items()}


class MirrorChoicesAdmin(TenantScopedAdmin):
    """``mirror_fields`` = {form field: (Spectrum object types, key in the mirrored data)}."""

    mirror_fields: dict[str, tuple[tuple[str, ...], str]] = {}

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        tenants = dict(tenants_for(request.user).values_list("pk", "name"))
        if obj is not None:
            tenants = {obj.tenant_id: tenants.get(obj.tenant_id, str(obj.tenant_id))}
        for name, (object_types, value_key) in self.mirror_fields.items():
            if name in form.base_fields:
                self._to_dropdown(form, name, object_types, value_key, tenants, obj)
        return form

    @staticmethod
    def _to_dropdown(
        form: Any, name: str, object_types: tuple[str, ...], value_key: str, tenants: dict[int, str], obj: Any
    ) -> None:
        field = form.base_fields[name]
        per_tenant = mirror_choices(list(tenants), object_types, value_key)
        if not per_tenant:
            field.help_text = (
                f"{field.help_text} Nothing mirrored from Spectrum yet: run "
                "'Import reference data' on the tenant's onboarding page to choose from a list."
            ).strip()
            return
        choices: list[Any] = [("", "---------")]
        if len(per_tenant) == 1:
            choices += next(iter(per_tenant.values()))
        else:
            choices += [(tenants.get(t, str(t)), values) for t, values in per_tenant.items()]
        current = getattr(obj, name, "") if obj is not None else ""
        known = {value for values in per_tenant.values() for value, _ in values}
        if current and current not in known:
            choices.append((current, f"{current} (not in Spectrum any more)"))
        # The model field's validators (lengths, GL mask) still run on the chosen value.
        form.base_fields[name] = forms.ChoiceField(
            choices=choices,
            required=field.required,
            label=field.label,
            help_text=f"{field.help_text} Values mirrored from Spectrum.".strip(),
            validators=list(field.validators),
        )


class ReleasesHeldRecords(TenantScopedAdmin):
    """A saved or removed row may complete a tenant's mappings: records held for them go on by themselves."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        self._release(request, obj.tenant)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        self._release(request, obj.tenant)

    @staticmethod
    def _release(request: HttpRequest, tenant: Tenant) -> None:
        released = export_actions.release_mapping_holds(tenant, request.user)
        if released:
            messages.success(
                request,
                f"{released} record(s) held for incomplete mappings of {tenant} are complete now and were sent again.",
            )


class GLAccountMappingAdmin(ReleasesHeldRecords, MirrorChoicesAdmin):
    list_display = ["tenant", "company_code", "department", "line_kind", "gl_account", "cost_center"]
    fields = ["tenant", "company_code", "department", "line_kind", "gl_account", "cost_center"]
    list_filter = [TenantFilter, "line_kind"]
    list_select_related = ["tenant"]
    search_fields = ["=department", "=gl_account"]
    mirror_fields = {"gl_account": ((ObjectType.GL_ACCOUNT,), "gl_account")}


def redeliver_departments(tenant: Tenant, departments: set[str]) -> int:
    """Make the next poll deliver these departments' classes again, under their new names.

    The poll delivers a record only when its Spectrum fields changed; a renamed class changes none,
    so its mirror rows are given a digest no record hashes to.
    """
    keys = Q()
    for department in filter(None, departments):
        keys |= Q(key__endswith=f"|{department.strip().upper()}")
    if not keys:
        return 0
    rows = MirrorRecord.objects.filter(keys, tenant=tenant, object_type=ObjectType.GL_DEPARTMENT)
    return rows.update(row_hash="00" * 16)


class DepartmentClassMappingAdmin(MirrorChoicesAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = {str(form.initial.get("spectrum_department") or "")} if change else set()
        super().save_model(request, obj, form, change)
        redeliver_departments(obj.tenant, before | {obj.spectrum_department})

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        redeliver_departments(obj.tenant, {obj.spectrum_department})

    list_filter = [TenantFilter]
    list_display = ["tenant", "spectrum_department", "platform_class"]
    list_select_related = ["tenant"]
    search_fields = ["=spectrum_department", "=platform_class"]
    mirror_fields = {"spectrum_department": ((ObjectType.GL_DEPARTMENT,), "department")}


class TaxCodeDefaultAdmin(ReleasesHeldRecords, MirrorChoicesAdmin):
    list_display = ["tenant", "document_type", "tax_code", "rate"]
    list_filter = [TenantFilter, "document_type"]
    list_select_related = ["tenant"]
    mirror_fields = {"tax_code": ((ObjectType.SALES_TAX, ObjectType.PURCHASE_TAX), "tax_code")}


def udf_help() -> str:
    """Which document types send UDFs to Spectrum, through which services, and which cannot."""
    sent = "; ".join(
        f"{type_label(t)}: UDF{min(udf_slots(t))}–UDF{max(udf_slots(t))} through {', '.join(udf_services(t))}"
        for t in udf_document_types()
    )
    unsent = " ".join(no_udf_reason(t) for t in no_udf_document_types())
    return f"Sent to Spectrum — {sent}. {unsent} A mapping for those is refused."


class UDFMappingForm(forms.ModelForm):
    """Every document type is listed; one whose Spectrum services take no UDFs is refused with the
    reason (docs/spectrum.md#udf-services), and the UDF numbers are checked by the model."""

    class Meta:
        model = UDFMapping
        fields = ["tenant", "document_type", "platform_field", "udf_slot", "max_length", "required"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["document_type"])
        field.help_text = udf_help()

    def clean_document_type(self) -> str:
        document_type = str(self.cleaned_data.get("document_type") or "")
        reason = no_udf_reason(document_type) if document_type else ""
        if reason:
            raise forms.ValidationError(f"{reason} Send this value another way, or leave it in the platform.")
        return document_type


class UDFMappingAdmin(ReleasesHeldRecords):
    form = UDFMappingForm
    list_display = ["tenant", "document_type", "platform_field", "udf_slot", "max_length", "required"]
    list_filter = [TenantFilter, "document_type"]
    list_select_related = ["tenant"]


class ProcessingDateRangeAdmin(TenantScopedAdmin):
    list_display = ["tenant", "module", "company_code", "minimum_date", "maximum_date"]
    list_filter = [TenantFilter, "module"]
    list_select_related = ["tenant"]


admin.site.register(GLAccountMapping, GLAccountMappingAdmin)
admin.site.register(DepartmentClassMapping, DepartmentClassMappingAdmin)
admin.site.register(TaxCodeDefault, TaxCodeDefaultAdmin)
admin.site.register(UDFMapping, UDFMappingAdmin)
admin.site.register(ProcessingDateRange, ProcessingDateRangeAdmin)
