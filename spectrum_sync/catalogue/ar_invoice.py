"""AR invoices: one multi-line customer invoice per document, over REST (customer/invoice,
docs/spectrum.md#customer-invoice-rest). The API body, the mapper, the tax facts and totals the
pre-flight and read-back compare, and the declaration."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from rest_framework import serializers

from mappings.batches import batch_code
from mappings.mappers.common import CENT, Checker, Mapped, Problem, SpectrumCall, cents, company_of, key_of, money
from mappings.rules import Known, MappingNeed, MappingRules
from spectrum_sync.api.serializers import AMOUNT, LINES, QUANTITY, DecimalText, DocumentSerializer
from spectrum_sync.catalogue.base import DatedColumns, ExportType, Reconciled, amount_of
from spectrum_sync.models import MirrorRecord, SyncRecord, SyncStatus, Tenant


class InvoiceLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["labor", "material", "discount", "tax"])
    description = serializers.CharField(max_length=250, required=False, allow_blank=True)
    quantity = DecimalText(required=False, **QUANTITY)
    unit_of_measure = serializers.CharField(max_length=10, required=False, allow_blank=True)
    amount = DecimalText(**AMOUNT)
    taxable = serializers.BooleanField(default=True)
    department = serializers.CharField(max_length=10, required=False, allow_blank=True)


class ARInvoiceSerializer(DocumentSerializer):
    invoice_number = serializers.CharField(max_length=40)
    customer_code = serializers.CharField(max_length=40)
    job_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    invoice_date = serializers.DateField()
    gl_date = serializers.DateField(required=False)
    batch_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    terms_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    salesperson_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    customer_po = serializers.CharField(max_length=100, required=False, allow_blank=True)
    remarks = serializers.CharField(max_length=500, required=False, allow_blank=True)
    department = serializers.CharField(max_length=10, required=False, allow_blank=True)
    tax_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    tax_rate = DecimalText(max_digits=7, decimal_places=4, required=False, min_value=0)
    lines = InvoiceLineSerializer(many=True, allow_empty=False, **LINES)


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


def post(client: Any, company: str, fields: Mapping[str, Any]) -> list[Any]:
    # docs/spectrum.md#customer-invoice-rest — POST /customer/invoice, {"arInvoices": [...]}.
    return list(client.post_customer_invoices(company, [fields]))


def _job_tax(tenant: Tenant, company: str, job: str) -> dict[str, str]:
    """The job's sales tax code: the mirror's, else the one we exported the job with."""
    key = key_of(company, job)
    code = ""
    mirror = MirrorRecord.objects.filter(tenant=tenant, object_type="job", key=key).values_list("data", flat=True)
    for data in mirror:
        code = str(data.get("tax_class_code") or data.get("sales_tax_code") or "")
    if not code:
        exported = (
            SyncRecord.objects.filter(tenant=tenant, object_type="job", spectrum_key=key, status=SyncStatus.SUCCEEDED)
            .order_by("-finished_at")
            .values_list("payload", flat=True)[:1]
        )
        for payload in exported:
            code = str(payload.get("tax_class_code") or "")
    return {key: code} if code else {}


def _tax_rates(tenant: Tenant, company: str, codes: set[str]) -> dict[str, Decimal]:
    rates: dict[str, Decimal] = {}
    keys = [key_of(company, c) for c in codes if c]
    for key, data in MirrorRecord.objects.filter(
        tenant=tenant, object_type="sales_tax", key__in=keys, deleted_at__isnull=True
    ).values_list("key", "data"):
        try:
            if data.get("rate") not in (None, ""):
                rates[key] = Decimal(str(data["rate"]))
        except InvalidOperation:
            continue
    return rates


def tax_facts(
    tenant: Tenant, company: str, document: Mapping[str, Any], rules: MappingRules
) -> tuple[dict[str, str], dict[str, Decimal]]:
    """The invoice's job tax code and the rates of every tax code it may be taxed with."""
    job_tax: dict[str, str] = {}
    if document.get("job_number"):
        job_tax = _job_tax(tenant, company, str(document["job_number"]).strip())
    codes = {str(document.get("tax_code") or "")} | set(job_tax.values())
    default = rules.tax_defaults.get("ar_invoice")
    if default:
        codes.add(default.tax_code)
    return job_tax, _tax_rates(tenant, company, codes)


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value)).quantize(CENT) if value not in (None, "") else Decimal("0.00")
    except InvalidOperation:
        return Decimal("0.00")


class InvoiceTotals:
    """The platform's total and tax line beside what Spectrum holds (or will hold).

    Spectrum's invoice total is the sum of its line extensions plus the header's sales tax amount,
    negative for a credit memo (``Transaction_Type`` C, amounts positive; docs/spectrum.md#addarinvoice).
    The platform's is the sum of its lines: labor and material, less discounts, plus tax lines.
    """

    @staticmethod
    def platform(document: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
        lines = list(document.get("lines") or [])
        revenue = sum((money(x.get("amount")) for x in lines if x.get("kind") in REVENUE_KINDS), Decimal(0))
        discount = sum((abs(money(x.get("amount"))) for x in lines if x.get("kind") == "discount"), Decimal(0))
        tax = sum((money(x.get("amount")) for x in lines if x.get("kind") == "tax"), Decimal(0))
        return (revenue - discount + tax).quantize(CENT), tax.quantize(CENT)

    @staticmethod
    def spectrum(held: Mapping[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
        """(total, tax, taxable base) of a header row read back, or of the fields about to be sent."""
        lines = held.get("lines")
        if lines is None:
            lines = held.get("invoiceDetails") or []
        if "Invoice_Extension" in held and held.get("Invoice_Extension") is not None:
            extension = _amount(held["Invoice_Extension"])
        else:
            extension = sum((_amount(x.get("Line_Extension")) for x in lines), Decimal("0.00"))
        base = sum(
            (_amount(x.get("Line_Extension")) for x in lines if str(x.get("Taxable_Flag") or "Y").upper() != "N"),
            Decimal("0.00"),
        )
        tax = _amount(held.get("Sales_Tax_Amount"))
        sign = Decimal(-1) if str(held.get("Transaction_Type") or "").strip().upper() == "C" else Decimal(1)
        return sign * (extension + tax), sign * tax, base

    def _differences(self, document: Mapping[str, Any], held: Mapping[str, Any], verb: str) -> list[str]:
        platform_total, platform_tax = self.platform(document)
        total, tax, base = self.spectrum(held)
        out = []
        if tax != platform_tax:
            job = str(document.get("job_number") or held.get("Job_Number") or "").strip()
            rate = f"{(abs(tax) * 100 / base).quantize(CENT)} %" if base else "its rate"
            whose = f"job {job}'s rate" if job else f"tax code {str(held.get('Sales_Tax_Code') or '').strip()}'s rate"
            out.append(
                f"Spectrum {verb} tax {tax} at {whose} {rate}; the platform's tax line "
                f"{'is' if verb == 'will compute' else 'was'} {platform_tax}"
            )
        if total != platform_total:
            tense = "will be" if verb == "will compute" else "is"
            out.append(f"Spectrum's total {tense} {total}, the platform's {platform_total}")
        return out

    def preview(self, document: Mapping[str, Any], fields: Mapping[str, Any]) -> str:
        return "; ".join(self._differences(document, fields, "will compute"))

    def compare(self, document: Mapping[str, Any], held: Mapping[str, Any]) -> list[str]:
        return self._differences(document, held, "computed")

    def summary(self, held: Mapping[str, Any]) -> dict[str, str]:
        total, tax, _base = self.spectrum(held)
        return {"total": str(total), "tax": str(tax)}


def _tax_lines(payload: Mapping[str, Any]) -> Decimal:
    lines = [x for x in payload.get("lines") or [] if isinstance(x, Mapping)]
    return sum((amount_of(x.get("amount")) for x in lines if x.get("kind") == "tax"), Decimal(0))


def reconciled_total(payload: Mapping[str, Any]) -> Decimal:
    """The invoice total the period reconciliation counts: labor and material, less discounts
    (towards zero, so a credit memo's discount lessens the credit), plus the tax lines."""
    lines = [x for x in payload.get("lines") or [] if isinstance(x, Mapping)]
    revenue = sum((amount_of(x.get("amount")) for x in lines if x.get("kind") in REVENUE_KINDS), Decimal(0))
    discount = sum((abs(amount_of(x.get("amount"))) for x in lines if x.get("kind") == "discount"), Decimal(0))
    tax = _tax_lines(payload)
    return revenue - discount + tax if revenue >= 0 else revenue + discount + tax


EXPORT = ExportType(
    name="ar_invoice",
    api_name="ar-invoices",
    label="AR invoice",
    serializer=ARInvoiceSerializer,
    mapper=map_ar_invoice,
    services=("customer/invoice",),
    no_udf_reason=(
        "Spectrum has no UDF service for AR invoices: neither the multi-line customer invoice nor "
        "AddARInvoice has UDF fields, and no UDF-only service exists for them."
    ),
    creating_services=frozenset({"customer/invoice"}),
    # Invoice numbers must be unique (docs/spectrum.md#addarinvoice).
    resend_is_safe=True,
    rest_post=post,
    tax_facts=tax_facts,
    dated=DatedColumns("AR", (("Invoice_Date", ("invoice_date",)), ("GL_Date", ("gl_date", "invoice_date")))),
    totals=InvoiceTotals(),
    # The number Spectrum keeps the invoice under (docs/spectrum.md#customer-invoice-rest).
    number_column="Invoice_Or_Transaction",
    reconciled=Reconciled(
        "ar_invoice", ("invoice_number",), "invoice_date", "customer_code", reconciled_total, tax=_tax_lines
    ),
)
