"""Per-tenant mapping tables an implementer fills in when onboarding a customer.

They hold only declarations; the functions that apply them are pure (``mappings.mappers``) and get
a :class:`mappings.rules.MappingRules` snapshot built from these rows, never the rows themselves.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from mappings.services import udf_slots
from spectrum_sync.catalogue.registry import export_choices
from spectrum_sync.fields import TypeNameField
from spectrum_sync.models import Tenant

# GL accounts are sent without dashes and are Text 12 (docs/spectrum.md#formats, #addarinvoice).
gl_account_validator = RegexValidator(r"^[0-9A-Za-z]{1,12}$", "Enter the GL account without dashes (up to 12).")


class LineKind(models.TextChoices):
    ANY = "", "Any line"
    LABOR = "labor", "Labor"
    MATERIAL = "material", "Material"
    DISCOUNT = "discount", "Discount"
    TAX = "tax", "Tax"
    COMMITMENT = "commitment", "Commitment (subcontract cost)"


class GLAccountMapping(models.Model):
    """Revenue / cost GL account by department or cost center and line kind.

    The most specific row wins: department and kind, then department alone, then kind alone,
    then the default row (no department, no kind); at each step a row of the document's company
    before a row for every company (GL accounts are per company in Spectrum).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="gl_mappings")
    company_code = models.CharField(
        max_length=3, blank=True, help_text="Spectrum company code the row is for; blank = every company."
    )
    department = models.CharField(
        max_length=10, blank=True, help_text="Platform department / cost center; blank = any."
    )
    line_kind = models.CharField(max_length=12, choices=LineKind.choices, blank=True)
    gl_account = models.CharField(max_length=12, validators=[gl_account_validator])
    cost_center = models.CharField(
        max_length=10, blank=True, help_text="Spectrum income cost center sent with the line, if any."
    )

    class Meta:
        verbose_name = "GL account mapping"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "company_code", "department", "line_kind"], name="glmap_unique_company"
            ),
        ]
        ordering = ["tenant", "company_code", "department", "line_kind"]

    def __str__(self) -> str:
        company = f"{self.company_code} / " if self.company_code else ""
        return f"{company}{self.department or 'any department'} / {self.line_kind or 'any line'} → {self.gl_account}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Spectrum's codes are upper case; the rules compare them so, and the unique row must too.
        self.company_code = self.company_code.strip().upper()
        self.department = self.department.strip().upper()
        super().save(*args, **kwargs)


class DepartmentClassMapping(models.Model):
    """A Spectrum GL department and the platform "class" it is shown as."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="department_mappings")
    spectrum_department = models.CharField(max_length=10)
    platform_class = models.CharField(max_length=100)

    class Meta:
        verbose_name = "department ↔ class mapping"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "spectrum_department"], name="deptmap_unique_dept"),
            models.UniqueConstraint(fields=["tenant", "platform_class"], name="deptmap_unique_class"),
        ]

    def __str__(self) -> str:
        return f"{self.spectrum_department} ↔ {self.platform_class}"


class TaxCodeDefault(models.Model):
    """The sales tax code (and rate) used when a document names none (Sales_Tax_Code, Text 15)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="tax_defaults")
    document_type = TypeNameField(max_length=20, choices=export_choices)
    tax_code = models.CharField(max_length=15)
    rate = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Percent, 8.25 = 8.25 %; blank = take the rate of the tax code mirrored from Spectrum.",
    )

    class Meta:
        verbose_name = "tax code default"
        constraints = [models.UniqueConstraint(fields=["tenant", "document_type"], name="taxdefault_unique")]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()}: {self.tax_code}"


class UDFMapping(models.Model):
    """A platform field sent into one of Spectrum's UDF1…UDF20 slots (docs/spectrum.md#field-conventions)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="udf_mappings")
    document_type = TypeNameField(max_length=20, choices=export_choices)
    platform_field = models.CharField(max_length=100, help_text="Key in the document's custom_fields.")
    udf_slot = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(20)])
    max_length = models.PositiveSmallIntegerField(
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Length of the UDF as defined in Spectrum (at most 20); longer values are refused.",
    )
    required = models.BooleanField(default=False, help_text="Refuse documents that do not carry this field.")

    class Meta:
        verbose_name = "UDF mapping"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "document_type", "udf_slot"], name="udfmap_unique_slot"),
            models.UniqueConstraint(fields=["tenant", "document_type", "platform_field"], name="udfmap_unique_field"),
        ]
        ordering = ["tenant", "document_type", "udf_slot"]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()}: {self.platform_field} → UDF{self.udf_slot}"

    def clean(self) -> None:
        # Spectrum's services decide which UDFs exist; a mapping to none would hold every document.
        slots = udf_slots(self.document_type) if self.document_type else (1,)
        if not slots:
            raise ValidationError(
                {"document_type": f"Spectrum's services for {self.get_document_type_display()} have no UDF fields."}
            )
        if self.udf_slot and self.udf_slot not in slots:
            raise ValidationError(
                {"udf_slot": f"Spectrum's services for {self.get_document_type_display()} have no UDF{self.udf_slot}."}
            )


class SpectrumModule(models.TextChoices):
    """Spectrum modules whose Processing Date Change range limits the dates a document may post to."""

    ACCOUNTS_RECEIVABLE = "AR", "Accounts Receivable"
    PURCHASE_ORDER = "PO", "Purchase Order"


class ProcessingDateRange(models.Model):
    """A module's open date window, as set on Spectrum's Processing Date Change screen.

    Spectrum refuses a date outside the module's minimum and maximum processing dates; the dry run
    checks documents against the range copied here (nothing in Spectrum's web services returns it).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="processing_date_ranges")
    module = models.CharField(max_length=2, choices=SpectrumModule.choices)
    company_code = models.CharField(max_length=3, blank=True, help_text="Blank = every company.")
    minimum_date = models.DateField()
    maximum_date = models.DateField()

    class Meta:
        verbose_name = "processing date range"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "module", "company_code"], name="daterange_unique"),
            models.CheckConstraint(
                condition=models.Q(minimum_date__lte=models.F("maximum_date")), name="daterange_ordered"
            ),
        ]

    def __str__(self) -> str:
        companies = self.company_code or "all companies"
        return f"{self.get_module_display()} {companies}: {self.minimum_date} – {self.maximum_date}"

    def clean(self) -> None:
        if self.minimum_date and self.maximum_date and self.minimum_date > self.maximum_date:
            raise ValidationError({"maximum_date": "The maximum date must not be before the minimum date."})
