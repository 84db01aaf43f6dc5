"""The monthly email: each company's report of the month before, to the tenant's accountants.

Recipients: the active users in the Accountant role who serve the tenant and have an address; a
tenant without any gets it at the addresses its notification rules send failures to. A report is
emailed once: ``emailed_at`` is set by a conditional update before sending (cleared again when the
mail server refused), so a task that runs twice sends one email.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from spectrum_sync.adminsite.roles import ACCOUNTANT
from spectrum_sync.models import ReconciliationReport, Tenant
from spectrum_sync.notifications.api import failure_recipients
from spectrum_sync.notifications.models import NotificationRule
from spectrum_sync.reconciliation import export, report
from spectrum_sync.reconciliation.period import month_label, previous_month

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Spectrum Sync]"
EMAIL_LIMIT = 50  # differences listed in the email; the report and the CSV have them all


def accountants(tenant: Tenant) -> list[str]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=ACCOUNTANT, served_tenants=tenant)
        .exclude(email="")
    )
    found = list(dict.fromkeys(users.order_by("email").values_list("email", flat=True)))
    if found:
        return found
    return failure_recipients(list(NotificationRule.objects.filter(tenant=tenant, active=True)))


def report_url(made: ReconciliationReport) -> str:
    return f"{settings.SITE_URL}{reverse('admin:spectrum_sync_reconciliationreport_changelist')}?report={made.pk}"


def subject(made: ReconciliationReport) -> str:
    counts = made.summary.get("counts", {})
    what = "incomplete" if made.error else f"{counts.get('differences', 0)} difference(s)"
    month = month_label(made.period_start)
    return f"{SUBJECT_PREFIX} {made.tenant}: reconciliation of {month}, company {made.company_code}: {what}"


def build_message(made: ReconciliationReport, recipients: list[str]) -> EmailMultiAlternatives:
    context: dict[str, Any] = {
        "tenant": made.tenant,
        "report": made,
        "month": month_label(made.period_start),
        "differences": made.differences[:EMAIL_LIMIT],
        "more": max(len(made.differences) - EMAIL_LIMIT, 0) + int(made.summary.get("truncated", 0)),
        "drift": [m for m in made.summary.get("mirror", []) if m.get("drift")],
        "report_url": report_url(made),
        "subject": subject(made),
    }
    message = EmailMultiAlternatives(
        subject=context["subject"],
        body=render_to_string("emails/reconciliation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers={"X-Spectrum-Sync-Reconciliation": str(made.pk)},
    )
    message.attach_alternative(render_to_string("emails/reconciliation.html", context), "text/html")
    message.attach(export.filename(made), "".join(export.csv_text(made)), "text/csv")
    return message


def send(made: ReconciliationReport) -> bool:
    """Email the report once; False when it was emailed already or nobody is to be told.

    Raises the mail server's error (after clearing ``emailed_at``) so the caller may retry.
    """
    recipients = accountants(made.tenant)
    if not recipients:
        logger.warning("reconciliation %s of %s: no accountant or failure recipient to email", made.pk, made.tenant)
        return False
    now = timezone.now()
    if not ReconciliationReport.objects.filter(pk=made.pk, emailed_at__isnull=True).update(emailed_at=now):
        return False
    try:
        build_message(made, recipients).send(fail_silently=False)
    except (smtplib.SMTPException, OSError):
        ReconciliationReport.objects.filter(pk=made.pk, emailed_at=now).update(emailed_at=None)
        raise
    made.emailed_at = now
    logger.info("reconciliation %s emailed to %d recipient(s)", made.pk, len(recipients))
    return True


def monthly(tenant: Tenant, today: dt.date | None = None) -> list[ReconciliationReport]:
    """The scheduled run: each company's report of the month before (in the tenant's time), emailed once."""
    today = today or timezone.now().astimezone(ZoneInfo(tenant.timezone or "UTC")).date()
    first, last = previous_month(today)
    done: list[ReconciliationReport] = []
    for company in report.companies_of(tenant):
        scheduled = ReconciliationReport.objects.filter(
            tenant=tenant, company_code=company, period_start=first, created_by__isnull=True
        ).order_by("-created_at")
        if scheduled.filter(emailed_at__isnull=False).exists():
            continue  # this month's email went out already
        made = scheduled.first() or report.run(tenant, company, first, last)
        send(made)
        done.append(made)
    return done
