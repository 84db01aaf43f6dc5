"""Pure functions: a typed Spectrum record → the item ``data`` the platform receives.

No I/O. Money, rates and quantities travel as decimal strings (never floats, so cents survive),
dates as ISO ``YYYY-MM-DD`` or ``None``. Every item carries ``company`` (the Spectrum company code)
because one tenant may sync several companies and codes only are unique within a company.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from connectors.spectrum import records as r


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def address(rec: r.Customer | r.Vendor | r.Job) -> dict[str, str]:
    return {
        "line_1": rec.address_1,
        "line_2": rec.address_2,
        "city": rec.city,
        "state": rec.state,
        "zip": rec.zip_code,
    }


def is_active(status: str) -> bool:
    # Spectrum says "Active" / "Inactive" / "Not Used" on masters and A / I / C on jobs and phases.
    return status.strip().upper() in ("", "A", "ACTIVE")


def customer(rec: r.Customer) -> dict[str, Any]:
    return {
        "company": rec.company_code,
        "code": rec.customer_code,
        "name": rec.name,
        "address": address(rec),
        "contact": {"first_name": rec.first_name, "last_name": rec.last_name},
        "phone": rec.phone_number,
        "email": rec.email,
        "price_level": rec.price_level_material,
        "taxable": rec.taxable_flag,
        "active": is_active(rec.status),
    }


def vendor(rec: r.Vendor) -> dict[str, Any]:
    return {
        "company": rec.company_code,
        "code": rec.vendor_code,
        "name": rec.name,
        "address": address(rec),
        "contact": {"first_name": rec.first_name, "last_name": rec.last_name},
        "phone": rec.phone_number,
        "email": rec.email,
        "account_reference": rec.account_reference,
        "payment_terms": rec.payment_terms,
        "payment_term_days": money(rec.payment_term_days),
        "discount_terms": rec.discount_terms,
        "discount_term_days": money(rec.discount_term_days),
        "discount_percent": money(rec.discount_percent),
        "type": rec.vendor_type,
        "active": is_active(rec.status),
    }


def gl_account(rec: r.GLAccount) -> dict[str, Any]:
    return {
        "company": rec.company_code,
        "number": rec.gl_account,
        "description": rec.description,
        "type": rec.account_type,
        "active": is_active(rec.status),
    }


def gl_department(rec: r.GLDepartment) -> dict[str, Any]:
    # A Spectrum GL department becomes a platform "class" (used to classify revenue and cost).
    return {
        "company": rec.company_code,
        "code": rec.department,
        "name": rec.description or rec.department,
        "active": is_active(rec.status),
    }


def as_platform_class(item: dict[str, Any], class_names: Mapping[str, str]) -> dict[str, Any]:
    """The class the platform shows for a department: the tenant's mapped name when there is one
    (Spectrum's own description is kept beside it), Spectrum's description otherwise."""
    name = class_names.get(str(item.get("code") or "").strip().upper())
    return {**item, "name": name, "spectrum_name": item["name"]} if name else item


def tax_rate(rec: r.SalesTax | r.PurchaseTax) -> dict[str, Any]:
    return {
        "company": rec.company_code,
        "code": rec.tax_code,
        "description": rec.description,
        "rate_percent": money(rec.rate),
        "gl_account": rec.gl_account,
        "active": is_active(rec.status),
    }


def ar_payment(rec: r.ARPayment) -> dict[str, Any]:
    return {
        "company": rec.company_code,
        "customer_code": rec.customer_code,
        "invoice_number": rec.invoice_number,
        "receipt_number": rec.receipt_number,
        "sequence": rec.sequence,
        "date": iso(rec.payment_date),
        "amount": money(rec.amount),
        "discount_amount": money(rec.discount_amount),
        "job_number": rec.job_number,
        "reference": rec.reference,
    }


def po_bill(rec: r.POBill) -> dict[str, Any]:
    return {
        "company": rec.company_code,
        "vendor_code": rec.vendor_code,
        "invoice_number": rec.invoice_number,
        "invoice_date": iso(rec.invoice_date),
        "due_date": iso(rec.due_date),
        "po_number": rec.po_number,
        "receipt_number": rec.receipt_number,
        "job_number": rec.job_number,
        "amount": money(rec.amount),
        "tax_amount": money(rec.tax_amount),
        "status": rec.status,
    }


def project(rec: r.Job) -> dict[str, Any]:
    return {
        "company": rec.company_code,
        "number": rec.job_number,
        "name": rec.job_description,
        "customer_code": rec.customer_code,
        "address": address(rec),
        "division": rec.division,
        "cost_center": rec.cost_center,
        "project_manager": rec.project_manager,
        "superintendent": rec.superintendent,
        "estimator": rec.estimator,
        "certified_payroll": rec.certified_flag.strip().upper() in ("Y", "YES", "TRUE"),
        "status": {"A": "active", "I": "inactive", "C": "closed"}.get(rec.status_code.strip().upper(), "unknown"),
        "tax_code": rec.work_state_tax_code,
        "contract_number": rec.contract_number,
        "original_contract": money(rec.original_contract),
    }


def cost_code(rec: r.Phase) -> dict[str, Any]:
    return {
        "company": rec.company_code,
        "project_number": rec.job_number,
        "code": rec.phase_code,
        "category": rec.cost_type,
        "description": rec.description,
        "unit_of_measure": rec.unit_of_measure,
        "cost_center": rec.cost_center,
        "active": is_active(rec.status_code),
    }


def category(rec: r.CostType) -> dict[str, Any]:
    return {
        "company": rec.company_code,
        "code": rec.cost_type,
        "name": rec.description or rec.cost_type,
        "abbreviation": rec.abbreviation,
    }


def budget(rec: r.Budget) -> dict[str, Any]:
    return {
        "company": rec.company_code,
        "project_number": rec.job_number,
        "cost_code": rec.phase_code,
        "category": rec.cost_type,
        "original_amount": money(rec.original_estimated_dollars),
        "current_amount": money(rec.current_estimated_dollars),
        "hours": money(rec.estimated_hours),
        "quantity": money(rec.estimated_quantity),
    }


def job_cost(rec: r.JobCost) -> dict[str, Any]:
    return {
        "company": rec.company_code,
        "project_number": rec.job_number,
        "cost_code": rec.phase_code,
        "category": rec.cost_type,
        "cost_to_date": money(rec.jtd_actual_dollars),
        "hours_to_date": money(rec.jtd_hours),
        "quantity_to_date": money(rec.jtd_quantity),
        "projected_cost": money(rec.projected_dollars),
    }


def prime_contract(rec: r.PrimeContract) -> dict[str, Any]:
    return {
        "company": rec.company_code,
        "project_number": rec.job_number,
        "contract_number": rec.contract_number,
        "customer_code": rec.customer_code,
        "description": rec.description,
        "original_amount": money(rec.original_contract_amount),
        "approved_change_orders": money(rec.approved_change_orders),
        "revised_amount": money(rec.revised_contract_amount),
        "billed_to_date": money(rec.billed_to_date),
        "retention_percent": money(rec.retention_percent),
        "status": rec.status,
    }
