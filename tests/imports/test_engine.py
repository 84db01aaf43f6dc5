"""The poll engine against an in-test reader and platform: what is delivered, written and counted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connectors.platform.errors import PlatformRejected, PlatformRetryableError
from connectors.spectrum.errors import SpectrumRetryableError
from connectors.spectrum.records import Customer, GLDepartment, Phase
from spectrum_sync.imports import actions, engine, leases
from spectrum_sync.imports.declarations import get
from spectrum_sync.models import Direction, MirrorRecord, PollSchedule, SyncRecord, SyncRun, SyncStatus
from tests.imports.fakes import FakePlatform, FakeReader

pytestmark = pytest.mark.django_db


def customer(code: str, name: str = "", **extra: Any) -> Customer:
    return Customer(company_code="AC1", customer_code=code, name=name or f"Customer {code}", status="Active", **extra)


def poll(
    tenant: Any, object_type: str, reader: FakeReader, platform: FakePlatform, trigger: str = "schedule"
) -> SyncRun:
    schedule, _ = PollSchedule.objects.get_or_create(tenant=tenant, object_type=object_type)
    token = leases.take(schedule.pk, "test")
    assert token is not None
    token = leases.start(schedule.pk, token, "test")
    assert token is not None
    schedule.refresh_from_db()
    return engine.run_poll(schedule, token, trigger, platform=platform, reader_factory=reader.factory())


def test_first_poll_creates_every_record_on_the_platform_and_in_the_mirror(tenant: Any) -> None:
    reader = FakeReader({"AC1": [customer("C100", "Acme"), customer("C200", "Bolt")]})
    platform = FakePlatform()

    run = poll(tenant, "customer", reader, platform)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (run.read_count, run.created_count, run.updated_count, run.unchanged_count) == (2, 2, 0, 0)
    assert platform.state["customers"]["AC1|C100"]["name"] == "Acme"
    assert platform.state["customers"]["AC1|C200"]["code"] == "C200"
    assert set(MirrorRecord.objects.filter(tenant=tenant).values_list("key", flat=True)) == {"AC1|C100", "AC1|C200"}
    records = SyncRecord.objects.filter(tenant=tenant, direction=Direction.IMPORT)
    assert records.count() == 2
    assert set(records.values_list("status", flat=True)) == {SyncStatus.SUCCEEDED}
    assert records.get(spectrum_key="AC1|C100").payload["change"] == "create"


def test_a_poll_with_nothing_changed_delivers_nothing_and_writes_only_its_run(tenant: Any) -> None:
    reader = FakeReader({"AC1": [customer("C100"), customer("C200")]})
    platform = FakePlatform()
    poll(tenant, "customer", reader, platform)
    delivered_before = len(platform.items)
    records_before = SyncRecord.objects.count()

    with CaptureQueriesContext(connection) as queries:
        run = poll(tenant, "customer", reader, platform)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.read_count, run.unchanged_count, run.created_count, run.updated_count) == (2, 2, 0, 0)
    assert len(platform.items) == delivered_before
    assert SyncRecord.objects.count() == records_before
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE") and "pollschedule" not in q["sql"]
    ]
    # The run's own row (insert, then its final update) and nothing else.
    assert len(writes) == 2, writes
    assert all("syncrun" in sql for sql in writes)


def test_changed_and_deleted_records_reach_the_platform_as_update_and_delete(tenant: Any) -> None:
    reader = FakeReader({"AC1": [customer("C100", "Acme"), customer("C200"), customer("C300")]})
    platform = FakePlatform()
    poll(tenant, "customer", reader, platform)

    reader.records["AC1"] = [customer("C100", "Acme Renamed"), customer("C300"), customer("C400", "New")]
    run = poll(tenant, "customer", reader, platform)

    assert (run.created_count, run.updated_count, run.deleted_count, run.unchanged_count) == (1, 1, 1, 1)
    state = platform.state["customers"]
    assert state["AC1|C100"]["name"] == "Acme Renamed"
    assert "AC1|C200" not in state
    assert state["AC1|C400"]["name"] == "New"
    assert platform.items[-3:] == [
        {"action": "upsert", "key": "AC1|C100", "data": state["AC1|C100"]},
        {"action": "upsert", "key": "AC1|C400", "data": state["AC1|C400"]},
        {"action": "delete", "key": "AC1|C200"},
    ]
    gone = MirrorRecord.objects.get(tenant=tenant, object_type="customer", key="AC1|C200")
    assert gone.deleted_at is not None
    # A record that comes back is created again.
    reader.records["AC1"].append(customer("C200"))
    run = poll(tenant, "customer", reader, platform)
    assert run.created_count == 1
    assert MirrorRecord.objects.get(key="AC1|C200").deleted_at is None


def test_a_department_deleted_in_spectrum_deletes_the_class(tenant: Any) -> None:
    reader = FakeReader({"AC1": [GLDepartment("AC1", "10", "Service"), GLDepartment("AC1", "20", "Install")]})
    platform = FakePlatform()
    poll(tenant, "gl_department", reader, platform)
    assert set(platform.state["classes"]) == {"AC1|10", "AC1|20"}

    reader.records["AC1"] = [GLDepartment("AC1", "10", "Service")]
    run = poll(tenant, "gl_department", reader, platform)

    assert run.deleted_count == 1
    assert set(platform.state["classes"]) == {"AC1|10"}


def test_a_failed_delivery_leaves_the_mirror_alone_and_the_next_poll_delivers_again(tenant: Any) -> None:
    reader = FakeReader({"AC1": [customer("C100", "Acme")]})
    platform = FakePlatform()
    poll(tenant, "customer", reader, platform)
    reader.records["AC1"] = [customer("C100", "Acme Changed")]
    platform.fail = PlatformRetryableError("HTTP 503 after 4 attempts")

    failed = poll(tenant, "customer", reader, platform)

    assert failed.status == SyncRun.Status.FAILED
    assert "platform could not be reached" in failed.error
    assert "next poll delivers them again" in failed.error
    assert failed.failed_count == 1
    assert platform.state["customers"]["AC1|C100"]["name"] == "Acme"
    record = SyncRecord.objects.filter(tenant=tenant, status=SyncStatus.FAILED).get()
    assert "503" in record.error_message
    mirror = MirrorRecord.objects.get(key="AC1|C100")
    assert mirror.data["name"] == "Acme"  # still what the platform has

    platform.fail = None
    recovered = poll(tenant, "customer", reader, platform)

    assert recovered.status == SyncRun.Status.SUCCEEDED
    assert recovered.updated_count == 1
    assert platform.state["customers"]["AC1|C100"]["name"] == "Acme Changed"


def test_a_partly_delivered_chunk_keeps_what_the_platform_accepted(tenant: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(engine, "CHUNK_SIZE", 4)
    reader = FakeReader({"AC1": [customer(f"C{i}") for i in range(4)]})
    platform = FakePlatform(batch_size=2, fail=PlatformRejected(422, '{"error": "bad"}'), fail_after_batches=1)

    run = poll(tenant, "customer", reader, platform)

    assert run.status == SyncRun.Status.FAILED
    assert "HTTP 422" in run.error
    assert (run.created_count, run.failed_count) == (2, 2)
    assert set(MirrorRecord.objects.values_list("key", flat=True)) == {"AC1|C0", "AC1|C1"}

    platform.fail = None
    again = poll(tenant, "customer", reader, platform)
    assert (again.created_count, again.unchanged_count) == (2, 2)
    assert len(platform.items) == 4  # nothing delivered twice


def test_unreachable_spectrum_fails_the_run_with_the_reason_and_deletes_nothing(tenant: Any) -> None:
    reader = FakeReader({"AC1": [customer("C100"), customer("C200")]})
    platform = FakePlatform()
    poll(tenant, "customer", reader, platform)
    reader.fail_with = SpectrumRetryableError("connection refused by 127.0.0.1:8482", service="GetCustomers")
    reader.fail_after = 1

    run = poll(tenant, "customer", reader, platform)

    assert run.status == SyncRun.Status.FAILED
    assert "Spectrum could not be reached while reading Customer" in run.error
    assert "connection refused" in run.error
    assert run.deleted_count == 0
    assert set(platform.state["customers"]) == {"AC1|C100", "AC1|C200"}

    reader.fail_with = None
    assert poll(tenant, "customer", reader, platform).status == SyncRun.Status.SUCCEEDED


def test_an_empty_answer_for_a_company_with_known_records_is_refused_not_a_mass_delete(tenant: Any) -> None:
    reader = FakeReader({"AC1": [customer(f"C{i}") for i in range(engine.EMPTY_READ_GUARD + 1)]})
    platform = FakePlatform()
    poll(tenant, "customer", reader, platform)
    reader.records["AC1"] = []

    run = poll(tenant, "customer", reader, platform)

    assert run.status == SyncRun.Status.FAILED
    assert "returned no Customer records for company AC1" in run.error
    assert len(platform.state["customers"]) == engine.EMPTY_READ_GUARD + 1


def test_full_resync_redelivers_everything_and_reset_forgets_the_mirror(tenant: Any) -> None:
    reader = FakeReader({"AC1": [customer("C100"), customer("C200")]})
    platform = FakePlatform()
    poll(tenant, "customer", reader, platform)

    full = poll(tenant, "customer", reader, platform, trigger=SyncRun.Trigger.FULL)
    assert (full.updated_count, full.unchanged_count) == (2, 0)
    assert len(platform.items) == 4

    assert actions.reset_state(tenant, ["customer"]) == 2
    again = poll(tenant, "customer", reader, platform)
    assert again.created_count == 2


def test_a_poll_whose_lease_was_taken_over_writes_nothing(tenant: Any) -> None:
    reader = FakeReader({"AC1": [customer("C100")]})
    platform = FakePlatform()
    schedule = PollSchedule.objects.create(tenant=tenant, object_type="customer")
    token = leases.start(schedule.pk, leases.take(schedule.pk, "a") or 0, "a")
    assert token is not None
    # The lease expired and a newer poll took over before this one wrote anything.
    PollSchedule.objects.filter(pk=schedule.pk).update(fencing_token=token + 5)

    run = engine.run_poll(schedule, token, platform=platform, reader_factory=reader.factory())

    assert run.status == SyncRun.Status.FAILED
    assert "another poll took over" in run.error
    assert not MirrorRecord.objects.exists()
    assert not SyncRecord.objects.exists()
    schedule.refresh_from_db()
    assert schedule.fencing_token == token + 5  # the newer poll's lease is untouched


def test_phase_changes_only_when_its_descriptive_fields_change(tenant: Any) -> None:
    phase = Phase("AC1", "J1", "01-100", "L", description="Rough-in", jtd_actual_dollars=Decimal("10.00"))
    reader = FakeReader({"AC1": [phase]})
    platform = FakePlatform()
    poll(tenant, "phase", reader, platform)

    reader.records["AC1"] = [
        Phase("AC1", "J1", "01-100", "L", description="Rough-in", jtd_actual_dollars=Decimal("99"))
    ]
    assert poll(tenant, "phase", reader, platform).unchanged_count == 1

    reader.records["AC1"] = [Phase("AC1", "J1", "01-100", "L", description="Rough-in electrical")]
    assert poll(tenant, "phase", reader, platform).updated_count == 1
    assert platform.state["cost-codes"]["AC1|J1|01-100|L"]["description"] == "Rough-in electrical"


def test_a_tenant_without_a_database_gets_a_clear_reason_for_database_only_types(tenant: Any) -> None:
    schedule = PollSchedule.objects.create(tenant=tenant, object_type="gl_account")
    token = leases.start(schedule.pk, leases.take(schedule.pk, "a") or 0, "a")
    assert token is not None

    run = engine.run_poll(schedule, token, platform=FakePlatform())

    assert run.status == SyncRun.Status.FAILED
    assert "enable the database (Info-Link) connection" in run.error


def test_a_failed_poll_and_its_recovery_are_told_to_notifications(tenant: Any, monkeypatch: Any) -> None:
    from spectrum_sync.notifications import api

    told: list[tuple[str, int | None]] = []
    monkeypatch.setattr(api, "notify_event", lambda t, event, *, record=None, run=None: told.append((event, run.pk)))
    reader = FakeReader({"AC1": [customer("C100")]})
    platform = FakePlatform()
    ok = poll(tenant, "customer", reader, platform)
    reader.fail_with = SpectrumRetryableError("timed out")
    failed = poll(tenant, "customer", reader, platform)
    reader.fail_with = None
    recovered = poll(tenant, "customer", reader, platform)
    quiet = poll(tenant, "customer", reader, platform)

    assert told == [("poll_failed", failed.pk), ("recovered", recovered.pk)]
    assert ok.pk not in [pk for _, pk in told] and quiet.pk not in [pk for _, pk in told]


def test_a_record_read_twice_in_one_poll_is_delivered_once(tenant: Any) -> None:
    # A reader partitioning its query (row caps) may return a record in two partitions.
    reader = FakeReader({"AC1": [customer("C100"), customer("C200"), customer("C100")]})
    platform = FakePlatform()

    run = poll(tenant, "customer", reader, platform)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (run.read_count, run.created_count) == (2, 2)
    assert [item["key"] for item in platform.items] == ["AC1|C100", "AC1|C200"]
    again = poll(tenant, "customer", reader, platform)
    assert (again.unchanged_count, again.deleted_count) == (2, 0)


@pytest.mark.parametrize("error", ["", "The platform refused the delivery (HTTP 422): bad item"])
def test_the_server_built_records_equal_the_row_by_row_ones(tenant: Any, error: str) -> None:
    """PostgreSQL builds the mirror rows and import records from one COPY; what the history and a
    retry later read must be what the row-by-row path (SQLite) writes, for awkward keys too."""
    schedule = PollSchedule.objects.create(tenant=tenant, object_type="customer")
    run = SyncRun.objects.create(tenant=tenant, object_type="customer", fencing_token=1)
    poll_ = engine.Poll(schedule, 1, run, get("customer"), FakePlatform())
    codes = ["C\t1", "C\\2", "C\n3", 'C"4', "Cé5", "C|6|x", "C\x1f7", "C" + "8" * 120]
    changes = [
        engine.Change("update", rec.key, rec.company_code, "ab" * 16, rec, poll_.upsert_item(rec, rec.key))
        for rec in (customer(code, price_level_material="2") for code in codes)
    ]
    changes.append(engine.Change("delete", "AC1|C9", "AC1", "", None, {"action": "delete", "key": "AC1|C9"}))
    now = timezone.now()

    def written() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        records = [
            {name: value for name, value in row.items() if name != "id"}
            for row in SyncRecord.objects.filter(tenant=tenant).order_by("spectrum_key").values()
        ]
        mirror = [
            {name: value for name, value in row.items() if name != "id"}
            for row in MirrorRecord.objects.filter(tenant=tenant).order_by("key").values()
        ]
        SyncRecord.objects.filter(tenant=tenant).delete()
        MirrorRecord.objects.filter(tenant=tenant).delete()
        return records, mirror

    poll_.write_rows(changes, "acme.customer.run1.1", error, now)
    row_by_row = written()
    poll_.write_staged(changes, "acme.customer.run1.1", error, now)
    staged = written()

    assert len(row_by_row[0]) == len(changes)
    assert len(row_by_row[1]) == (0 if error else len(codes))
    assert staged == row_by_row
