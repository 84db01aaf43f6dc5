"""The four invariants every fault test (and the seeded randomised run) asserts after its fault.

Asserted from the database and the Spectrum simulator's counters and store, never from logs:

1. no lost work — every export record reached a final state, or waits visibly (pending/unknown
   with a next attempt time);
2. no duplicate create — the simulator accepted each natural key at most once, on every service;
3. at most one poll at a time per (tenant, object type) — no two ``SyncRun`` intervals overlap;
4. convergence — what we recorded as sent is in Spectrum's tables exactly once, what failed is not.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from spectrum_sync.models import SyncRecord, SyncRun, SyncStatus

FINAL = (SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.HELD, SyncStatus.BYPASSED)
WAITING = (SyncStatus.PENDING, SyncStatus.UNKNOWN)


def assert_no_lost_work(record_ids: Iterable[int]) -> None:
    ids = list(record_ids)
    records = list(SyncRecord.objects.filter(pk__in=ids))
    assert len(records) == len(ids), "a record vanished from the database"
    lost = [
        (r.pk, r.status)
        for r in records
        if r.status not in FINAL and not (r.status in WAITING and r.next_attempt_at is not None)
    ]
    assert not lost, f"records neither final nor visibly waiting: {lost}"


def assert_no_duplicate_create(spectrum: Any) -> None:
    accepted: dict[str, dict[str, int]] = spectrum.counters()["accepted"]
    doubled = {svc: {k: n for k, n in keys.items() if n > 1} for svc, keys in accepted.items()}
    doubled = {svc: keys for svc, keys in doubled.items() if keys}
    assert not doubled, f"Spectrum accepted a natural key more than once: {doubled}"


def assert_one_poll_at_a_time(tenant: Any = None) -> None:
    runs = SyncRun.objects.all() if tenant is None else SyncRun.objects.filter(tenant=tenant)
    now = timezone.now()
    by_key: dict[tuple[int, str], list[tuple[Any, Any, int]]] = {}
    for run in runs.order_by("started_at"):
        by_key.setdefault((run.tenant_id, run.object_type), []).append((run.started_at, run.finished_at or now, run.pk))
    for key, spans in by_key.items():
        for (_, end, first), (start, _, second) in itertools.pairwise(spans):
            assert start >= end, f"polls {first} and {second} of {key} overlapped"


def invoice_rows(store: Any, company: str, number: str) -> int:
    return len(
        store.query(
            "SELECT Invoice_Or_Transaction FROM CR_INVOICE_HEADER_MC WHERE Company_Code = ? AND "
            "TRIM(Invoice_Or_Transaction) = ?",
            [company, number],
        )
    )


def assert_converged(record_ids: Iterable[int], store: Any) -> None:
    """Once faults stop: every invoice we call sent is in Spectrum once; every failed one is absent."""
    for record in SyncRecord.objects.filter(pk__in=list(record_ids), object_type="ar_invoice"):
        rows = invoice_rows(store, record.company_code or "DC1", record.document_number)
        if record.status == SyncStatus.SUCCEEDED:
            assert rows == 1, f"{record} succeeded but Spectrum holds {rows} copies"
        elif record.status in (SyncStatus.FAILED, SyncStatus.HELD):
            assert rows == 0, f"{record} is {record.status} but Spectrum holds it"
        else:
            raise AssertionError(f"{record} has not converged: {record.status}")


def assert_all(record_ids: Iterable[int], spectrum: Any, store: Any, tenant: Any = None) -> None:
    ids = list(record_ids)
    assert_no_lost_work(ids)
    assert_no_duplicate_create(spectrum)
    assert_one_poll_at_a_time(tenant)
    assert_converged(ids, store)
