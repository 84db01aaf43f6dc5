"""Imports end to end: the Spectrum simulator (web services and database), a real Celery worker,
Redis, PostgreSQL and the platform simulator, all on loopback.

Polls are started the way beat starts them: the schedule row is made due and the dispatcher
(``dispatch_due``) claims it and publishes the task that the worker runs.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from spectrum_sync.imports import actions, dispatcher
from spectrum_sync.models import Direction, PollSchedule, SyncRecord, SyncRun, Tenant
from spectrum_sync.tasks import poll_object_type
from tests.fixtures_platform import platform_simulator_process  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_process  # noqa: F401
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401
from tests.workers import WorkerProcess, celery_worker_process  # noqa: F401

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]

T = TypeVar("T")
CUSTOMERS = "CR_CUSTOMER_MASTER_MC"
DEPARTMENTS = "GL_DEPARTMENT_MASTER_MC"


def wait_for(what: str, fn: Callable[[], T], timeout: float = 90) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def wired(
    tenant: Tenant,
    spectrum_db: Any,  # noqa: F811
    spectrum_simulator_process: Any,  # noqa: F811
    platform_simulator_process: Any,  # noqa: F811
    celery_worker_process: WorkerProcess,  # noqa: F811
) -> Any:
    """The `acme` tenant pointed at both simulators, reading the database through real ODBC."""
    spectrum_simulator_process.use_for(tenant)
    platform_simulator_process.use_for(tenant)
    odbc = spectrum_db.odbc_config
    connection = tenant.connection
    connection.db_enabled = True
    connection.db_driver, connection.db_host, connection.db_port = odbc.driver, odbc.host, odbc.port
    connection.db_name, connection.db_user, connection.db_password = odbc.database, odbc.user, odbc.password
    connection.db_options = odbc.options
    connection.save()
    tenant.refresh_from_db()
    actions.ensure_schedules(tenant)
    # Park every schedule; each test makes due exactly what it polls.
    PollSchedule.objects.filter(tenant=tenant).update(next_due_at=timezone.now() + timedelta(days=1))
    return tenant


def poll(tenant: Tenant, object_type: str) -> SyncRun:
    """Make one schedule due, run a dispatcher tick, and wait for the worker's run to finish."""
    before = SyncRun.objects.filter(tenant=tenant, object_type=object_type).count()
    PollSchedule.objects.filter(tenant=tenant, object_type=object_type).update(
        next_due_at=timezone.now() - timedelta(seconds=1)
    )
    claimed = dispatcher.dispatch_due()
    assert len(claimed) == 1, claimed
    return wait_for(
        f"{object_type} poll",
        lambda: (
            SyncRun.objects.filter(tenant=tenant, object_type=object_type, finished_at__isnull=False)
            .order_by("-pk")
            .first()
            if SyncRun.objects.filter(tenant=tenant, object_type=object_type, finished_at__isnull=False).count()
            > before
            else None
        ),
    )


def seeded(spectrum: Any, table: str, company: str) -> list[dict[str, Any]]:
    return [row for row in spectrum.seed_rows[table] if row["Company_Code"] == company]


def test_customers_added_changed_and_deleted_reach_the_platform_once(
    wired: Tenant,
    spectrum_db: Any,  # noqa: F811
    platform_simulator_process: Any,  # noqa: F811
) -> None:
    platform = platform_simulator_process
    store = spectrum_db.store
    expected = {f"{row['Company_Code']}|{row['Customer_Code']}" for row in spectrum_db.seed_rows[CUSTOMERS]}

    first = poll(wired, "customer")

    assert first.status == SyncRun.Status.SUCCEEDED, first.error
    assert first.created_count == len(expected)
    assert set(platform.state("acme", "customers")) == expected

    renamed, gone = seeded(spectrum_db, CUSTOMERS, "DC1")[:2]
    store.update(CUSTOMERS, {"Company_Code": "DC1", "Customer_Code": renamed["Customer_Code"]}, {"Name": "Renamed Co"})
    store.delete(CUSTOMERS, {"Company_Code": "DC1", "Customer_Code": gone["Customer_Code"]})
    store.insert(CUSTOMERS, {**renamed, "Customer_Code": "NEWCUST1", "Name": "Brand New Builders"})

    second = poll(wired, "customer")

    assert second.status == SyncRun.Status.SUCCEEDED, second.error
    assert (second.created_count, second.updated_count, second.deleted_count) == (1, 1, 1)
    state = platform.state("acme", "customers")
    assert state[f"DC1|{renamed['Customer_Code']}"]["name"] == "Renamed Co"
    assert state["DC1|NEWCUST1"]["name"] == "Brand New Builders"
    assert f"DC1|{gone['Customer_Code']}" not in state
    latest = platform.deliveries(tenant="acme", resource="customers")[0]
    assert sorted((item["action"], item["key"]) for item in latest["items"]) == sorted(
        [
            ("upsert", f"DC1|{renamed['Customer_Code']}"),
            ("upsert", "DC1|NEWCUST1"),
            ("delete", f"DC1|{gone['Customer_Code']}"),
        ]
    )
    records = SyncRecord.objects.filter(tenant=wired, direction=Direction.IMPORT, object_type="customer")
    assert records.count() == len(expected) + 3

    items_before = len(platform.items("acme", "customers"))
    third = poll(wired, "customer")

    assert third.status == SyncRun.Status.SUCCEEDED
    assert third.unchanged_count == third.read_count == len(expected)  # one gone, one new
    assert len(platform.items("acme", "customers")) == items_before  # nothing delivered twice
    assert records.count() == len(expected) + 3


def test_a_department_deleted_in_spectrum_deletes_the_class(
    wired: Tenant,
    spectrum_db: Any,  # noqa: F811
    platform_simulator_process: Any,  # noqa: F811
) -> None:
    departments = seeded(spectrum_db, DEPARTMENTS, "DC1")
    first = poll(wired, "gl_department")
    assert first.status == SyncRun.Status.SUCCEEDED, first.error
    assert first.created_count == len(spectrum_db.seed_rows[DEPARTMENTS])

    doomed = departments[-1]["Department"]
    spectrum_db.store.delete(DEPARTMENTS, {"Company_Code": "DC1", "Department": doomed})
    second = poll(wired, "gl_department")

    assert second.status == SyncRun.Status.SUCCEEDED, second.error
    assert second.deleted_count == 1
    classes = platform_simulator_process.state("acme", "classes")
    assert f"DC1|{doomed}" not in classes
    assert f"DC1|{departments[0]['Department']}" in classes


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_spectrum_fails_the_run_clearly_and_the_next_poll_recovers(
    wired: Tenant,
    spectrum_db: Any,  # noqa: F811
    platform_simulator_process: Any,  # noqa: F811
) -> None:
    assert poll(wired, "customer").status == SyncRun.Status.SUCCEEDED
    connection = wired.connection
    good_url = connection.base_url
    connection.base_url = f"http://127.0.0.1:{closed_port()}"
    connection.save()
    row = seeded(spectrum_db, CUSTOMERS, "DC2")[0]
    spectrum_db.store.update(
        CUSTOMERS, {"Company_Code": "DC2", "Customer_Code": row["Customer_Code"]}, {"City": "Reno"}
    )

    failed = poll(wired, "customer")

    assert failed.status == SyncRun.Status.FAILED
    assert "Spectrum could not be reached while reading Customer" in failed.error
    assert failed.deleted_count == 0
    assert len(platform_simulator_process.state("acme", "customers")) == len(spectrum_db.seed_rows[CUSTOMERS])

    connection.base_url = good_url
    connection.save()
    recovered = poll(wired, "customer")

    assert recovered.status == SyncRun.Status.SUCCEEDED, recovered.error
    assert recovered.updated_count == 1
    assert platform_simulator_process.state("acme", "customers")[f"DC2|{row['Customer_Code']}"]["address"]["city"] == (
        "Reno"
    )


def test_two_dispatchers_and_a_duplicated_message_give_one_poll(
    wired: Tenant,
    spectrum_simulator_process: Any,  # noqa: F811
    celery_worker_process: WorkerProcess,  # noqa: F811
) -> None:
    # Slow Spectrum down so that a second poll, if one started, would overlap the first.
    spectrum_simulator_process.set_faults(latency_ms=1500)
    PollSchedule.objects.filter(tenant=wired, object_type="vendor").update(
        next_due_at=timezone.now() - timedelta(seconds=1)
    )
    log_start = len(celery_worker_process.output())  # the log file is shared by the tests of this process
    claims: list[list[tuple[int, int]]] = []
    barrier = threading.Barrier(2)

    def beat() -> None:
        try:
            barrier.wait()
            claims.append(dispatcher.dispatch_due())
        finally:
            db_connection.close()

    beats = [threading.Thread(target=beat) for _ in range(2)]
    for thread in beats:
        thread.start()
    for thread in beats:
        thread.join()
    claimed = [claim for tick in claims for claim in tick]
    assert len(claimed) == 1, claims
    # The broker hands the same message out twice (a redelivery after a lost ack, say).
    duplicate = poll_object_type.delay(*claimed[0], "schedule")

    concurrent = 0
    deadline = time.monotonic() + 120
    runs = SyncRun.objects.filter(tenant=wired, object_type="vendor")
    while time.monotonic() < deadline:
        concurrent = max(concurrent, runs.filter(status=SyncRun.Status.RUNNING).count())
        duplicate_done = f"poll_object_type[{duplicate.id}] succeeded" in celery_worker_process.output()[log_start:]
        if duplicate_done and runs.filter(finished_at__isnull=False).exists():
            break
        time.sleep(0.1)
    runs = SyncRun.objects.filter(tenant=wired, object_type="vendor")
    assert runs.count() == 1
    assert runs.get().status == SyncRun.Status.SUCCEEDED, runs.get().error
    assert concurrent <= 1


def test_a_poll_whose_worker_dies_is_taken_over_once_its_lease_expires(
    wired: Tenant,
    spectrum_simulator_process: Any,  # noqa: F811
    platform_simulator_process: Any,  # noqa: F811
    celery_worker_process: WorkerProcess,  # noqa: F811
) -> None:
    spectrum_simulator_process.set_faults(latency_ms=3000)
    PollSchedule.objects.filter(tenant=wired, object_type="vendor").update(
        next_due_at=timezone.now() - timedelta(seconds=1)
    )
    assert len(dispatcher.dispatch_due()) == 1
    runs = SyncRun.objects.filter(tenant=wired, object_type="vendor")
    wait_for("the poll to start", lambda: runs.filter(status=SyncRun.Status.RUNNING).exists())

    celery_worker_process.kill()  # the whole worker, mid-poll, like a crash
    # Time passes: the dead poll's lease runs out and the schedule comes due again.
    PollSchedule.objects.filter(tenant=wired, object_type="vendor").update(
        lease_expires_at=timezone.now() - timedelta(seconds=1), next_due_at=timezone.now() - timedelta(seconds=1)
    )
    spectrum_simulator_process.set_faults(latency_ms=0)
    replacement = WorkerProcess("polls,notifications", concurrency=1)
    replacement.start()
    try:
        assert len(dispatcher.dispatch_due()) == 1
        done = wait_for("the new poll", lambda: runs.filter(status=SyncRun.Status.SUCCEEDED).first(), timeout=120)
    finally:
        replacement.stop()

    dead = runs.exclude(pk=done.pk).get()
    assert dead.status == SyncRun.Status.FAILED
    assert "stopped without finishing" in dead.error
    assert done.read_count == len(platform_simulator_process.state("acme", "vendors")) > 0
