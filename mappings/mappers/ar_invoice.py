"""AR invoice → Multi-Line Customer Invoice (REST customer/invoice, docs/spectrum.md#customer-invoice-rest)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from mappings.batches import batch_code
from mappings.mappers.common import (
    CENT,
    Checker,
    Mapped,
    Problem,
    SpectrumCall,
    cents,
    company_of,
    key_of,
    money,
)
from mappings.rules import Known, MappingNeed, MappingRules

REVENUE_KINDS = ("labor", "material")


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split ``total`` over ``weights`` in cents, proportionally; the rounding remainder goes to the
    largest weights first so the parts always add up to ``total`` exactly."""
    if not weights:
        return []
    total = cents(total)
    base = sum((abs(w) for w in weights), Decimal(0))
    if base == 0:
        parts = [Decimal(0)] * len(weights)
        parts[0] = total
        return parts
    raw = [total * abs(w) / base for w in weights]
    parts = [r.quantize(CENT, rounding="ROUND_DOWN") for r in raw]
    remainder = int((total - sum(parts, Decimal(0))) / CENT)
    order = sorted(range(len(weights)), key=lambda i: (raw[i] - parts[i], abs(weights[i])), reverse=True)
    step = CENT if remainder >= 0 else -CENT
    for i in range(abs(remainder)):
        parts[order[i % len(order)]] += step
    return parts


def invoice_tax(
    document: Mapping[str, Any], rules: MappingRules, known: Known, company: str
) -> tuple[str, Decimal | None]:
    """The tax code and percent: the job's when the invoice has a job, otherwise the invoice's own,
    otherwise the tenant's default for AR invoices. Percent None = let Spectrum take the rate history."""
    job = str(document.get("job_number") or "").strip()
    code = ""
    rate: Decimal | None = None
    if job and known.job_tax.get(key_of(company, job)):
        code = known.job_tax[key_of(company, job)]
        rate = known.tax_rates.get(key_of(company, code))
    else:
        code = str(document.get("tax_code") or "").strip()
        if document.get("tax_rate") not in (None, ""):
            rate = money(document.get("tax_rate"))
        elif code:
            rate = known.tax_rates.get(key_of(company, code))
    if not code and "ar_invoice" in rules.tax_defaults:
        default = rules.tax_defaults["ar_invoice"]
        code, rate = default.tax_code, default.rate if default.rate is not None else rate
    return code, rate


def map_ar_invoice(document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str) -> Mapped:
    """AR invoice → Multi-Line Customer Invoice (REST customer/invoice, docs/spectrum.md#customer-invoice-rest).

    Discount lines are spread over the labor and material lines (Spectrum takes positive line
    amounts only), tax goes to the header; a negative total becomes a credit memo (``C``) with
    positive amounts.
    """
    problems: list[Problem] = []
    check = Checker(problems, "customer/invoice")
    company = company_of(document, default_company)
    invoice_number = check.code(document.get("invoice_number"), "Invoice_Or_Transaction", required=True)
    customer = check.code(document.get("customer_code"), "Customer_Code", required=True)
    job = check.code(document.get("job_number"), "Job_Number")
    if customer:
        check.parent(known, "customer", key_of(company, customer), "Customer_Code", "Customer")
    if job:
        check.parent(known, "job", key_of(company, job), "Job_Number", "Job")
    invoice_date = check.date(document.get("invoice_date"), "Invoice_Date", known, required=True)
    gl_date = check.date(document.get("gl_date") or document.get("invoice_date"), "GL_Date", known, required=True)

    lines = list(document.get("lines") or [])
    revenue = [line for line in lines if line.get("kind") in REVENUE_KINDS]
    if not revenue:
        problems.append(Problem("M", "An invoice needs at least one labor or material line", "Line_Extension"))
    discount = sum((abs(money(line.get("amount"))) for line in lines if line.get("kind") == "discount"), Decimal(0))
    amounts = [cents(money(line.get("amount"))) for line in revenue]
    shares = allocate(discount, amounts)
    # A discount brings each line towards zero: it lowers an invoice and lowers a credit alike.
    net = [a - s if a >= 0 else a + s for a, s in zip(amounts, shares, strict=True)]
    subtotal = sum(net, Decimal(0))

    tax_code, rate = invoice_tax(document, rules, known, company)
    check.code(tax_code, "Sales_Tax_Code")
    taxable_base = sum((n for n, line in zip(net, revenue, strict=True) if line.get("taxable", True)), Decimal(0))
    platform_tax = sum((money(line.get("amount")) for line in lines if line.get("kind") == "tax"), Decimal(0))
    tax = cents(taxable_base * rate / 100) if rate is not None else cents(platform_tax)
    credit = subtotal + tax < 0
    sign = Decimal(-1) if credit else Decimal(1)
    if any(n * sign < 0 for n in net):
        problems.append(
            Problem(
                "I",
                "Lines of opposite signs on one invoice: Spectrum takes positive amounts only; "
                "send the credit as its own credit memo",
                "Line_Extension",
            )
        )

    details = []
    for line, amount in zip(revenue, net, strict=True):
        department = str(line.get("department") or document.get("department") or "").strip().upper()
        rule = rules.gl_rule(department, str(line.get("kind")), company)
        if rule is None:
            problems.append(
                Problem(
                    "M",
                    f"No revenue GL account is mapped for {line.get('kind')} lines of department "
                    f"{department or '(none)'}; add a GL account mapping",
                    "GL_Account",
                    need=MappingNeed(company, department, str(line.get("kind"))),
                )
            )
        check.amount(amount * sign, "Line_Extension")
        details.append(
            {
                "Quantity": float(money(line.get("quantity") or 0)),
                "Detail_Description": check.text(line.get("description"), "Detail_Description"),
                "Unit_Of_Measure": check.text(line.get("unit_of_measure"), "Unit_Of_Measure"),
                "Line_Extension": float(amount * sign),
                "GL_Account": rule.gl_account if rule else "",
                "Taxable_Flag": "Y" if line.get("taxable", True) else "N",
                "Income_Cost_Center": rule.cost_center if rule else "",
                "Message": "",
            }
        )
    check.amount(tax * sign, "Sales_Tax_Amount")
    header: dict[str, Any] = {
        "Company_Code": company,
        "GL_Date": gl_date,
        "Batch_Code": check.code(batch_code(rules.batch_rule, document), "Batch_Code", required=True),
        "Customer_Code": customer,
        "Job_Number": job,
        "Invoice_Or_Transaction": invoice_number,
        "Transaction_Type": "C" if credit else "I",
        "Invoice_Date": invoice_date,
        "Terms_Code": check.code(document.get("terms_code"), "Terms_Code"),
        "Salesperson_Code": check.code(document.get("salesperson_code"), "Salesperson_Code"),
        "Sales_Tax_Code": tax_code,
        "Sales_Tax_Amount": float(tax * sign) if (rate is not None or platform_tax) else "",
        "Retention_Percent": 0,
        "Print_Job_Address_Flag": "",
        "Remarks": check.text(document.get("remarks"), "Remarks"),
        "Customer_PO": check.text(document.get("customer_po"), "Customer_PO"),
        "AR_GL_Account": "",
        "Retention_Amount": "",
        "VAT_Code": "",
        "Total_VAT_Amount": "",
        "Asset_Cost_Center": "",
        # No UDF elements exist on Spectrum's AR invoice services (docs/spectrum.md#customer-invoice-rest); the
        # completeness check refuses AR invoice UDF mappings instead of dropping them silently.
        "invoiceDetails": details,
    }
    # docs/spectrum.md#customer-invoice-rest
    return Mapped(
        calls=[SpectrumCall("customer/invoice", header, rest=True)],
        problems=problems,
        lookup_kind="ar_invoice",
        lookup_key={"customer_code": customer, "invoice_number": invoice_number},
        document_number=invoice_number,
    )
