"""AR invoices: one multi-line customer invoice per document, over REST."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from mappings.mappers import REVENUE_KINDS, key_of, map_ar_invoice, money
from mappings.rules import MappingRules
from spectrum_sync.api.serializers import ARInvoiceSerializer
from spectrum_sync.catalogue.base import DatedColumns, ExportType
from spectrum_sync.models import MirrorRecord, SyncRecord, SyncStatus, Tenant


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


CENT = Decimal("0.01")


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


EXPORT = ExportType(
    name="ar_invoice",
    api_name="ar-invoices",
    label="AR invoice",
    serializer=ARInvoiceSerializer,
    mapper=map_ar_invoice,
    services=("customer/invoice",),
    creating_services=frozenset({"customer/invoice"}),
    # Invoice numbers must be unique (docs/spectrum.md#addarinvoice).
    resend_is_safe=True,
    rest_post=post,
    tax_facts=tax_facts,
    dated=DatedColumns("AR", (("Invoice_Date", ("invoice_date",)), ("GL_Date", ("gl_date", "invoice_date")))),
    totals=InvoiceTotals(),
    # The number Spectrum keeps the invoice under (docs/spectrum.md#customer-invoice-rest).
    number_column="Invoice_Or_Transaction",
)
