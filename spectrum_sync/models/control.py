"""Accounting control: approval rules and reconciliation reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from spectrum_sync.fields import TypeNameField
from spectrum_sync.models.ledger import type_choices
from spectrum_sync.models.tenants import Tenant


class ReconciliationReport(models.Model):
    """One comparison of what we exported (and mirrored) with what Spectrum holds, for a period."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="reconciliations")
    company_code = models.CharField(max_length=3)
    period_start = models.DateField()
    period_end = models.DateField(help_text="Inclusive.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Counts and totals per document type on each side; per object type for the mirror.
    summary = models.JSONField(default=dict, blank=True)
    # Documents on one side only, or whose totals differ.
    differences = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why the report could not be made, when it could not.")
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "-created_at"]
        indexes = [models.Index(fields=["tenant", "company_code", "-period_start"], name="recon_tenant_period")]

    def __str__(self) -> str:
        return f"Reconciliation of {self.tenant} {self.company_code} {self.period_start:%Y-%m}"


class ApprovalRule(models.Model):
    """Documents of this type wait for an accountant's approval before they are exported."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="approval_rules")
    object_type = TypeNameField(max_length=20, choices=type_choices)
    required = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "object_type"], name="approvalrule_unique")]
        permissions = [("approve_syncrecord", "Can approve or reject exports awaiting approval")]

    def __str__(self) -> str:
        return f"{self.tenant}: {self.get_object_type_display()} {'needs' if self.required else 'skips'} approval"
