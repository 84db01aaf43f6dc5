"""One Spectrum fault per test, against a real worker process; the four invariants after each.

Covered elsewhere and not repeated here: a dropped reply after accept, one 503, one SOAP fault and a
validation error (tests/exports/test_flow.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from spectrum_sync.models import SyncAttempt, SyncRecord, SyncStatus
from tests.exports.test_flow import Exports, wait_for
from tests.faults.conftest import fast_worker
from tests.faults.invariants import assert_all
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]


def succeeded(record_id: int, timeout: float = 60) -> SyncRecord:
    def done() -> SyncRecord | None:
        record = SyncRecord.objects.get(pk=record_id)
        return record if record.status == SyncStatus.SUCCEEDED else None

    record = wait_for(done, timeout, f"record {record_id} never succeeded")
    assert record is not None
    return record


@pytest.mark.parametrize(
    ("number", "faults"),
    [
        # Spectrum applied the Put, but its reply comes after our read timeout.
        ("FT001", {"queue": ["timeout"], "timeout_seconds": 4.0}),
        ("FT002", {"queue": ["http500", "http500", "http500"]}),
        ("FT003", {"queue": ["http503", "http503", "http503"]}),
        ("FT004", {"queue": ["truncate_mid"]}),
        ("FT005", {"queue": ["garbage"]}),
        ("FT006", {"queue": ["reset_mid"]}),
        ("FT007", {"queue": ["truncate"]}),
        ("FT008", {"queue": ["hostile_xxe"]}),
        ("FT009", {"queue": ["hostile_bomb"]}),
    ],
    ids=[
        "timeout-after-accept",
        "500-repeated",
        "503-repeated",
        "truncated",
        "html",
        "reset-mid-body",
        "truncated-closing-tags",
        "xxe",
        "entity-bomb",
    ],
)
def test_invoice_survives_spectrum_fault(
    exports: Exports, worker: WorkerProcess, number: str, faults: dict[str, Any]
) -> None:
    exports.spectrum.set_faults(services=["customer/invoice"], **faults)
    record_id = exports.post("ar-invoices", exports.invoice(number))
    record = succeeded(record_id)
    assert exports.spectrum.accepted("customer/invoice") == {f"DC1|{number}": 1}
    assert record.attempts.exists()
    assert_all([record_id], exports.spectrum, exports.db.store, exports.tenant)


def test_dripping_reply_is_cut_at_the_deadline_and_the_invoice_reconciled_not_resent(exports: Exports) -> None:
    # Spectrum applies the invoice, then sends its reply 4 bytes a second: ~2 minutes to the end,
    # and never 2 s without a byte, so the worker's read timeout (HTTP_READ_TIMEOUT=2) never fires.
    deadline = 3
    worker = fast_worker(SPECTRUM_REPLY_DEADLINE=str(deadline))
    worker.start()
    try:
        exports.spectrum.set_faults(services=["customer/invoice"], queue=["drip"], drip_bytes=4, drip_seconds=1.0)
        record_id = exports.post("ar-invoices", exports.invoice("FT010"))
        record = succeeded(record_id)
    finally:
        worker.stop()
    counters = exports.spectrum.counters()
    assert counters["accepted"]["customer/invoice"] == {"DC1|FT010": 1}
    assert counters["requests"]["customer/invoice"] == 1  # looked up, never sent again
    [drip] = counters["drips"]
    assert drip["completed"] is False  # the worker hung up...
    assert drip["seconds"] < deadline + 1.5  # ...at its deadline, not when the drip ended
    attempts = list(record.attempts.order_by("number").values_list("outcome", "duration_ms", "error_message"))
    assert [outcome for outcome, _, _ in attempts] == [SyncAttempt.Outcome.UNKNOWN, SyncAttempt.Outcome.FOUND]
    _, held_ms, message = attempts[0]
    assert held_ms < (deadline + 1.5) * 1000
    assert f"Spectrum's reply was still arriving after {deadline} s" in message
    assert_all([record_id], exports.spectrum, exports.db.store, exports.tenant)
