"""What the report gives people: the CSV, the command's summary, the monthly email (once) and its task."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command

from spectrum_sync.adminsite.roles import sync_roles
from spectrum_sync.models import ReconciliationReport, Tenant
from spectrum_sync.reconciliation import export, mailing
from spectrum_sync.reconciliation import report as recon
from spectrum_sync.reconciliation.period import parse_month
from spectrum_sync.reconciliation.tasks import notify_reconciliation
from tests.admin.world import ACCOUNTANT, MANAGER, make_user
from tests.fixtures_spectrum_db import SpectrumDB
from tests.reconciliation.conftest import COMPANY
from tests.reconciliation.test_report import MARCH, seed_march

pytestmark = pytest.mark.django_db


def csv_rows(made: ReconciliationReport) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(export.csv_text(made)))))


def test_csv_has_the_totals_and_both_differences(wired: Tenant, spectrum_db: SpectrumDB) -> None:
    seed_march(wired, spectrum_db)
    rows = csv_rows(recon.run(wired, COMPANY, *MARCH))
    totals = {r["document_type"]: r for r in rows if r["row"] == "total"}
    assert (totals["AR invoice"]["platform_count"], totals["AR invoice"]["spectrum_total"]) == ("2", "1893.56")
    differences = [r for r in rows if r["row"] == "difference"]
    assert sorted((r["difference"], r["document"]) for r in differences) == [
        ("Only in Spectrum", "S2001"),
        ("Totals differ", "S2002"),
    ]
    mismatch = next(r for r in differences if r["document"] == "S2002")
    # An amount stays a number a spreadsheet can add (no quote before the minus sign).
    assert (mismatch["platform_total"], mismatch["spectrum_total"], mismatch["spectrum_minus_platform"]) == (
        "596.50",
        "594.56",
        "-1.94",
    )


def test_csv_neutralises_a_formula_in_a_document_number(wired: Tenant, spectrum_db: SpectrumDB) -> None:
    """Negative control for the CSV writer: text from outside that starts like a formula is quoted."""
    from tests.reconciliation.conftest import spectrum_invoice

    spectrum_invoice(spectrum_db, "=1+2", dt.date(2026, 3, 3), "10.00", "0")
    rows = csv_rows(recon.run(wired, COMPANY, *MARCH))
    assert [r["document"] for r in rows if r["row"] == "difference"] == ["'=1+2"]


def test_command_prints_the_summary(wired: Tenant, spectrum_db: SpectrumDB) -> None:
    seed_march(wired, spectrum_db)
    out = io.StringIO()
    call_command("reconcile", "--tenant", wired.slug, "--month", "2026-03", stdout=out)
    text = out.getvalue()
    assert "Reconciliation of acme DC1, March 2026:" in text
    assert "Only in Spectrum: AR invoice S2001" in text and "Totals differ: AR invoice S2002" in text
    assert "2 difference(s)" in text
    assert ReconciliationReport.objects.filter(tenant=wired, period_start=MARCH[0]).count() == 1


def test_command_refuses_a_bad_month_and_an_unknown_company(wired: Tenant) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("reconcile", "--tenant", wired.slug, "--month", "March")
    with pytest.raises(CommandError, match="not one of"):
        call_command("reconcile", "--tenant", wired.slug, "--company", "ZZ9")


def test_command_exits_1_without_database_access(tenant: Tenant) -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("reconcile", "--tenant", tenant.slug, "--month", "2026-03", stdout=out)
    assert exited.value.code == 1
    assert "INCOMPLETE" in out.getvalue() and "no Info-Link database access" in out.getvalue()


def accountant_and_manager(tenant: Tenant) -> None:
    sync_roles()
    make_user("alice", ACCOUNTANT, (tenant,))
    make_user("max", MANAGER, (tenant,))  # a manager is not an accountant: not emailed


def test_email_goes_to_the_accountants_once_with_the_csv(wired: Tenant, spectrum_db: SpectrumDB) -> None:
    accountant_and_manager(wired)
    seed_march(wired, spectrum_db)
    out = io.StringIO()
    call_command("reconcile", "--tenant", wired.slug, "--month", "2026-03", "--email", stdout=out)
    assert "emailed to alice@example.test" in out.getvalue()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.test"]
    assert "reconciliation of March 2026, company DC1: 2 difference(s)" in message.subject
    assert "Only in Spectrum: AR invoice S2001" in message.body and "Totals differ: AR invoice S2002" in message.body
    assert message.attachments[0][0] == "reconciliation-acme-DC1-2026-03.csv"
    made = ReconciliationReport.objects.get(tenant=wired)
    assert made.emailed_at is not None
    assert mailing.send(made) is False  # the same report again: no second email
    assert len(mail.outbox) == 1


def test_monthly_task_reports_the_previous_month_once(wired: Tenant, spectrum_db: SpectrumDB, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    accountant_and_manager(wired)
    seed_march(wired, spectrum_db)
    real = mailing.monthly
    monkeypatch.setattr(mailing, "monthly", lambda tenant: real(tenant, today=dt.date(2026, 4, 1)))
    assert notify_reconciliation.apply(args=[wired.pk]).get() == 1
    assert notify_reconciliation.apply(args=[wired.pk]).get() == 0  # run twice: one email
    assert len(mail.outbox) == 1 and "March 2026" in mail.outbox[0].subject
    made = ReconciliationReport.objects.get(tenant=wired)
    assert (made.period_start, made.period_end, made.created_by) == (*parse_month("2026-03"), None)


def test_beat_runs_it_on_the_first_of_the_month() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["notify-reconciliations"]
    assert entry["task"] == "spectrum_sync.tasks.notify_reconciliations"
    schedule = entry["schedule"]
    assert schedule.day_of_month == {1} and schedule.hour == {12} and schedule.minute == {0}
    assert "spectrum_sync.reconciliation.tasks" in settings.CELERY_IMPORTS
