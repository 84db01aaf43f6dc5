# ruff: noqa: F811  (the fixtures of test_flow are imported by name, as pytest needs them here)
"""Closed accounting periods (docs/spectrum.md#closed-periods): a document dated outside Spectrum's open
AR processing window waits as "period closed", is sent once the window opens or once an accountant
moves its GL date, and a genuine refusal still fails.

Against the Spectrum simulator (a process, which enforces the AR window: ``ar_window_days_back`` /
``ahead``), its PostgreSQL store read through Info-Link, and the platform simulator; the engine runs
in the test's process, as in test_readback.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from connectors.spectrum.errors import SpectrumMessage
from mappings.models import GLAccountMapping, ProcessingDateRange
from mappings.signals import rules_changed
from spectrum_sync import enqueue, tasks
from spectrum_sync.exports import engine, holds, periods
from spectrum_sync.imports import engine as imports_engine
from spectrum_sync.models import SyncRecord, SyncStatus, Tenant, Verification
from tests.exports.test_flow import Exports, exports  # noqa: F401
from tests.fixtures_platform import platform_simulator_process  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_process  # noqa: F401
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]


def closed_today(exports: Exports) -> None:
    """Spectrum's AR window starts tomorrow: today's dates are in a period not open yet."""
    exports.spectrum.configure(ar_window_days_back=-1, ar_window_days_ahead=60)


def spectrum_row(exports: Exports, number: str) -> dict[str, Any]:
    rows = exports.db.store.query(
        "SELECT GL_Date, Batch_Code, Posted_Flag FROM CR_INVOICE_HEADER_MC WHERE Company_Code = ? AND "
        "TRIM(Invoice_Or_Transaction) = ?",
        ["DC1", number],
    )
    assert len(rows) == 1, rows
    return dict(rows[0])


def as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


def export(exports: Exports, document: dict[str, Any]) -> SyncRecord:
    record_id = exports.post("ar-invoices", document)
    engine.process(record_id)
    return SyncRecord.objects.get(pk=record_id)


def test_spectrum_refusing_a_closed_period_holds_then_sends_once_the_window_opens(exports: Exports) -> None:
    closed_today(exports)
    record = export(exports, exports.invoice("PD1001"))
    assert (record.status, record.error_code, record.error_column) == ("held", holds.HOLD_PERIOD, "GL_Date")
    assert record.held_reason.startswith("Period closed in Spectrum")
    assert "outside the AR processing date range" in record.held_reason
    assert "did not say which dates are open" in record.held_reason  # the simulator names no window
    assert record.readback["period"]["source"] == periods.SOURCE_SPECTRUM
    assert exports.spectrum_has_invoice("PD1001") == 0
    told = exports.told(record.pk, "held")
    assert told["error_code"] == "PERIOD" and "Period closed" in told["held_reason"]

    # Nothing says when Spectrum opens it: not tried again within the day, even once it is open.
    assert periods.release_due(exports.tenant) == 0
    exports.spectrum.configure(ar_window_days_back=365)
    assert periods.release_due(exports.tenant) == 0
    # The daily look, a day later: released, sent, read back.
    assert periods.release_due(exports.tenant, now=timezone.now() + timedelta(days=1)) == 1
    record.refresh_from_db()
    assert record.status == SyncStatus.PENDING and "period" not in record.readback
    assert engine.process(record.pk) == "succeeded"
    record.refresh_from_db()
    assert record.status == SyncStatus.SUCCEEDED and record.verification == Verification.CONFIRMED
    row = spectrum_row(exports, "PD1001")
    assert as_date(row["GL_Date"]) == timezone.localdate()
    assert row["Batch_Code"].strip() == timezone.localdate().strftime("%Y%m%d")  # the tenant's rule: day
    assert row["Posted_Flag"].strip() == "N"  # lands unposted (docs/spectrum.md#batch-codes)
    assert exports.told(record.pk, "succeeded")["document_number"] == "PD1001"


def test_a_recorded_range_holds_before_sending_and_the_next_poll_releases_it(
    exports: Exports, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = timezone.localdate()
    window = ProcessingDateRange.objects.create(
        tenant=exports.tenant, module="AR", minimum_date=today - timedelta(days=60), maximum_date=today - timedelta(1)
    )
    record = export(exports, exports.invoice("PD1002"))
    assert (record.status, record.error_code) == ("held", holds.HOLD_PERIOD)
    assert record.held_reason.startswith("Period closed: Invoice_Date")
    assert f"{(today - timedelta(days=60)):%m/%d/%Y}–{(today - timedelta(days=1)):%m/%d/%Y}" in record.held_reason
    assert not record.attempts.exists()  # pre-flight held it: nothing reached Spectrum
    assert periods.release_due(exports.tenant) == 0  # still closed

    sent: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(enqueue, "send", lambda name, *args, **options: sent.append((name, args)))
    window.maximum_date = today + timedelta(days=30)  # accounting opened the period and copied the range
    window.save()
    imports_engine.release_period_holds(exports.tenant)  # what each poll does after it finishes
    assert sent == [(enqueue.EXPORT_RELEASE_PERIODS, (exports.tenant.pk,))]
    assert tasks.export_release_periods(*sent[0][1]) == 1
    assert SyncRecord.objects.get(pk=record.pk).status == SyncStatus.PENDING
    assert engine.process(record.pk) == "succeeded"
    record.refresh_from_db()
    assert record.status == SyncStatus.SUCCEEDED
    assert exports.spectrum_has_invoice("PD1002") == 1


def test_moving_the_gl_date_sends_it_with_the_new_date(exports: Exports) -> None:
    today = timezone.localdate()
    exports.spectrum.configure(ar_window_days_back=30)
    record = export(exports, exports.invoice("PD1003", gl_date=(today - timedelta(days=90)).isoformat()))
    assert (record.status, record.error_code, record.error_column) == ("held", holds.HOLD_PERIOD, "GL_Date")

    accountant = get_user_model().objects.create_superuser("carla", "carla@acme.test", "pw-carla-1234")
    client = Client()
    client.force_login(accountant)
    page = client.get(f"/admin/spectrum_sync/syncrecord/{record.pk}/change/").content.decode()
    assert "gl-date-form" in page and f"/admin/spectrum_sync/syncrecord/{record.pk}/gl-date/" in page
    url = f"/admin/spectrum_sync/syncrecord/{record.pk}/gl-date/"
    # Negative control: no date, no change.
    assert client.post(url, {"gl_date": ""}).status_code == 302
    assert SyncRecord.objects.get(pk=record.pk).status == SyncStatus.HELD
    response = client.post(url, {"gl_date": today.isoformat(), "note": "November is closed"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == SyncStatus.PENDING and record.gl_date_override == today
    assert record.resolved_by == accountant and record.resolved_at is not None
    assert record.resolution_note.startswith(f"GL date moved to {today:%m/%d/%Y} by carla at ")
    assert record.resolution_note.endswith(": November is closed")

    assert engine.process(record.pk) == "succeeded"
    record.refresh_from_db()
    assert record.status == SyncStatus.SUCCEEDED and record.verification == Verification.CONFIRMED
    assert as_date(spectrum_row(exports, "PD1003")["GL_Date"]) == today  # Spectrum holds the moved date
    assert record.payload["gl_date"] == (today - timedelta(days=90)).isoformat()  # the document is unchanged


def test_a_genuine_refusal_in_a_closed_period_still_fails(exports: Exports) -> None:
    # Negative control: Spectrum refuses the GL account as well as the dates: not a period to wait for.
    closed_today(exports)
    GLAccountMapping.objects.filter(tenant=exports.tenant).update(gl_account="999999")
    rules_changed(exports.tenant.pk)  # update() sends no signal: the workers' copies are stale
    record = export(exports, exports.invoice("PD1004"))
    assert record.status == SyncStatus.FAILED and record.error_code == "I"
    assert "999999" in record.error_message and "processing date range" in record.error_message
    assert "period" not in record.readback
    assert periods.release_due(exports.tenant, now=timezone.now() + timedelta(days=2)) == 0
    assert exports.spectrum_has_invoice("PD1004") == 0


@pytest.mark.django_db
def test_the_window_spectrum_names_is_kept_and_other_refusals_are_not_periods(tenant: Tenant) -> None:
    record = SyncRecord(tenant=tenant, object_type="ar_invoice", payload={})
    named = [SpectrumMessage("I", "GL_Date is outside the open processing window 11/01/2026 - 11/30/2026", "GL_Date")]
    hold = periods.from_rejection(record, named)
    assert hold is not None and hold.note["window"] == "11/01/2026–11/30/2026"
    assert "Spectrum's open window is 11/01/2026–11/30/2026." in hold.reason
    mixed = [*named, SpectrumMessage("I", "GL_Account is invalid, GL account 999999 does not exist", "GL_Account")]
    assert periods.from_rejection(record, mixed) is None
    assert periods.from_rejection(record, []) is None
    assert periods.window_named(["no dates here"]) == ""


def test_the_poll_hook_names_the_exports_hold_code_and_stays_quiet_without_holds(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert imports_engine.PERIOD_HOLD == holds.HOLD_PERIOD
    sent: list[Any] = []
    monkeypatch.setattr(enqueue, "send", lambda name, *args, **options: sent.append(name))
    imports_engine.release_period_holds(tenant)
    assert sent == []  # nothing held for a period: no message
    assert tasks.export_release_periods(tenant.pk + 1000) == 0  # a tenant gone meanwhile
    assert tasks.export_release_periods() == 0  # the daily run, every tenant
    daily = django_settings.CELERY_BEAT_SCHEDULE["export-release-periods"]
    assert daily["task"] == enqueue.EXPORT_RELEASE_PERIODS and isinstance(daily["schedule"], crontab)
