"""A worker keeps a tenant's mapping rows and date windows between records, and reads them again as
soon as one is saved or removed (the tenant's rules_stamp, read with each record)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mappings.models import GLAccountMapping, ProcessingDateRange, SpectrumModule, TaxCodeDefault
from mappings.rules import forget, ranges_for, rules_for
from mappings.signals import rules_changed
from spectrum_sync.models import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant() -> Tenant:
    forget()
    tenant = Tenant.objects.create(name="Kept", slug="kept")
    GLAccountMapping.objects.create(tenant=tenant, line_kind="", gl_account="4000")
    tenant.refresh_from_db()  # as a worker reads it with a record
    return tenant


def accounts(tenant: Tenant) -> list[str]:
    return [rule.gl_account for rule in rules_for(tenant).gl]


def test_the_rows_are_read_once_while_nothing_changes(tenant: Tenant, django_assert_num_queries: Any) -> None:
    assert accounts(tenant) == ["4000"] and ranges_for(tenant) == ()
    with django_assert_num_queries(0):
        assert accounts(tenant) == ["4000"] and ranges_for(tenant) == ()
    # Negative control: a write that sends no signal is not seen while the stamp stands (so the copy
    # above really was kept), and is seen once the tenant is restamped.
    GLAccountMapping.objects.filter(tenant=tenant).update(gl_account="4100")
    tenant.refresh_from_db()
    assert accounts(tenant) == ["4000"]
    rules_changed(tenant.pk)
    tenant.refresh_from_db()
    assert accounts(tenant) == ["4100"]


def test_a_saved_or_removed_row_is_seen_with_the_next_record(tenant: Tenant) -> None:
    assert accounts(tenant) == ["4000"]
    GLAccountMapping.objects.create(tenant=tenant, department="20", line_kind="", gl_account="4200")
    tenant.refresh_from_db()
    assert sorted(accounts(tenant)) == ["4000", "4200"]
    TaxCodeDefault.objects.create(tenant=tenant, document_type="ar_invoice", tax_code="TX")
    tenant.refresh_from_db()
    assert rules_for(tenant).tax_defaults["ar_invoice"].tax_code == "TX"
    GLAccountMapping.objects.filter(tenant=tenant, department="20").delete()  # per-row signals
    tenant.refresh_from_db()
    assert accounts(tenant) == ["4000"]


def test_a_new_date_window_is_seen_with_the_next_record(tenant: Tenant) -> None:
    assert ranges_for(tenant) == ()
    window = ProcessingDateRange.objects.create(
        tenant=tenant,
        module=SpectrumModule.ACCOUNTS_RECEIVABLE,
        minimum_date=date(2026, 1, 1),
        maximum_date=date(2026, 12, 31),
    )
    assert window.tenant.rules_stamp == Tenant.objects.get(pk=tenant.pk).rules_stamp  # the tenant in hand too
    tenant.refresh_from_db()
    assert [w.pk for w in ranges_for(tenant)] == [window.pk]


def test_the_batch_rule_is_the_tenants_own(tenant: Tenant) -> None:
    assert rules_for(tenant).batch_rule == Tenant.BatchRule.DAY
    tenant.batch_rule = Tenant.BatchRule.WEEK  # a tenant column: no restamp needed
    assert rules_for(tenant).batch_rule == Tenant.BatchRule.WEEK
    assert accounts(tenant) == ["4000"]
