"""Implementation staff set the tenant's accounting choices on its page; a form without them keeps them."""

from __future__ import annotations

import pytest

from spectrum_sync.adminsite.tenants import TenantForm
from spectrum_sync.models import Tenant

pytestmark = pytest.mark.django_db


def base(tenant: Tenant) -> dict[str, str]:
    return {
        "name": tenant.name,
        "slug": tenant.slug,
        "active": "on",
        "timezone": "UTC",
        "platform_url": tenant.platform_url,
    }


def test_the_tenant_page_sets_what_a_total_difference_does(tenant: Tenant) -> None:
    assert "total_difference" in TenantForm.Meta.fields
    form = TenantForm({**base(tenant), "total_difference": "send", "batch_rule": "week"}, instance=tenant)
    assert form.is_valid(), form.errors
    form.save()
    tenant.refresh_from_db()
    assert (tenant.total_difference, tenant.batch_rule) == ("send", "week")


def test_a_form_without_the_choices_keeps_the_tenants_own(tenant: Tenant) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(total_difference="send", batch_rule="week")
    tenant.refresh_from_db()
    form = TenantForm(base(tenant), instance=tenant)
    assert form.is_valid(), form.errors
    form.save()
    tenant.refresh_from_db()
    assert (tenant.total_difference, tenant.batch_rule) == ("send", "week")


def test_an_unknown_choice_is_a_field_error(tenant: Tenant) -> None:
    form = TenantForm({**base(tenant), "total_difference": "maybe"}, instance=tenant)
    assert not form.is_valid() and "total_difference" in form.errors
