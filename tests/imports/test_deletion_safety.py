"""A poll deletes on the platform only what it is sure is gone.

Real Spectrum simulator (web services), real platform simulator, the poll run in this process.
What is asserted is what the platform simulator received and what implementation staff see.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from connectors.spectrum.records import Customer
from spectrum_sync.adminsite.roles import IMPLEMENTATION_STAFF, sync_roles
from spectrum_sync.imports import actions, engine, leases
from spectrum_sync.models import MirrorRecord, PendingDeletion, PollSchedule, SyncRun, Tenant
from spectrum_sync.notifications import emails
from spectrum_sync.notifications.models import EmailDelivery, NotificationRule
from tests.admin.world import make_user
from tests.fixtures_platform import platform_simulator  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_sqlite  # noqa: F401

CUSTOMERS = "CR_CUSTOMER_MASTER_MC"


@pytest.fixture
def wired(tenant: Tenant, spectrum_simulator_sqlite: Any, platform_simulator: Any) -> Tenant:  # noqa: F811
    spectrum_simulator_sqlite.use_for(tenant)
    platform_simulator.use_for(tenant)
    tenant.refresh_from_db()
    return tenant


def customer_keys(spectrum: Any) -> list[str]:
    return sorted(f"{row['Company_Code']}|{row['Customer_Code']}" for row in spectrum.store.find(CUSTOMERS))


def remove_from_spectrum(spectrum: Any, keys: list[str]) -> None:
    for key in keys:
        company, code = key.split("|")
        assert spectrum.store.delete(CUSTOMERS, {"Company_Code": company, "Customer_Code": code}) == 1


def deletes_received(platform: Any) -> list[str]:
    return [item["key"] for item in platform.items("acme", "customers") if item["action"] == "delete"]


def poll(tenant: Tenant) -> SyncRun:
    return actions.run_in_foreground(tenant, "customer")


# --- (a) a read that ended in a cut -------------------------------------------------------------


def test_a_reply_cut_after_a_whole_row_deletes_nothing_and_a_clean_read_then_does(
    wired: Tenant,
    spectrum_simulator_sqlite: Any,  # noqa: F811
    platform_simulator: Any,  # noqa: F811
) -> None:
    spectrum, platform = spectrum_simulator_sqlite, platform_simulator
    known = customer_keys(spectrum)
    assert poll(wired).status == SyncRun.Status.SUCCEEDED
    gone = known[:2]
    remove_from_spectrum(spectrum, gone)
    # The reply stops right after a complete row: Spectrum's documented quirk, and also exactly what a
    # server that died mid-stream sends. The rows read are fine; the missing ones prove nothing.
    spectrum.set_faults(queue=["truncate"], services=["GetCustomers"])

    cut = poll(wired)

    assert spectrum.counters()["faults_injected"] == {"truncate": 1}
    assert cut.status == SyncRun.Status.SUCCEEDED, cut.error
    assert cut.deleted_count == 0
    assert "ended in a cut" in cut.notice
    assert deletes_received(platform) == []
    assert set(gone) <= set(platform.state("acme", "customers"))

    clean = poll(wired)

    assert clean.deleted_count == 2, clean.notice
    assert sorted(deletes_received(platform)) == gone
    assert not set(gone) & set(platform.state("acme", "customers"))


# --- (b) rows of another company -----------------------------------------------------------------


class MisTaggingReader:
    """Spectrum's answer for DC1 with a row tagged with another company mixed in."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def iter_records(self, object_type: str, company: str) -> Iterator[Any]:
        yield from self.real.iter_records(object_type, company)
        if company == "DC1":
            yield Customer(company_code="ZZ9", customer_code="INTRUDER", name="Not ours")

    def close(self) -> None:
        self.real.close()


def test_rows_of_another_company_are_dropped_counted_and_shown_on_the_run_page(
    wired: Tenant,
    spectrum_simulator_sqlite: Any,  # noqa: F811
    platform_simulator: Any,  # noqa: F811
) -> None:
    @contextmanager
    def reading(tenant: Tenant, declaration: Any) -> Iterator[MisTaggingReader]:
        from spectrum_sync.imports import readers

        with readers.reading(tenant, declaration) as real:
            yield MisTaggingReader(real)

    schedule = PollSchedule.objects.create(tenant=wired, object_type="customer")
    token = leases.start(schedule.pk, leases.take(schedule.pk, "test") or 0, "test")
    assert token is not None
    schedule.refresh_from_db()
    run = engine.run_poll(schedule, token, reader_factory=reading)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.other_company_count == 1
    received = {item["key"] for item in platform_simulator.items("acme", "customers")}
    assert received == set(customer_keys(spectrum_simulator_sqlite))
    assert not any(key.startswith("ZZ9|") for key in received)
    sync_roles()
    staff = make_user("ivy", IMPLEMENTATION_STAFF, (wired,))
    client = Client()
    client.force_login(staff)
    page = client.get(f"/admin/spectrum_sync/syncrun/{run.pk}/change/").content.decode()
    assert "rows of another company (dropped)" in page.lower()
    assert "another company than DC1, DC2" in page


# --- (c) too many deletions at once wait for a person ------------------------------------------


@pytest.fixture
def staff_client(wired: Tenant) -> Client:
    sync_roles()
    client = Client()
    client.force_login(make_user("ivy", IMPLEMENTATION_STAFF, (wired,)))
    return client


@pytest.fixture
def held(wired: Tenant, spectrum_simulator_sqlite: Any, settings: Any) -> tuple[PendingDeletion, list[str]]:  # noqa: F811
    """A first poll, then three customers gone from Spectrum with a limit of two."""
    settings.IMPORT_DELETION_LIMIT, settings.IMPORT_DELETION_LIMIT_PERCENT = 2, 1  # 1 % of 60 is 0
    NotificationRule.objects.create(
        tenant=wired, name="Failures", events=["failed", "poll_failed"], recipients="ops@acme.test"
    )
    assert poll(wired).status == SyncRun.Status.SUCCEEDED
    gone = customer_keys(spectrum_simulator_sqlite)[:3]
    remove_from_spectrum(spectrum_simulator_sqlite, gone)
    run = poll(wired)
    assert run.status == SyncRun.Status.AWAITING, run.error
    assert run.get_status_display() == "Deletions waiting for confirmation"
    return PendingDeletion.objects.get(run=run), gone


def test_more_deletions_than_the_limit_are_held_and_the_failure_recipients_told(
    wired: Tenant,
    held: tuple[PendingDeletion, list[str]],
    platform_simulator: Any,  # noqa: F811
    staff_client: Client,
) -> None:
    batch, gone = held
    assert deletes_received(platform_simulator) == []
    assert (batch.status, batch.keys, batch.run.held_deletion_count) == (PendingDeletion.Status.WAITING, gone, 3)

    delivery = EmailDelivery.objects.get(kind=EmailDelivery.Kind.DELETIONS)
    assert delivery.recipient_list == ["ops@acme.test"]
    emails.send_delivery(delivery.pk)
    assert "3 Customer deletions wait for you" in mail.outbox[-1].subject
    assert gone[0] in mail.outbox[-1].body

    run_page = staff_client.get(f"/admin/spectrum_sync/syncrun/{batch.run_id}/change/").content.decode()
    tenant_page = staff_client.get(f"/admin/spectrum_sync/tenant/{wired.pk}/change/").content.decode()
    for page in (run_page, tenant_page):
        assert "1 batch(es), 3 records: review" in page
    assert "Deletions waiting for confirmation" in staff_client.get("/admin/").content.decode()
    review = staff_client.get(
        "/admin/spectrum_sync/pendingdeletion/",
        {"tenant": wired.pk, "status__exact": "waiting", "object_type__exact": "customer"},
    )
    assert review.status_code == 200 and f"/pendingdeletion/{batch.pk}/change/" in review.content.decode()
    screen = staff_client.get(f"/admin/spectrum_sync/pendingdeletion/{batch.pk}/change/").content.decode()
    assert all(key in screen for key in gone)
    assert 'id="confirm-deletions"' in screen

    # The same list found again by the next poll is the same batch, not a second email.
    again = poll(wired)
    assert again.status == SyncRun.Status.AWAITING
    assert PendingDeletion.objects.filter(status=PendingDeletion.Status.WAITING).count() == 1
    assert EmailDelivery.objects.filter(kind=EmailDelivery.Kind.DELETIONS).count() == 1


def test_confirmed_deletions_are_delivered_by_the_poll_confirming_starts(
    wired: Tenant,
    held: tuple[PendingDeletion, list[str]],
    platform_simulator: Any,  # noqa: F811
    staff_client: Client,
) -> None:
    batch, gone = held
    response = staff_client.post(
        f"/admin/spectrum_sync/pendingdeletion/{batch.pk}/decide/", {"decision": "confirm", "note": "really gone"}
    )
    assert response.status_code == 302
    schedule = PollSchedule.objects.get(tenant=wired, object_type="customer")
    # Confirming started a poll (its message is on the broker); run it the way the worker does.
    run = actions.poll_scheduled(schedule.pk, schedule.fencing_token, SyncRun.Trigger.MANUAL)

    assert run is not None and run.status == SyncRun.Status.SUCCEEDED, run and run.error
    assert sorted(deletes_received(platform_simulator)) == gone
    batch.refresh_from_db()
    assert (batch.status, batch.delivered_run_id) == (PendingDeletion.Status.DELIVERED, run.pk)
    assert batch.note == "really gone"
    assert batch.decided_by is not None and batch.decided_by.username == "ivy"


def test_discarded_deletions_never_reach_the_platform_and_are_not_raised_again(
    wired: Tenant,
    held: tuple[PendingDeletion, list[str]],
    platform_simulator: Any,  # noqa: F811
    staff_client: Client,
) -> None:
    batch, gone = held
    staff_client.post(f"/admin/spectrum_sync/pendingdeletion/{batch.pk}/decide/", {"decision": "discard"})

    after = poll(wired)

    assert after.status == SyncRun.Status.SUCCEEDED
    assert deletes_received(platform_simulator) == []
    assert set(gone) <= set(platform_simulator.state("acme", "customers"))
    assert PendingDeletion.objects.get(pk=batch.pk).status == PendingDeletion.Status.DISCARDED
    assert not PendingDeletion.objects.filter(status=PendingDeletion.Status.WAITING).exists()
    assert MirrorRecord.objects.filter(key__in=gone, deleted_at__isnull=False).count() == 3


def test_deletions_within_the_limit_go_through_at_once(
    wired: Tenant,
    spectrum_simulator_sqlite: Any,  # noqa: F811
    platform_simulator: Any,  # noqa: F811
) -> None:
    assert poll(wired).status == SyncRun.Status.SUCCEEDED
    gone = customer_keys(spectrum_simulator_sqlite)[:3]
    remove_from_spectrum(spectrum_simulator_sqlite, gone)  # 3 is far below max(50, 5 %)

    run = poll(wired)

    assert (run.status, run.deleted_count) == (SyncRun.Status.SUCCEEDED, 3)
    assert sorted(deletes_received(platform_simulator)) == gone
    assert not PendingDeletion.objects.exists()
