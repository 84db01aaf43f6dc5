"""A poll that brings in a master record an export was held for hands the release to the exports
queue once its chunk commits; the poll itself runs no export mapper."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from connectors.spectrum.records import Customer
from spectrum_sync import enqueue, tasks
from spectrum_sync.celery import app
from spectrum_sync.exports import holds, intake
from spectrum_sync.exports import queueing as exports
from spectrum_sync.imports import engine, leases
from spectrum_sync.models import PollSchedule, SyncRecord, SyncRun, SyncStatus, Tenant
from tests.imports.fakes import FakePlatform, FakeReader

pytestmark = pytest.mark.django_db


def held_invoice(tenant: Tenant, customer: str) -> SyncRecord:
    document = {
        "document_id": "doc-INV9",
        "version": "1",
        "invoice_number": "INV9",
        "customer_code": customer,
        "invoice_date": timezone.localdate().isoformat(),
        "lines": [{"kind": "labor", "amount": "250.00", "taxable": False}],
    }
    record, _ = intake.accept(tenant, "ar_invoice", document["document_id"], document["version"], document)
    SyncRecord.objects.filter(pk=record.pk).update(status=SyncStatus.HELD, error_code=holds.HOLD_PARENT)
    return record


def poll_customers(tenant: Tenant, *codes: str) -> SyncRun:
    schedule, _ = PollSchedule.objects.get_or_create(tenant=tenant, object_type="customer")
    token = leases.start(schedule.pk, leases.take(schedule.pk, "test") or 0, "test")
    assert token is not None
    schedule.refresh_from_db()
    customers = [Customer(company_code="AC1", customer_code=c, name=c, status="Active") for c in codes]
    reader = FakeReader({"AC1": customers})
    return engine.run_poll(schedule, token, "schedule", platform=FakePlatform(), reader_factory=reader.factory())


def test_a_poll_enqueues_the_release_of_exports_held_for_what_it_brought(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    sent: list[tuple[str, tuple[Any, ...]]] = []
    released: list[int] = []
    monkeypatch.setattr(exports, "enqueue", lambda record_id, countdown=None: released.append(record_id))
    monkeypatch.setattr(enqueue, "send", lambda name, *args, **options: sent.append((name, args)))
    record = held_invoice(tenant, "NEWCUST")

    with django_capture_on_commit_callbacks(execute=True):
        run = poll_customers(tenant, "NEWCUST")

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert sent == [(enqueue.EXPORT_RELEASE_HELD, (tenant.pk, "customer", ["AC1|NEWCUST"]))]
    assert app.amqp.router.route({}, enqueue.EXPORT_RELEASE_HELD)["queue"].name == "exports"
    record.refresh_from_db()
    assert record.status == SyncStatus.HELD  # not released inside the poll

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.export_release_held(*sent[0][1]) == 1
    record.refresh_from_db()
    assert record.status == SyncStatus.PENDING and released == [record.pk]


def test_the_release_task_of_a_deleted_tenant_does_nothing() -> None:
    assert tasks.export_release_held(10**9, "customer", ["AC1|NEWCUST"]) == 0
