"""The export engine's decisions, against in-process fakes of Spectrum and the platform.

Each test reads as what an accountant would see: the record's status, the reason, what Spectrum
received (and how many times), and what the platform was told.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from mappings.models import GLAccountMapping
from spectrum_sync.exports import actions, claims, engine, holds, intake, sweeper
from spectrum_sync.models import MirrorRecord, SpectrumConnection, SyncAttempt, SyncRecord, SyncStatus, Tenant
from tests.exports.fakes import FakeDatabase, Wiring

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(tenant: Tenant) -> Tenant:
    """The conftest tenant with GL mappings and a mirrored customer and job."""
    GLAccountMapping.objects.create(tenant=tenant, line_kind="labor", gl_account="410000")
    GLAccountMapping.objects.create(tenant=tenant, line_kind="material", gl_account="420000")
    for object_type, key in (("customer", "AC1|CUST1"), ("job", "AC1|J100")):
        MirrorRecord.objects.create(tenant=tenant, object_type=object_type, key=key, company_code="AC1", row_hash="x")
    return tenant


def invoice(number: str = "INV1", customer: str = "CUST1", **extra: Any) -> dict[str, Any]:
    return {
        "document_id": f"doc-{number}",
        "version": "1",
        "invoice_number": number,
        "customer_code": customer,
        "invoice_date": timezone.localdate().isoformat(),
        "lines": [{"kind": "labor", "amount": "250.00", "taxable": False}],
        **extra,
    }


def submit(tenant: Tenant, document: dict[str, Any], object_type: str = "ar_invoice") -> SyncRecord:
    record, _ = intake.accept(tenant, object_type, document["document_id"], document["version"], document)
    return record


def run(record: SyncRecord, capture: Any) -> SyncRecord:
    """Process the record like a worker would, firing the after-commit work (platform, notifications)."""
    with capture(execute=True):
        engine.process(record.pk)
    record.refresh_from_db()
    return record


def make_due(record: SyncRecord) -> None:
    SyncRecord.objects.filter(pk=record.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_accepted_invoice_succeeds_and_the_platform_is_told(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    record = run(submit(ready, invoice()), django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.SUCCEEDED
    assert (record.document_number, record.spectrum_key) == ("INV1", "AC1|CUST1|INV1")
    assert wired.spectrum.creates == {"invoice:INV1": 1}
    assert wired.platform.statuses() == ["succeeded"]
    assert wired.platform.deliveries[0][0] == "export-results"
    assert record.platform_notified_at is not None
    attempt = record.attempts.get()
    assert attempt.outcome == SyncAttempt.Outcome.ACCEPTED and "INV1" in attempt.request


def test_running_a_task_twice_sends_once(ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any) -> None:
    record = submit(ready, invoice())
    run(record, django_capture_on_commit_callbacks)
    assert engine.process(record.pk) == "skipped"
    assert wired.spectrum.creates == {"invoice:INV1": 1}


def test_spectrum_rejection_fails_at_once_with_code_message_and_column(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    wired.spectrum.faults = ["reject"]
    record = run(submit(ready, invoice()), django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.FAILED
    assert (record.error_code, record.error_column) == ("I", "GL_Account")
    assert "GL Account does not match GL Mask" in record.error_message
    assert wired.enqueued == []  # no automatic retry
    assert wired.platform.statuses() == ["failed"]


def test_missing_customer_holds_until_the_poll_brings_it(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    record = run(submit(ready, invoice(customer="NEWCUST")), django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.HELD
    assert "NEWCUST" in record.held_reason and record.error_column == "Customer_Code"
    assert wired.spectrum.calls == []
    # Another parent arriving releases nothing.
    assert holds.release_held_for(ready, "customer", ["AC1|OTHER"]) == 0
    MirrorRecord.objects.create(tenant=ready, object_type="customer", key="AC1|NEWCUST", row_hash="y")
    with django_capture_on_commit_callbacks(execute=True):
        assert holds.release_held_for(ready, "customer", ["AC1|NEWCUST"]) == 1
    assert wired.enqueued[-1] == record.pk
    record = run(record, django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.SUCCEEDED
    assert wired.platform.statuses() == ["held", "succeeded"]


def test_transient_fault_retries_with_backoff_then_succeeds(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    wired.spectrum.faults = ["retryable"]
    record = run(submit(ready, invoice()), django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.PENDING
    assert record.next_attempt_at is not None and record.next_attempt_at > timezone.now()
    assert engine.process(record.pk) == "not-due"
    make_due(record)
    record = run(record, django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.SUCCEEDED
    assert list(record.attempts.values_list("outcome", flat=True)) == ["retryable", "accepted"]
    assert wired.platform.statuses() == ["succeeded"]


def test_transient_faults_are_bounded(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(django_settings, "EXPORT_MAX_ATTEMPTS", 3)
    wired.spectrum.faults = ["retryable"] * 5
    record = submit(ready, invoice())
    for _ in range(3):
        record = run(record, django_capture_on_commit_callbacks)
        make_due(record)
    assert record.status == SyncStatus.FAILED
    assert "Gave up after 3 tries" in record.error_message


def test_reply_lost_after_spectrum_accepted_is_found_by_lookup_not_resent(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    wired.database = FakeDatabase(wired.spectrum)
    wired.spectrum.faults = ["lost-after-apply"]
    record = run(submit(ready, invoice()), django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.UNKNOWN
    make_due(record)
    record = run(record, django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.SUCCEEDED
    assert wired.database.lookups == [("ar_invoice", {"customer_code": "CUST1", "invoice_number": "INV1"})]
    assert len([c for c in wired.spectrum.calls if c[0] == "customer/invoice"]) == 1
    assert wired.spectrum.creates == {"invoice:INV1": 1}
    assert list(record.attempts.values_list("outcome", flat=True)) == ["unknown", "found"]


def test_without_a_database_the_duplicate_refusal_proves_the_first_send(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    wired.spectrum.faults = ["lost-after-apply"]
    record = run(submit(ready, invoice()), django_capture_on_commit_callbacks)
    make_due(record)
    record = run(record, django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.SUCCEEDED
    assert wired.spectrum.creates == {"invoice:INV1": 1}


def test_killed_worker_lease_expires_and_the_document_is_checked_before_resending(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    wired.database = FakeDatabase(wired.spectrum)
    record = submit(ready, invoice())
    # A worker claimed it, wrote its attempt, sent it (Spectrum has it) and died before answering.
    token = record.claim(lease_seconds=60)
    assert token
    SyncAttempt.objects.create(record=record, number=1, outcome="unknown", service="customer/invoice", request="x")
    wired.spectrum.invoices["INV1"] = {}
    SyncRecord.objects.filter(pk=record.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    counts = sweeper.sweep()
    assert counts["expired"] == 1 and record.pk in wired.enqueued
    record.refresh_from_db()
    assert record.status == SyncStatus.UNKNOWN
    # The dead worker's attempt text differs (mappings may have changed): the lookup still decides.
    record = run(record, django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.SUCCEEDED
    assert wired.spectrum.calls == []  # never resent


def test_authorization_abort_holds_the_tenants_exports_until_released(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    wired.spectrum.faults = ["auth"]
    first = run(submit(ready, invoice("INV1")), django_capture_on_commit_callbacks)
    assert first.status == SyncStatus.HELD and first.error_code == "A"
    connection = SpectrumConnection.objects.get(tenant=ready)
    assert "not authorized" in connection.exports_held_reason
    second = run(submit(ready, invoice("INV2")), django_capture_on_commit_callbacks)
    assert second.status == SyncStatus.HELD
    assert len(wired.spectrum.calls) == 0  # no retry storm
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.release_connection_hold(ready) == 2
    for record in (first, second):
        assert run(record, django_capture_on_commit_callbacks).status == SyncStatus.SUCCEEDED
    assert set(wired.spectrum.invoices) == {"INV1", "INV2"}


def test_job_is_created_then_updated_and_releases_invoices_waiting_for_it(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    waiting = run(submit(ready, invoice(job_number="J200")), django_capture_on_commit_callbacks)
    assert waiting.status == SyncStatus.HELD
    job = {"document_id": "job-200", "version": "1", "job_number": "J200", "customer_code": "CUST1"}
    job["phases"] = [{"phase_code": "0100", "cost_type": "L", "description": "Labor"}]
    created = run(submit(ready, job, "job"), django_capture_on_commit_callbacks)
    assert created.status == SyncStatus.SUCCEEDED and created.spectrum_key == "AC1|J200"
    assert [c[0] for c in wired.spectrum.calls] == ["AddJob", "AddPhase"]
    waiting.refresh_from_db()
    assert waiting.status == SyncStatus.PENDING
    updated = run(
        submit(ready, {**job, "version": "2", "description": "Renamed"}, "job"), django_capture_on_commit_callbacks
    )
    assert updated.status == SyncStatus.SUCCEEDED
    assert [c[0] for c in wired.spectrum.calls][2:] == ["UpdateJob", "AddPhase"]
    assert wired.spectrum.creates == {"job:J200": 1}


def test_po_receipt_without_job_is_refused_before_sending(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    doc = {
        "document_id": "rcpt-1",
        "version": "1",
        "po_number": "PO77",
        "receipt_number": "PL1",
        "receipt_sequence": 2,
        "receipt_date": timezone.localdate().isoformat(),
        "lines": [{"item_code": "!pipe", "quantity_received": "4", "phase_code": "0100", "cost_type": "M"}],
    }
    record = run(submit(ready, doc, "po_receipt"), django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.FAILED
    assert "not linked to a JC job" in record.error_message and record.error_column == "Job_Number"
    assert wired.spectrum.calls == []


def test_incomplete_mappings_hold_naming_every_row_and_go_on_once_complete(
    tenant: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    MirrorRecord.objects.create(tenant=tenant, object_type="customer", key="AC1|CUST1", row_hash="x")
    GLAccountMapping.objects.create(tenant=tenant, line_kind="", department="OPS", gl_account="400000")
    lines = [{"kind": "labor", "amount": "250.00"}, {"kind": "material", "amount": "40.00"}]
    record = run(submit(tenant, invoice(department="SVC", lines=lines)), django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.HELD and record.error_code == "CFG"
    # Both rows the invoice needs, in the first explanation: one round of fixing.
    assert "labor lines of department SVC in company AC1" in record.held_reason
    assert "material lines of department SVC in company AC1" in record.held_reason
    assert wired.spectrum.calls == []
    GLAccountMapping.objects.create(tenant=tenant, department="SVC", line_kind="labor", gl_account="410000")
    assert actions.release_mapping_holds(tenant) == 0  # material is still missing
    GLAccountMapping.objects.create(tenant=tenant, department="SVC", line_kind="material", gl_account="420000")
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.release_mapping_holds(tenant) == 1
    record = run(record, django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    assert wired.spectrum.creates == {"invoice:INV1": 1}


def test_accountant_retries_a_fixed_record_and_bypasses_another(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any, django_user_model: Any
) -> None:
    user = django_user_model.objects.create_user("ann", password="x")
    wired.spectrum.faults = ["reject", "reject"]
    one = run(submit(ready, invoice("INV1")), django_capture_on_commit_callbacks)
    two = run(submit(ready, invoice("INV2")), django_capture_on_commit_callbacks)
    assert one.status == two.status == SyncStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.retry([one.pk], user, note="GL mask fixed") == 1
        assert actions.bypass(two, user, "Entered by hand as 5521")
    one = run(one, django_capture_on_commit_callbacks)
    two.refresh_from_db()
    assert one.status == SyncStatus.SUCCEEDED and "GL mask fixed" in one.resolution_note
    assert two.status == SyncStatus.BYPASSED and two.resolved_by == user and "5521" in two.resolution_note
    assert "bypassed" in wired.platform.statuses()
    assert actions.retry([one.pk], user) == 0  # final records stay final


def test_sweeper_reenqueues_lost_messages_and_retells_the_platform(
    ready: Tenant, wired: Wiring, monkeypatch: pytest.MonkeyPatch
) -> None:
    told: list[int] = []
    monkeypatch.setattr(sweeper, "enqueue_result", told.append)
    lost = submit(ready, invoice("INV1"))
    done = submit(ready, invoice("INV2"))
    old = timezone.now() - timedelta(minutes=5)
    SyncRecord.objects.filter(pk=lost.pk).update(updated_at=old)
    SyncRecord.objects.filter(pk=done.pk).update(status=SyncStatus.SUCCEEDED, updated_at=old)
    wired.enqueued.clear()
    counts = sweeper.sweep()
    assert wired.enqueued == [lost.pk] and told == [done.pk]
    assert counts == {"expired": 0, "released": 0, "enqueued": 1, "results": 1}


def test_versions_of_one_document_go_in_order(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    job = {"document_id": "job-300", "version": "1", "job_number": "J300", "customer_code": "CUST1"}
    first = submit(ready, job, "job")
    second = submit(ready, {**job, "version": "2", "description": "Renamed"}, "job")
    assert engine.process(second.pk) == "waiting-for-older-version"
    assert run(first, django_capture_on_commit_callbacks).status == SyncStatus.SUCCEEDED
    make_due(second)
    assert run(second, django_capture_on_commit_callbacks).status == SyncStatus.SUCCEEDED
    assert [c[0] for c in wired.spectrum.calls] == ["AddJob", "UpdateJob"]


def test_sweeper_releases_a_hold_whose_parent_arrived_without_a_release_call(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    record = run(submit(ready, invoice(customer="LATE1")), django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.HELD
    assert sweeper.sweep()["released"] == 0
    MirrorRecord.objects.create(tenant=ready, object_type="customer", key="AC1|LATE1", row_hash="z")
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeper.sweep()["released"] == 1
    assert run(record, django_capture_on_commit_callbacks).status == SyncStatus.SUCCEEDED


def _die_holding_the_lease(record: SyncRecord) -> None:
    """A worker claims the record and dies: its lease runs out and the sweeper finds it."""
    assert record.claim(lease_seconds=60)
    SyncRecord.objects.filter(pk=record.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    sweeper.sweep()
    record.refresh_from_db()


def test_a_document_its_workers_keep_dying_on_is_set_aside_and_the_platform_told(
    ready: Tenant, wired: Wiring, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(django_settings, "EXPORT_WORKER_LOSS_LIMIT", 3)
    record = submit(ready, invoice())
    with django_capture_on_commit_callbacks(execute=True):
        _die_holding_the_lease(record)
        assert (record.status, record.lost_claims) == (SyncStatus.UNKNOWN, 1)
        _die_holding_the_lease(record)
        assert (record.status, record.lost_claims) == (SyncStatus.UNKNOWN, 2)
        _die_holding_the_lease(record)
    assert record.status == SyncStatus.FAILED
    assert record.error_code == engine.WORKER_LOST and "stopped 3 times in a row" in record.error_message
    assert wired.platform.statuses() == ["failed"]
    assert sweeper.sweep()["enqueued"] == 0  # not fed to another worker
    # The accountant retries once the cause is fixed: a fresh budget, and Spectrum gets it once.
    assert actions.retry([record], None) == 1
    record = run(record, django_capture_on_commit_callbacks)
    assert (record.status, record.lost_claims) == (SyncStatus.SUCCEEDED, 0)
    assert wired.spectrum.creates == {"invoice:INV1": 1}


def test_one_lost_worker_is_forgiven_once_the_record_finishes(
    ready: Tenant, wired: Wiring, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(django_settings, "EXPORT_WORKER_LOSS_LIMIT", 2)
    wired.spectrum.faults = ["retryable"]
    record = submit(ready, invoice())
    _die_holding_the_lease(record)
    record = run(record, django_capture_on_commit_callbacks)  # ends its claim normally: retry later
    assert (record.status, record.lost_claims) == (SyncStatus.PENDING, 0)
    _die_holding_the_lease(record)  # one more death is again only the first in a row
    assert (record.status, record.lost_claims) == (SyncStatus.UNKNOWN, 1)


def test_each_call_to_spectrum_renews_the_lease_and_a_lost_lease_stops_the_worker(
    ready: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(django_settings, "EXPORT_LEASE_SECONDS", 120)
    record = submit(ready, invoice())
    token = record.claim(lease_seconds=5)
    assert token
    claims.check_lease(record, token)
    record.refresh_from_db()
    assert record.lease_expires_at is not None
    assert record.lease_expires_at > timezone.now() + timedelta(seconds=100)
    with pytest.raises(claims.LostLease):
        claims.check_lease(record, "not-the-token")
