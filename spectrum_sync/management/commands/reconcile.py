"""Reconcile a month and print the summary:
``python manage.py reconcile --tenant SLUG [--company X] [--month YYYY-MM] [--email]``.

Without ``--company`` every company of the tenant's connection is reconciled; without ``--month`` the
month before the current one (in the tenant's time zone). ``--email`` sends each report to the
tenant's accountants (once per report). Exits 1 when a report could not be completed.
"""

from __future__ import annotations

import sys
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from spectrum_sync.models import ReconciliationReport, Tenant
from spectrum_sync.reconciliation import mailing, report
from spectrum_sync.reconciliation.period import BadMonth, month_label, parse_month, previous_month


def summary_lines(made: ReconciliationReport) -> list[str]:
    """The report as a few lines of text: per type both sides, then every difference and any drift."""
    lines = [f"Reconciliation of {made.tenant.slug} {made.company_code}, {month_label(made.period_start)}:"]
    if made.error:
        lines.append(f"  INCOMPLETE: {made.error}")
    for line in made.summary.get("documents", []):
        theirs = line["spectrum"]
        spectrum = "not read" if theirs["count"] is None else f"{theirs['count']} ({theirs['total'] or '-'})"
        lines.append(
            f"  {line['label']:<32} platform {line['ours']['count']} ({line['ours']['total'] or '-'}), "
            f"Spectrum {spectrum}; only platform {line['only_ours']}, only Spectrum {line['only_spectrum']}, "
            f"totals differ {line['mismatched']}{'  ' + line['error'] if line['error'] else ''}"
        )
    for item in made.differences:
        lines.append(
            f"  - {item['kind_label']}: {item['type_label']} {item['number']} "
            f"(platform {item['ours'] or '-'}, Spectrum {item['spectrum'] or '-'}): {item['reason']}"
        )
    for mirrored in made.summary.get("mirror", []):
        if mirrored.get("drift") or mirrored.get("error"):
            lines.append(
                f"  mirror {mirrored['label']}: {mirrored['mirror']} mirrored, {mirrored['spectrum']} in Spectrum"
                f"{'; ' + mirrored['error'] if mirrored.get('error') else ''}"
            )
    counts = made.summary.get("counts", {})
    lines.append(f"  {counts.get('differences', 0)} difference(s), {counts.get('drift', 0)} mirror type(s) drifting.")
    return lines


class Command(BaseCommand):
    help = "Compare a month of the platform's exports (and the mirror) with what Spectrum holds, and print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument("--company", default="", help="One Spectrum company (default: every company).")
        parser.add_argument("--month", default="", help="YYYY-MM (default: the month before this one).")
        parser.add_argument("--email", action="store_true", help="Email each report to the tenant's accountants.")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}.")
        companies = report.companies_of(tenant)
        company = options["company"].strip().upper()
        if company and company not in companies:
            raise CommandError(f"{company} is not one of {tenant.slug}'s companies ({', '.join(companies) or 'none'}).")
        try:
            if options["month"]:
                first, last = parse_month(options["month"])
            else:
                first, last = previous_month(timezone.now().astimezone(ZoneInfo(tenant.timezone or "UTC")).date())
        except BadMonth as exc:
            raise CommandError(str(exc)) from exc
        incomplete = False
        for code in [company] if company else companies:
            made = report.run(tenant, code, first, last)
            self.stdout.write("\n".join(summary_lines(made)))
            incomplete |= bool(made.error)
            if options["email"]:
                sent = mailing.send(made)
                self.stdout.write(f"  emailed to {', '.join(mailing.accountants(tenant))}" if sent else "  not emailed")
        if not companies:
            raise CommandError(f"{tenant.slug} has no Spectrum company to reconcile.")
        if incomplete:
            sys.exit(1)
