"""Exports end to end with real processes: Celery workers, Redis, PostgreSQL, both simulators.

The platform posts a document through the API (Django test client, real views); a real worker
process claims it, sends it to the Spectrum simulator (another process) and posts the outcome to
the platform simulator (another process). Spectrum's own view is read through the simulator's
counters and its database (the same PostgreSQL store, read through ODBC for reconciliation).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from mappings.models import GLAccountMapping
from mappings.signals import rules_changed
from spectrum_sync.models import MirrorRecord, SpectrumConnection, SyncRecord, SyncStatus, Tenant
from tests.fixtures_platform import platform_simulator_process  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_process  # noqa: F401
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]

T = TypeVar("T")
LEASE = "4"  # seconds: a killed worker's record is reconciled quickly


def wait_for(fn: Callable[[], T], timeout: float = 60.0, message: str = "") -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s: {message}")


class Exports:
    """The tenant wired to the simulators, and what a test does with it."""

    def __init__(self, tenant: Tenant, spectrum: Any, platform: Any, db: Any) -> None:
        self.tenant, self.spectrum, self.platform, self.db = tenant, spectrum, platform, db
        key = tenant.generate_api_key()
        tenant.save()
        self.api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
        rows = db.seed_rows
        self.customer = next(r["Customer_Code"] for r in rows["CR_CUSTOMER_MASTER_MC"] if r["Company_Code"] == "DC1")
        self.job = next(
            r["Job_Number"] for r in rows["JC_JOB_MASTER_MC"] if r["Company_Code"] == "DC1" and r["Status_Code"] == "A"
        )
        self.revenue_gl = next(
            r["GL_Account"]
            for r in rows["GL_ACCOUNT_MASTER_MC"]
            if r["Company_Code"] == "DC1" and r["GL_Account"].endswith("4000") and r["Status"] == "A"
        )

    def mirror(self, object_type: str, code: str) -> None:
        MirrorRecord.objects.update_or_create(
            tenant=self.tenant, object_type=object_type, key=f"DC1|{code}", defaults={"row_hash": "seed"}
        )

    def post(self, path: str, body: dict[str, Any]) -> int:
        response = self.api.post(f"/api/v1/{path}/", body, content_type="application/json")
        assert response.status_code == 202, response.content
        return int(response.json()["id"])

    def invoice(self, number: str, customer: str = "", **extra: Any) -> dict[str, Any]:
        return {
            "document_id": f"inv-{number}",
            "version": "1",
            "invoice_number": number,
            "customer_code": customer or self.customer,
            "invoice_date": timezone.localdate().isoformat(),
            "lines": [
                {"kind": "labor", "description": "Technician", "amount": "240.00", "taxable": False},
                {"kind": "material", "description": "Valve", "amount": "60.00", "taxable": False},
            ],
            **extra,
        }

    def final(self, record_id: int, timeout: float = 60.0) -> SyncRecord:
        def done() -> SyncRecord | None:
            record = SyncRecord.objects.get(pk=record_id)
            return record if record.status in (SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.HELD) else None

        return wait_for(done, timeout, f"record {record_id} never reached an outcome")

    def told(self, record_id: int, status: str) -> dict[str, Any]:
        """What the platform holds for the record once it was told ``status``."""

        def find() -> dict[str, Any] | None:
            data = self.platform.state(self.tenant.slug, "export-results").get(str(record_id))
            return data if data and data.get("status") == status else None

        return wait_for(find, 30, f"platform never told {status} for {record_id}")

    def spectrum_has_invoice(self, number: str) -> int:
        return len(
            self.db.store.query(
                "SELECT Invoice_Or_Transaction FROM CR_INVOICE_HEADER_MC WHERE Company_Code = ? AND "
                "TRIM(Invoice_Or_Transaction) = ?",
                ["DC1", number],
            )
        )


@pytest.fixture
def exports(
    tenant: Tenant,
    spectrum_simulator_process: Any,  # noqa: F811
    platform_simulator_process: Any,  # noqa: F811
    spectrum_db: Any,  # noqa: F811
) -> Exports:
    connection = SpectrumConnection.objects.get(tenant=tenant)
    connection.base_url = spectrum_simulator_process.url
    connection.authorization_id = spectrum_simulator_process.auth_id
    connection.company_codes = "DC1"
    odbc = spectrum_db.odbc_config
    connection.db_enabled = True
    connection.db_driver, connection.db_host, connection.db_port = odbc.driver, odbc.host, odbc.port
    connection.db_name, connection.db_user, connection.db_password = odbc.database, odbc.user, odbc.password
    connection.save()
    platform_simulator_process.use_for(tenant)
    wiring = Exports(tenant, spectrum_simulator_process, platform_simulator_process, spectrum_db)
    wiring.mirror("customer", wiring.customer)
    wiring.mirror("job", wiring.job)
    for kind in ("labor", "material"):
        GLAccountMapping.objects.create(tenant=tenant, line_kind=kind, gl_account=wiring.revenue_gl)
    GLAccountMapping.objects.create(tenant=tenant, line_kind="commitment", gl_account="105200")
    return wiring


@pytest.fixture
def worker(transactional_db: None) -> Iterator[WorkerProcess]:
    process = WorkerProcess("exports,notifications", concurrency=2, extra_env={"EXPORT_LEASE_SECONDS": LEASE})
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_invoice_accepted_end_to_end(exports: Exports, worker: WorkerProcess) -> None:
    record = exports.final(exports.post("ar-invoices", exports.invoice("FL1001")))
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    assert exports.spectrum_has_invoice("FL1001") == 1
    assert exports.told(record.pk, "succeeded")["document_number"] == "FL1001"


def test_invoice_rejected_by_spectrum_shows_the_message(exports: Exports, worker: WorkerProcess) -> None:
    GLAccountMapping.objects.filter(tenant=exports.tenant).update(gl_account="999999")  # not in Spectrum
    rules_changed(exports.tenant.pk)  # update() sends no signal: the workers' copies are stale
    record = exports.final(exports.post("ar-invoices", exports.invoice("FL1002")))
    assert record.status == SyncStatus.FAILED
    assert record.error_code == "I" and record.error_column == "GL_Account"
    assert "999999" in record.error_message
    assert exports.told(record.pk, "failed")["error_column"] == "GL_Account"
    assert exports.spectrum_has_invoice("FL1002") == 0


def test_invoice_held_for_missing_customer_then_released(exports: Exports, worker: WorkerProcess) -> None:
    from spectrum_sync.exports.holds import release_held_for

    rows = exports.db.seed_rows["CR_CUSTOMER_MASTER_MC"]
    late = next(
        r["Customer_Code"] for r in rows if r["Company_Code"] == "DC1" and r["Customer_Code"] != exports.customer
    )
    record = exports.final(exports.post("ar-invoices", exports.invoice("FL1003", customer=late)))
    assert record.status == SyncStatus.HELD and late in record.held_reason
    exports.told(record.pk, "held")
    exports.mirror("customer", late)  # what the IMPORTS poll does when the customer arrives
    assert release_held_for(exports.tenant, "customer", [f"DC1|{late}"]) == 1
    record = exports.final(record.pk)
    assert wait_for(lambda: SyncRecord.objects.get(pk=record.pk).status == SyncStatus.SUCCEEDED, 60)
    assert exports.spectrum_has_invoice("FL1003") == 1


def test_transient_fault_is_retried(exports: Exports, worker: WorkerProcess) -> None:
    exports.spectrum.set_faults(queue=["http503"], services=["customer/invoice"])
    record_id = exports.post("ar-invoices", exports.invoice("FL1004"))
    record = wait_for(
        lambda: (r := SyncRecord.objects.get(pk=record_id)).status == SyncStatus.SUCCEEDED and r, 60, "no success"
    )
    outcomes = list(record.attempts.values_list("outcome", flat=True))
    assert outcomes[-1] == "accepted" and "retryable" in outcomes
    assert exports.spectrum_has_invoice("FL1004") == 1


def test_reply_lost_after_accept_is_reconciled_with_one_create(exports: Exports, worker: WorkerProcess) -> None:
    exports.spectrum.set_faults(queue=["drop"], services=["customer/invoice"])
    record_id = exports.post("ar-invoices", exports.invoice("FL1005"))
    record = wait_for(
        lambda: (r := SyncRecord.objects.get(pk=record_id)).status == SyncStatus.SUCCEEDED and r, 60, "no success"
    )
    assert list(record.attempts.values_list("outcome", flat=True)) == ["unknown", "found"]
    assert exports.spectrum_has_invoice("FL1005") == 1
    assert exports.spectrum.counters()["accepted"]["customer/invoice"]["DC1|FL1005"] == 1


@pytest.mark.parametrize(
    ("path", "body", "spectrum_table"),
    [
        ("jobs", {"job_number": "FLJ1", "description": "Flow job"}, "JC_JOB_MASTER_MC"),
        (
            "commitments",
            {"commitment_number": "FLSC1", "vendor_code": "VENDOR", "job_number": "JOB", "lines": []},
            "VN_SUBCONTRACT_MC",
        ),
        (
            "change-orders",
            {
                "change_order_number": "FLCO1",
                "job_number": "JOB",
                "customer_code": "CUST",
                "lines": [{"amount": "500"}],
            },
            "CR_CHANGE_ORDER_HEADER_MC",
        ),
    ],
)
def test_other_document_types_reach_spectrum(
    exports: Exports, worker: WorkerProcess, path: str, body: dict[str, Any], spectrum_table: str
) -> None:
    rows = exports.db.seed_rows
    vendor = next(r["Vendor_Code"] for r in rows["VN_VENDOR_MASTER_MC"] if r["Company_Code"] == "DC1")
    phase = next(r for r in rows["JC_PHASE_MASTER_MC"] if r["Company_Code"] == "DC1" and r["Job_Number"] == exports.job)
    exports.mirror("vendor", vendor)
    exports.mirror("phase", f"{exports.job}|{phase['Phase_Code']}|{phase['Cost_Type']}")
    names = {"JOB": exports.job, "CUST": exports.customer, "VENDOR": vendor}
    filled = {k: names.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    if path == "commitments":
        filled["lines"] = [{"phase_code": phase["Phase_Code"], "cost_type": phase["Cost_Type"], "amount": "1200.00"}]
    record = exports.final(exports.post(path, {"document_id": f"{path}-1", "version": "1", **filled}))
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    exports.told(record.pk, "succeeded")


def test_killed_worker_loses_nothing_and_doubles_nothing(
    exports: Exports, worker: WorkerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spectrum_sync.exports.sweeper import sweep

    monkeypatch.setattr(django_settings, "EXPORT_STALE_SECONDS", 2)
    exports.spectrum.set_faults(latency_ms=3000)  # every Spectrum call takes 3 s: time to kill mid-send
    record_id = exports.post("ar-invoices", exports.invoice("FL2001"))
    wait_for(lambda: SyncRecord.objects.get(pk=record_id).attempts.exists(), 30, "no attempt started")
    worker.kill()  # SIGKILL the whole worker while the request is in flight
    exports.spectrum.set_faults(latency_ms=0)
    replacement = WorkerProcess("exports,notifications", concurrency=2, extra_env={"EXPORT_LEASE_SECONDS": LEASE})
    replacement.start()
    try:
        wait_for(lambda: sweep()["expired"] or None, 30, "lease never expired")
        record = wait_for(
            lambda: (r := SyncRecord.objects.get(pk=record_id)).status == SyncStatus.SUCCEEDED and r, 60, "no success"
        )
    finally:
        replacement.stop()
    assert exports.spectrum_has_invoice("FL2001") == 1
    assert exports.spectrum.accepted("customer/invoice") == {"DC1|FL2001": 1}
    assert record.attempts.filter(outcome="found").exists() or record.attempts.filter(outcome="accepted").count() == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """Our own redis-server on a free loopback port (never the shared one), without persistence."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is required for this test"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _accepts(self.port), 10, "redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_redis_restart_during_a_burst_loses_nothing_and_doubles_nothing(
    exports: Exports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spectrum_sync.celery import app
    from spectrum_sync.exports import sweeper

    monkeypatch.setattr(django_settings, "EXPORT_STALE_SECONDS", 2)
    redis = RedisServer(tmp_path)
    redis.start()
    # The test process enqueues into our Redis too (the burst and the sweeper): fresh pools on it.
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)  # Celery reads the variable before its settings
    monkeypatch.setattr(app.conf, "broker_url", redis.url)
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    env = {"EXPORT_LEASE_SECONDS": LEASE, "CELERY_BROKER_URL": redis.url}
    worker = WorkerProcess("exports,notifications", concurrency=4, extra_env=env)
    worker.start()
    try:
        exports.spectrum.set_faults(latency_ms=150)
        ids = [exports.post("ar-invoices", exports.invoice(f"FLR{i:03d}")) for i in range(20)]
        wait_for(
            lambda: SyncRecord.objects.filter(pk__in=ids, status=SyncStatus.SUCCEEDED).count() >= 3,
            60,
            f"the burst did not start; worker log: {worker.log_path}",
        )
        redis.stop()  # everything queued in Redis is gone
        unfinished = SyncRecord.objects.filter(pk__in=ids).exclude(status=SyncStatus.SUCCEEDED).count()
        assert unfinished > 0, "the burst was over before Redis went down"
        time.sleep(1)
        redis.start()
        exports.spectrum.set_faults(latency_ms=0)

        def all_done() -> bool:
            sweeper.sweep()
            return SyncRecord.objects.filter(pk__in=ids, status=SyncStatus.SUCCEEDED).count() == len(ids)

        wait_for(all_done, 120, "not every invoice of the burst reached Spectrum")
    finally:
        worker.stop()
        redis.stop()
        if app._pool is not None:
            app._pool.force_close_all()
    for i in range(20):
        assert exports.spectrum_has_invoice(f"FLR{i:03d}") == 1
    accepted = exports.spectrum.accepted("customer/invoice")
    assert len(accepted) == 20 and set(accepted.values()) == {1}  # never two creates


def test_po_receipt_and_scheduled_maintenance_reach_spectrum(exports: Exports, worker: WorkerProcess) -> None:
    rows = exports.db.seed_rows
    received = {r["PO_Number"] for r in rows["PO_RECEIVING_HISTORY_MC"] if r["Company_Code"] == "DC1"}
    po = next(
        r for r in rows["PO_PURCHASE_ORDER_HEADER_MC"] if r["Company_Code"] == "DC1" and r["PO_Number"] not in received
    )
    line = next(r for r in rows["PO_PURCHASE_ORDER_DETAIL_MC"] if r["PO_Number"] == po["PO_Number"])
    exports.mirror("job", po["Job_Number"])
    exports.mirror("cost_type", line["Cost_Type"])
    receipt = {
        "document_id": "rcpt-1",
        "version": "1",
        "po_number": po["PO_Number"],
        "receipt_number": "PL-778",
        "receipt_sequence": 1,
        "job_number": po["Job_Number"],
        "receipt_date": timezone.localdate().isoformat(),
        "lines": [
            {
                "po_line_number": line["Line_Number"],
                "item_code": line["Item_ID"],
                "quantity_received": "1",
                "phase_code": line["Phase_Code"],
                "cost_type": line["Cost_Type"],
            }
        ],
    }
    record = exports.final(exports.post("po-receipts", receipt))
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    assert record.verification == "confirmed", record.readback  # read back through Info-Link
    found = exports.db.store.query(
        "SELECT Quantity_Received FROM PO_RECEIVING_HISTORY_MC WHERE TRIM(PO_Number) = ? AND TRIM(Receipt_Number) = ?",
        [po["PO_Number"], "001"],
    )
    assert len(found) == 1

    site = next(r["WO_Job_Number"] for r in rows["WO_HEADER_MC"] if r["Company_Code"] == "DC1")
    visit = {
        "document_id": "pm-visit-1",
        "version": "1",
        "work_order_number": "PM9001",
        "site_id": site,
        "customer_code": exports.customer,
        "work_order_type": "SVC",
        "description": "Quarterly rooftop unit maintenance",
        "scheduled_date": timezone.localdate().isoformat(),
    }
    record = exports.final(exports.post("maintenances", visit))
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    assert record.verification == "confirmed", record.readback  # the work order read back
    assert exports.spectrum.accepted("WorkOrderHeader") == {"DC1|PM9001": 1}
    exports.told(record.pk, "succeeded")


def test_job_reply_lost_is_reconciled_and_phases_follow(exports: Exports, worker: WorkerProcess) -> None:
    exports.spectrum.set_faults(queue=["drop"], services=["AddJob"])
    job = {
        "document_id": "job-flj2",
        "version": "1",
        "job_number": "FLJ2",
        "description": "Lost reply job",
        "customer_code": exports.customer,
        "phases": [{"phase_code": "0100", "cost_type": "L", "description": "Labor", "budget_amount": "900.00"}],
    }
    record_id = exports.post("jobs", job)
    record = wait_for(
        lambda: (r := SyncRecord.objects.get(pk=record_id)).status == SyncStatus.SUCCEEDED and r, 60, "no success"
    )
    outcomes = list(record.attempts.values_list("service", "outcome"))
    assert outcomes[:2] == [("AddJob", "unknown"), ("AddJob", "found")]
    assert ("AddPhase", "accepted") in outcomes
    assert exports.spectrum.accepted("AddJob") == {"DC1|FLJ2": 1}


def test_commitment_retried_after_a_transient_fault(exports: Exports, worker: WorkerProcess) -> None:
    rows = exports.db.seed_rows
    vendor = next(r["Vendor_Code"] for r in rows["VN_VENDOR_MASTER_MC"] if r["Company_Code"] == "DC1")
    phase = next(r for r in rows["JC_PHASE_MASTER_MC"] if r["Company_Code"] == "DC1" and r["Job_Number"] == exports.job)
    exports.mirror("vendor", vendor)
    exports.mirror("phase", f"{exports.job}|{phase['Phase_Code']}|{phase['Cost_Type']}")
    exports.spectrum.set_faults(queue=["fault"], services=["UpdateSubcontractPhases"])
    body = {
        "document_id": "sc-flsc2",
        "version": "1",
        "commitment_number": "FLSC2",
        "vendor_code": vendor,
        "job_number": exports.job,
        "lines": [{"phase_code": phase["Phase_Code"], "cost_type": phase["Cost_Type"], "amount": "700.00"}],
    }
    record_id = exports.post("commitments", body)
    record = wait_for(
        lambda: (r := SyncRecord.objects.get(pk=record_id)).status == SyncStatus.SUCCEEDED and r, 60, "no success"
    )
    outcomes = list(record.attempts.values_list("service", "outcome"))
    # The header went through once; only the failed phase call was sent again.
    assert outcomes == [
        ("UpdateSubcontract", "accepted"),
        ("UpdateSubcontractPhases", "retryable"),
        ("UpdateSubcontractPhases", "accepted"),
    ]
