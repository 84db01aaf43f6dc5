"""Retry and bypass from the admin go through the export engine and land in the admin log with who did it."""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.urls import reverse

from spectrum_sync.models import SyncStatus
from tests.admin.world import World, client_for

CHANGELIST = reverse("admin:spectrum_sync_syncrecord_changelist")


def log_of(world: World, record_pk: int) -> list[str]:
    entries = LogEntry.objects.filter(object_id=str(record_pk), content_type__model="syncrecord", user=world.accountant)
    return [e.change_message for e in entries]


def test_retry_one_from_its_page(world: World) -> None:
    response = client_for(world.accountant).post(
        reverse("admin:spectrum_sync_syncrecord_retry", args=[world.acme_failed.pk]), {"note": "GL mapping fixed"}
    )
    assert response.status_code == 302
    world.acme_failed.refresh_from_db()
    assert world.acme_failed.status == SyncStatus.PENDING
    assert world.acme_failed.resolved_by == world.accountant
    assert log_of(world, world.acme_failed.pk) == ["Retried: GL mapping fixed"]


def test_retry_selected_leaves_succeeded_records_alone(world: World) -> None:
    response = client_for(world.accountant).post(
        CHANGELIST,
        {"action": "retry_selected", "_selected_action": [world.acme_failed.pk, world.acme_ok.pk]},
        follow=True,
    )
    assert "Retry started for 1 record" in response.content.decode()
    assert "1 record(s) skipped" in response.content.decode()
    world.acme_failed.refresh_from_db()
    world.acme_ok.refresh_from_db()
    assert world.acme_failed.status == SyncStatus.PENDING
    assert world.acme_ok.status == SyncStatus.SUCCEEDED
    assert log_of(world, world.acme_ok.pk) == []


def test_bypass_needs_a_reason_and_records_it(world: World) -> None:
    client = client_for(world.accountant)
    url = reverse("admin:spectrum_sync_syncrecord_bypass", args=[world.acme_failed.pk])
    client.post(url, {"reason": "  "})
    world.acme_failed.refresh_from_db()
    assert world.acme_failed.status == SyncStatus.FAILED

    client.post(url, {"reason": "entered by hand as invoice 88812"})
    world.acme_failed.refresh_from_db()
    assert world.acme_failed.status == SyncStatus.BYPASSED
    assert "88812" in world.acme_failed.resolution_note
    assert log_of(world, world.acme_failed.pk) == [
        "Bypassed (entered by hand in Spectrum): entered by hand as invoice 88812"
    ]


def test_bypass_selected_asks_for_a_reason_first(world: World) -> None:
    client = client_for(world.accountant)
    form = client.post(CHANGELIST, {"action": "bypass_selected", "_selected_action": [world.acme_failed.pk]})
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    world.acme_failed.refresh_from_db()
    assert world.acme_failed.status == SyncStatus.FAILED
    client.post(
        CHANGELIST,
        {
            "action": "bypass_selected",
            "_selected_action": [world.acme_failed.pk],
            "confirm": "yes",
            "reason": "keyed in Spectrum",
        },
    )
    world.acme_failed.refresh_from_db()
    assert world.acme_failed.status == SyncStatus.BYPASSED


def test_reset_forgets_the_mirror_of_the_selected_object_types_and_is_logged(world: World) -> None:
    from spectrum_sync.models import MirrorRecord, PollSchedule

    schedule = PollSchedule.objects.get(tenant=world.acme, object_type="customer")
    response = client_for(world.staff).post(
        reverse("admin:spectrum_sync_pollschedule_changelist"),
        {"action": "reset_selected", "_selected_action": [schedule.pk]},
        follow=True,
    )
    assert "1 mirrored records of customer forgotten" in response.content.decode()
    assert not MirrorRecord.objects.filter(tenant=world.acme, object_type="customer").exists()
    assert MirrorRecord.objects.filter(tenant=world.bolt).exists()
    entry = LogEntry.objects.get(user=world.staff, content_type__model="tenant")
    assert entry.change_message == "Reset customer: 1 mirror rows forgotten"


def test_poll_actions_are_staff_only(world: World) -> None:
    for user in (world.accountant, world.manager):
        body = client_for(user).get(reverse("admin:spectrum_sync_tenant_changelist")).content.decode()
        assert 'value="sync_now"' not in body and 'value="full_resync"' not in body
    body = client_for(world.staff).get(reverse("admin:spectrum_sync_tenant_changelist")).content.decode()
    assert 'value="sync_now"' in body and 'value="full_resync"' in body
