# ruff: noqa: F811  (the fixtures of test_flow are imported by name, as pytest needs them here)
"""The ledger queries one export makes, counted with the real simulators (the target is 8 per record,
read-back on its own). ``bench/export_throughput.py`` prints the same count for its run."""

from __future__ import annotations

from typing import Any

import pytest

from spectrum_sync.exports import engine
from spectrum_sync.models import SyncRecord, SyncStatus, Verification
from tests.exports.querycount import export_queries
from tests.exports.test_flow import Exports, exports  # noqa: F401
from tests.fixtures_platform import platform_simulator_process  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_process  # noqa: F401
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]

# Ledger queries of one AR invoice, as measured (the target is 8 for export and outcome together;
# bench/export_throughput.py prints the figures and docs/architecture.md#export-flow-platform--spectrum
# what the rest are). A new query in the run fails this.
EXPORT = 6  # the record (with its versions, listeners and rules stamp), claim, mirror, lease and attempt,
# the answer, the move with its read-back verdict (the mapping rows and date windows are the worker's
# copy while the tenant's rules_stamp stands: mappings.rules.rules_for)
OUTCOME = 2  # the notification event (1) and marking the platform told (1; its connection came with the record)
READBACK = 0  # read before the move, its verdict written with it: Info-Link statements only


def test_an_invoice_export_stays_within_its_query_budget(exports: Exports) -> None:
    engine.process(exports.post("ar-invoices", exports.invoice("QB1000")))  # a worker's steady state
    record_id = exports.post("ar-invoices", exports.invoice("QB1001"))
    counts, sql = export_queries(record_id)
    record = SyncRecord.objects.get(pk=record_id)
    assert record.status == SyncStatus.SUCCEEDED and record.verification == Verification.CONFIRMED
    assert record.platform_notified_at is not None  # telling the platform is counted too
    assert counts["export"] <= EXPORT and counts["outcome"] <= OUTCOME, "\n".join(sql)
    assert counts.get("readback", 0) <= READBACK, "\n".join(sql)
    assert record.readback["source"] == "Info-Link" and record.readback["held"]["invoice_or_transaction"] == "QB1001"


def test_the_count_sees_a_wasted_query(exports: Exports, monkeypatch: pytest.MonkeyPatch) -> None:
    # Negative control: one more query in the run is one more in the count.
    engine.process(exports.post("ar-invoices", exports.invoice("QB2000")))
    first = exports.post("ar-invoices", exports.invoice("QB2001"))
    plain, _ = export_queries(first)
    run = engine.preflight.run

    def wasteful(*args: Any) -> Any:
        SyncRecord.objects.filter(pk=first).exists()
        return run(*args)

    monkeypatch.setattr(engine.preflight, "run", wasteful)
    second = exports.post("ar-invoices", exports.invoice("QB2002"))
    wasted, _ = export_queries(second)
    assert SyncRecord.objects.get(pk=second).status == SyncStatus.SUCCEEDED
    assert wasted["export"] == plain["export"] + 1 and wasted["all"] == plain["all"] + 1
