"""AR invoices: one multi-line customer invoice per document, over REST."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from mappings.mappers import key_of, map_ar_invoice
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
)
