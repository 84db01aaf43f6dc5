"""Tenant API-key authentication: ``Authorization: Bearer <key>`` identifies the tenant."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from spectrum_sync.exports.intake import CONNECTION_COMPANY_CODES
from spectrum_sync.models import Tenant


class TenantPrincipal:
    """``request.user`` for an API call: the tenant, not a person."""

    is_authenticated = True
    is_active = True

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    def __str__(self) -> str:
        return f"tenant {self.tenant.slug}"


class TenantAPIKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[TenantPrincipal, Tenant] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the API key as: Authorization: Bearer <key>")
        key = parts[1].decode("latin-1")
        # The hash is indexed; compare_digest in check_api_key keeps the final check constant-time.
        # In the same query, the Spectrum connection's company codes (None without a connection): a
        # document's post needs them and whether there is a connection, and nothing else of it.
        tenants = Tenant.objects.annotate(**{CONNECTION_COMPANY_CODES: F("connection__company_codes")})
        tenant = tenants.filter(api_key_hash=Tenant.hash_api_key(key)).first()
        if tenant is None or not tenant.check_api_key(key):
            raise exceptions.AuthenticationFailed("Unknown API key")
        if not tenant.active:
            raise exceptions.AuthenticationFailed("This tenant is inactive")
        return TenantPrincipal(tenant), tenant

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="spectrum-sync"'


class IsTenant(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, Tenant)


class TenantAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "spectrum_sync.api.auth.TenantAPIKeyAuthentication"
    name = "tenantApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "The tenant's API key (ssk_…)."}
