"""The one scoped getter for tenant data in the admin.

Every list, detail, action, export and chart asks :func:`tenants_for` which tenants a user may see,
and narrows its queryset with :func:`scope`. A superuser, or a user given the ``access_all_tenants``
permission, sees every tenant; anyone else sees only the tenants whose ``staff`` includes them.
No tenant assigned means nothing visible: forgetting to assign is safe, forgetting a filter is not.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections
from django.db.models import BooleanField, F, Func, Model, QuerySet

from spectrum_sync.models import Tenant

ALL_TENANTS_PERMISSION = "spectrum_sync.access_all_tenants"

M = TypeVar("M", bound=Model)


def sees_all_tenants(user: Any) -> bool:
    if not getattr(user, "is_active", False):
        return False
    return bool(user.is_superuser or user.has_perm(ALL_TENANTS_PERMISSION))


def tenants_for(user: Any) -> QuerySet[Tenant]:
    """The tenants ``user`` may see (lazy: used as a subquery, it costs no extra query)."""
    if sees_all_tenants(user):
        return Tenant.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Tenant.objects.none()
    return Tenant.objects.filter(staff=user)


class _EqualsAny(Func):
    """``column = ANY(ARRAY(SELECT ...))``: PostgreSQL runs the subquery once and tests each row against
    the small array, where ``IN (SELECT ...)`` became a per-row nested-loop semi-join (260 ms → 27 ms on a
    deep history page of a manager serving 10 tenants, 1M rows; bench/admin_history.py)."""

    output_field = BooleanField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:  # type: ignore[override]
        column, column_params = compiler.compile(self.source_expressions[0])
        array, array_params = compiler.compile(self.source_expressions[1])
        return f"({column} = ANY({array}))", (*column_params, *array_params)


def scope(queryset: QuerySet[M], user: Any, tenant_path: str = "tenant") -> QuerySet[M]:
    """``queryset`` narrowed to the rows of tenants ``user`` may see; ``tenant_path`` leads to the Tenant."""
    if sees_all_tenants(user):
        return queryset
    allowed = tenants_for(user).order_by().values("pk")
    column = tenant_path or "pk"
    if connections[queryset.db].vendor == "postgresql":
        return queryset.filter(_EqualsAny(F(column), ArraySubquery(allowed)))
    return queryset.filter(**{f"{column}__in": allowed})


def user_may_see_tenant(user: Any, tenant_id: int) -> bool:
    return tenants_for(user).filter(pk=tenant_id).exists()
