"""Import failures an accountant can clear: superseded by a later success, retried, or dismissed.

Real Spectrum simulator (web services) and platform simulator; the admin driven with Django's test
client as an accountant. Asserted: what the platform simulator received and what the queue shows.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from spectrum_sync.adminsite.roles import ACCOUNTANT, sync_roles
from spectrum_sync.imports import actions
from spectrum_sync.models import Direction, SyncRecord, SyncRun, SyncStatus, Tenant
from tests.admin.world import make_user
from tests.fixtures_platform import platform_simulator  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_sqlite  # noqa: F401

QUEUE = "/admin/spectrum_sync/syncrecord/?status=attention&direction__exact=import"


@pytest.fixture
def wired(tenant: Tenant, spectrum_simulator_sqlite: Any, platform_simulator: Any) -> Tenant:  # noqa: F811
    spectrum_simulator_sqlite.use_for(tenant)
    platform_simulator.use_for(tenant)
    tenant.refresh_from_db()
    return tenant


@pytest.fixture
def accountant(wired: Tenant) -> Client:
    sync_roles()
    client = Client()
    client.force_login(make_user("alice", ACCOUNTANT, (wired,)))
    return client


def failed_poll(tenant: Tenant, platform: Any) -> list[SyncRecord]:
    """A poll whose delivery the platform refuses (a wrong URL, a bad secret): every record fails."""
    platform.fail(count=1, status=400)
    run = actions.run_in_foreground(tenant, "customer")
    assert run.status == SyncRun.Status.FAILED and run.failed_count > 0, run.error
    return list(SyncRecord.objects.filter(direction=Direction.IMPORT, status=SyncStatus.FAILED).order_by("pk"))


def in_queue(client: Client, record: SyncRecord) -> bool:
    """Does the accountant's failed queue list this record (searched by its id)?"""
    page = client.get(QUEUE + f"&q=%23{record.pk}").content.decode()
    return f"/admin/spectrum_sync/syncrecord/{record.pk}/change/" in page


def received(platform: Any) -> list[str]:
    return [item["key"] for item in platform.items("acme", "customers")]


def test_a_failure_followed_by_a_successful_poll_leaves_the_queue_but_stays_in_history(
    wired: Tenant,
    accountant: Client,
    platform_simulator: Any,  # noqa: F811
) -> None:
    failures = failed_poll(wired, platform_simulator)
    assert in_queue(accountant, failures[0])

    run = actions.run_in_foreground(wired, "customer")

    assert run.status == SyncRun.Status.SUCCEEDED and run.created_count == len(failures)
    assert set(received(platform_simulator)) == {f.spectrum_key for f in failures}
    assert not SyncRecord.objects.filter(direction=Direction.IMPORT, status=SyncStatus.FAILED).exists()
    assert not in_queue(accountant, failures[0])
    history = accountant.get(f"/admin/spectrum_sync/syncrecord/{failures[0].pk}/change/").content.decode()
    assert "Superseded by a later delivery" in history
    assert f"Delivered again by schedule run {run.pk}" in history or f"run {run.pk}" in history


def test_retry_delivers_the_record_to_the_platform_and_the_next_poll_does_not_resend_it(
    wired: Tenant,
    accountant: Client,
    platform_simulator: Any,  # noqa: F811
) -> None:
    failures = failed_poll(wired, platform_simulator)
    chosen = failures[0]

    response = accountant.post(f"/admin/spectrum_sync/syncrecord/{chosen.pk}/retry/", follow=True)

    assert "1 import record(s) delivered to the platform again" in response.content.decode()
    assert received(platform_simulator) == [chosen.spectrum_key]
    chosen.refresh_from_db()
    assert chosen.status == SyncStatus.SUPERSEDED
    assert SyncRecord.objects.filter(spectrum_key=chosen.spectrum_key, status=SyncStatus.SUCCEEDED).count() == 1
    assert LogEntry.objects.filter(object_id=str(chosen.pk), change_message__startswith="Retried").exists()

    after = actions.run_in_foreground(wired, "customer")

    # The retry told the mirror, so only the records still missing on the platform are sent now.
    assert after.created_count == len(failures) - 1
    assert received(platform_simulator).count(chosen.spectrum_key) == 1


def test_a_bulk_retry_that_fails_again_keeps_one_failure_per_record_with_todays_reason(
    wired: Tenant,
    accountant: Client,
    platform_simulator: Any,  # noqa: F811
) -> None:
    failures = failed_poll(wired, platform_simulator)
    platform_simulator.fail(count=1, status=400)

    page = accountant.post(
        "/admin/spectrum_sync/syncrecord/",
        {"action": "retry_selected", "_selected_action": [f.pk for f in failures]},
        follow=True,
    ).content.decode()

    assert "failed again" in page
    assert received(platform_simulator) == []
    still = SyncRecord.objects.filter(direction=Direction.IMPORT, status=SyncStatus.FAILED)
    assert still.count() == len(failures)  # the retry's own records; the retried ones left the queue
    assert not still.filter(pk__in=[f.pk for f in failures]).exists()


def test_dismiss_one_and_many_with_a_reason_records_who_when_and_why(
    wired: Tenant,
    accountant: Client,
    platform_simulator: Any,  # noqa: F811
) -> None:
    failures = failed_poll(wired, platform_simulator)
    first, rest = failures[0], failures[1:4]

    refused = accountant.post(f"/admin/spectrum_sync/syncrecord/{first.pk}/dismiss/", {"reason": " "}, follow=True)
    assert "Say why" in refused.content.decode()
    first.refresh_from_db()
    assert first.status == SyncStatus.FAILED

    accountant.post(f"/admin/spectrum_sync/syncrecord/{first.pk}/dismiss/", {"reason": "test tenant, set up twice"})
    accountant.post(
        "/admin/spectrum_sync/syncrecord/",
        {"action": "dismiss_selected", "_selected_action": [r.pk for r in rest], "confirm": "yes", "reason": "dupes"},
    )

    for record, reason in ((first, "test tenant, set up twice"), *((r, "dupes") for r in rest)):
        record.refresh_from_db()
        assert (record.status, record.resolution_note) == (SyncStatus.DISMISSED, reason)
        assert record.resolved_by is not None and record.resolved_by.username == "alice"
        assert record.resolved_at is not None
    assert not in_queue(accountant, first) and not in_queue(accountant, rest[0])
    assert in_queue(accountant, failures[5])
    assert received(platform_simulator) == []


def test_bypass_no_longer_says_imports_cannot_be_bypassed(
    wired: Tenant,
    accountant: Client,
    platform_simulator: Any,  # noqa: F811
) -> None:
    failures = failed_poll(wired, platform_simulator)
    page = accountant.post(
        "/admin/spectrum_sync/syncrecord/",
        {"action": "bypass_selected", "_selected_action": [failures[0].pk], "confirm": "yes", "reason": "x"},
        follow=True,
    ).content.decode()
    assert "cannot be bypassed" not in page
    assert "dismiss it with a reason" in page
    single = accountant.get(f"/admin/spectrum_sync/syncrecord/{failures[0].pk}/change/").content.decode()
    assert 'id="retry-button"' in single and 'id="dismiss-button"' in single
