"""The ModelAdmin base every tenant-owned screen uses, so none can forget the tenant filter.

Other apps' admins (mappings, notifications) subclass it too: set ``tenant_path`` to the lookup
from the model to its Tenant ("tenant" by default, "" for the Tenant itself).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from spectrum_sync.adminsite.scoping import scope, tenants_for
from spectrum_sync.models import Tenant


class TenantScopedAdmin(admin.ModelAdmin):
    """Lists, details, actions and tenant dropdowns limited to the user's tenants."""

    tenant_path = "tenant"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope(super().get_queryset(request), request.user, self.tenant_path)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is Tenant:
            kwargs["queryset"] = tenants_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
