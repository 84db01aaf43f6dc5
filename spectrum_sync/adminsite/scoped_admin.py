"""The ModelAdmin base every tenant-owned screen uses, so none can forget the tenant filter or show a secret.

Other apps' admins (mappings, notifications) subclass it too: set ``tenant_path`` to the lookup
from the model to its Tenant ("tenant" by default, "" for the Tenant itself). Inlines of a model
with secrets subclass :class:`SecretsHiddenInline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from spectrum_sync.admin_forms import SecretFieldsForm
from spectrum_sync.adminsite.scoping import scope, tenants_for
from spectrum_sync.fields import secret_fields, state_name
from spectrum_sync.models import Tenant


def _swap(fields: Sequence[Any], secrets: set[str]) -> list[Any]:
    """The field list with each secret replaced by its "set / not set" line, each name once."""
    swapped: list[Any] = []
    for item in fields:
        if isinstance(item, (list, tuple)):
            swapped.append(tuple(_swap(item, secrets)))
            continue
        name = state_name(item) if item in secrets else item
        if name not in swapped:
            swapped.append(name)
    return swapped


class SecretsHidden:
    """For any admin (model or inline) of a model with encrypted fields: no page ever renders a secret.

    Who may type secrets gets the write-only inputs of :class:`SecretFieldsForm`; everyone else
    (view-only pages) gets ``<name>_state`` in the secret's place: "Set; changed …" or "Not set".
    Django renders a read-only field with its value, so the secret must not be on the page at all.
    """

    model: Any

    def _secret_names(self) -> set[str]:
        return {f.name for f in secret_fields(self.model)}

    def _may_type_secrets(self, request: HttpRequest, obj: Any) -> bool:
        if obj is not None:
            return bool(self.has_change_permission(request, obj))  # type: ignore[attr-defined]
        if isinstance(self, InlineModelAdmin):
            return bool(self.has_add_permission(request, obj))
        return bool(self.has_add_permission(request))  # type: ignore[attr-defined]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        names = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if self._secret_names() and not self._may_type_secrets(request, obj):
            names += [state_name(name) for name in sorted(self._secret_names()) if state_name(name) not in names]
        return names

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        secrets = self._secret_names()
        if not secrets or self._may_type_secrets(request, obj):
            return list(fieldsets)
        return [(title, {**options, "fields": _swap(options["fields"], secrets)}) for title, options in fieldsets]

    def get_list_display(self, request: HttpRequest) -> Any:
        # A list column is read-only too: a secret named there shows as set / not set.
        return _swap(super().get_list_display(request), self._secret_names())  # type: ignore[misc]

    def _secret_form(self, form: Any) -> Any:
        if not self._secret_names() or issubclass(form, SecretFieldsForm):
            return form
        return type(f"Secret{form.__name__}", (SecretFieldsForm, form), {})

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = self._secret_form(kwargs.get("form", self.form))  # type: ignore[attr-defined]
        return super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        kwargs["form"] = self._secret_form(kwargs.get("form", self.form))  # type: ignore[attr-defined]
        return super().get_formset(request, obj, **kwargs)  # type: ignore[misc]


class TenantScopedAdmin(SecretsHidden, admin.ModelAdmin):
    """Lists, details, actions and tenant dropdowns limited to the user's tenants; secrets never shown."""

    tenant_path = "tenant"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope(super().get_queryset(request), request.user, self.tenant_path)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is Tenant:
            kwargs["queryset"] = tenants_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SecretsHiddenInline(SecretsHidden, admin.StackedInline):
    """A stacked inline of a model with secrets (a tenant's Spectrum connection)."""
