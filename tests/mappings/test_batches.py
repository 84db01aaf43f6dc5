"""AR invoice batch codes by the tenant's rule, in Spectrum's format (docs/spectrum.md#batch-codes)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.spectrum import layouts
from mappings import batches
from mappings.rules import GLRule, Known, MappingRules, load_rules
from spectrum_sync.catalogue.ar_invoice import map_ar_invoice
from spectrum_sync.models import Tenant

KNOWN = Known(existing=frozenset({("customer", "AC1|CUST1")}))


def invoice(**extra: Any) -> dict[str, Any]:
    return {
        "invoice_number": "INV1",
        "customer_code": "CUST1",
        "invoice_date": "2026-12-03",  # a Thursday
        "lines": [{"kind": "labor", "amount": "100.00", "department": "20", "taxable": False}],
        **extra,
    }


def header(rule: str, document: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    rules = MappingRules(gl=(GLRule("", "", "400000"),), batch_rule=rule)
    mapped = map_ar_invoice(document, rules, KNOWN, "AC1")
    return mapped.calls[0].fields, mapped.problems


@pytest.mark.parametrize(
    ("rule", "document", "code"),
    [
        (batches.DAY, invoice(), "20261203"),
        (batches.WEEK, invoice(), "20261130"),  # the Monday of that week
        (batches.WEEK, invoice(invoice_date="2026-11-30"), "20261130"),  # a Monday is its own week
        (batches.DAY_DEPARTMENT, invoice(), "26120320"),  # the first line's department
        (batches.DAY_DEPARTMENT, invoice(department="svc"), "261203SVC"),  # the invoice's own wins
        (batches.DAY_DEPARTMENT, invoice(lines=[{"kind": "labor", "amount": "1"}]), "261203"),
        (batches.PLATFORM, invoice(batch_code="ACME-07"), "ACME-07"),
        (batches.PLATFORM, invoice(), "20261203"),  # none sent: the invoice date
    ],
)
def test_each_rule_gives_its_code_in_spectrums_format(rule: str, document: dict[str, Any], code: str) -> None:
    fields, problems = header(rule, document)
    assert fields["Batch_Code"] == code
    assert not [p for p in problems if p.column == "Batch_Code"]
    layout = layouts.layout_for("customer/invoice")
    assert not [m for m in layouts.validate(layout, fields) if m.column == "Batch_Code"]


def test_a_department_too_long_for_ten_characters_still_gives_a_valid_distinct_code() -> None:
    long_one = batches.batch_code(batches.DAY_DEPARTMENT, invoice(department="HVAC-SERVICE-NORTH"))
    other = batches.batch_code(batches.DAY_DEPARTMENT, invoice(department="HVAC-SERVICE-SOUTH"))
    assert len(long_one) == len(other) == 10
    assert long_one.startswith("261203HV") and long_one.isalnum() and long_one != other
    assert long_one == batches.batch_code(batches.DAY_DEPARTMENT, invoice(department="HVAC-SERVICE-NORTH"))
    fields, problems = header(batches.DAY_DEPARTMENT, invoice(department="HVAC-SERVICE-NORTH"))
    assert fields["Batch_Code"] == long_one and not [p for p in problems if p.column == "Batch_Code"]


def test_a_platform_batch_code_longer_than_spectrum_takes_is_a_problem() -> None:
    # Negative control: the platform's own code is not cut silently.
    _, problems = header(batches.PLATFORM, invoice(batch_code="MONTHLY-DECEMBER"))
    assert [(p.code, p.column) for p in problems] == [("I", "Batch_Code")]
    assert "longer than Spectrum's 10 characters" in problems[0].message


def test_without_an_invoice_date_there_is_no_code_and_the_mapper_says_so() -> None:
    _, problems = header(batches.DAY, invoice(invoice_date=""))
    assert {(p.code, p.column) for p in problems} >= {("M", "Invoice_Date"), ("M", "Batch_Code")}


def test_the_rule_names_are_the_tenant_settings() -> None:
    assert set(batches.RULES) == set(Tenant.BatchRule.values)


@pytest.mark.django_db
def test_the_tenants_rule_reaches_the_mapper_and_its_admin_page(tenant: Tenant, admin_client: Any) -> None:
    assert load_rules(tenant).batch_rule == batches.DAY
    tenant.batch_rule = Tenant.BatchRule.WEEK
    tenant.save()
    assert load_rules(tenant).batch_rule == batches.WEEK
    page = admin_client.get(f"/admin/spectrum_sync/tenant/{tenant.pk}/change/").content.decode()
    assert 'name="batch_rule"' in page and "One batch per week" in page
    assert "always adds these invoices unposted" in page
