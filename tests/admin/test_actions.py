"""Admin buttons call the engines and land in the admin log with who did it.

Retry and bypass go through the export engine (exports only); sync now, full resync and reset on the
poll schedules go through the import engine; an edited interval goes through ``set_interval``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from spectrum_sync.imports import dispatcher
from spectrum_sync.models import Direction, MirrorRecord, ObjectType, PollSchedule, SyncRun, SyncStatus
from tests.admin.world import World, client_for, make_record

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


SCHEDULES = reverse("admin:spectrum_sync_pollschedule_changelist")


def test_reset_forgets_the_mirror_of_the_selected_object_types_and_is_logged(world: World) -> None:
    schedule = PollSchedule.objects.get(tenant=world.acme, object_type="customer")
    response = client_for(world.staff).post(
        SCHEDULES,
        {"action": "reset_state", "_selected_action": [schedule.pk]},
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


@pytest.fixture
def enqueued(monkeypatch: Any) -> list[tuple[list[tuple[int, int]], str]]:
    """Polls the import engine hands to Celery, kept here instead (the poll itself is tested in tests/imports)."""
    sent: list[tuple[list[tuple[int, int]], str]] = []
    monkeypatch.setattr(dispatcher, "enqueue_polls", lambda claimed, trigger: sent.append((claimed, trigger)))
    return sent


def test_schedule_sync_now_and_full_resync_start_polls_and_are_logged(world: World, enqueued: list[Any]) -> None:
    schedule = PollSchedule.objects.get(tenant=world.acme, object_type="customer")
    client = client_for(world.staff)

    page = client.post(SCHEDULES, {"action": "sync_now", "_selected_action": [schedule.pk]}, follow=True)
    assert "started: customer" in page.content.decode()
    assert len(enqueued) == 1
    claimed, trigger = enqueued[0]
    assert trigger == SyncRun.Trigger.MANUAL and [pk for pk, _token in claimed] == [schedule.pk]

    # The poll just started holds the lease: a full resync now says so instead of starting a second one.
    page = client.post(SCHEDULES, {"action": "full_resync", "_selected_action": [schedule.pk]}, follow=True)
    assert "already running: customer" in page.content.decode()
    assert len(enqueued) == 1

    messages = list(LogEntry.objects.filter(user=world.staff, content_type__model="tenant").order_by("pk"))
    assert [e.change_message for e in messages] == [
        "Sync now (customer): started: customer",
        "Full resync (customer): already running: customer",
    ]


def test_schedule_actions_are_for_staff_only(world: World) -> None:
    body = client_for(world.staff).get(SCHEDULES).content.decode()
    assert all(f'value="{name}"' in body for name in ("sync_now", "full_resync", "reset_state"))
    body = client_for(world.manager).get(SCHEDULES).content.decode()
    assert "customer" in body.lower()  # the manager sees the schedules…
    assert not any(f'value="{name}"' in body for name in ("sync_now", "full_resync", "reset_state"))  # …no buttons
    client_for(world.manager).post(
        SCHEDULES,
        {"action": "reset_state", "_selected_action": [PollSchedule.objects.get(tenant=world.acme).pk]},
    )
    assert MirrorRecord.objects.filter(tenant=world.acme).exists()


def far_future_schedule(world: World) -> PollSchedule:
    schedule = PollSchedule.objects.get(tenant=world.acme, object_type="customer")
    schedule.interval_minutes = 240
    schedule.next_due_at = timezone.now() + dt.timedelta(hours=4)
    schedule.save()
    return schedule


def test_a_shorter_interval_in_the_form_takes_effect_at_once(world: World) -> None:
    schedule = far_future_schedule(world)
    url = reverse("admin:spectrum_sync_pollschedule_change", args=[schedule.pk])
    response = client_for(world.staff).post(
        url, {"tenant": world.acme.pk, "object_type": "customer", "enabled": "on", "interval_minutes": 5}
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.interval_minutes == 5
    assert schedule.next_due_at <= timezone.now() + dt.timedelta(minutes=5)


def test_a_shorter_interval_in_the_list_takes_effect_at_once(world: World) -> None:
    schedule = far_future_schedule(world)
    response = client_for(world.staff).post(
        SCHEDULES,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": schedule.pk,
            "form-0-enabled": "on",
            "form-0-interval_minutes": "2",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.interval_minutes == 2
    assert schedule.next_due_at <= timezone.now() + dt.timedelta(minutes=2)
    entry = LogEntry.objects.get(object_id=str(schedule.pk), content_type__model="pollschedule")
    assert entry.user == world.staff


def test_a_longer_interval_keeps_the_poll_that_is_already_due_soon(world: World) -> None:
    schedule = PollSchedule.objects.get(tenant=world.acme, object_type="customer")
    due = timezone.now() + dt.timedelta(minutes=3)
    PollSchedule.objects.filter(pk=schedule.pk).update(next_due_at=due)
    client_for(world.staff).post(
        reverse("admin:spectrum_sync_pollschedule_change", args=[schedule.pk]),
        {"tenant": world.acme.pk, "object_type": "customer", "enabled": "on", "interval_minutes": 120},
    )
    schedule.refresh_from_db()
    assert schedule.interval_minutes == 120 and schedule.next_due_at == due


def test_saving_a_schedule_leaves_a_running_polls_lease_alone(world: World) -> None:
    schedule = PollSchedule.objects.get(tenant=world.acme, object_type="customer")
    url = reverse("admin:spectrum_sync_pollschedule_change", args=[schedule.pk])
    client = client_for(world.staff)
    client.get(url)
    # A poll takes the lease while the form is open in the browser.
    expires = timezone.now() + dt.timedelta(minutes=5)
    PollSchedule.objects.filter(pk=schedule.pk).update(fencing_token=7, lease_owner="worker", lease_expires_at=expires)
    client.post(url, {"tenant": world.acme.pk, "object_type": "customer", "enabled": "", "interval_minutes": 10})
    schedule.refresh_from_db()
    assert (schedule.enabled, schedule.interval_minutes) == (False, 10)
    assert (schedule.fencing_token, schedule.lease_owner, schedule.lease_expires_at) == (7, "worker", expires)


def posted_values(form: Any) -> dict[str, Any]:
    """What a browser would send for ``form`` as rendered (unchecked boxes and empty values left out)."""
    data: dict[str, Any] = {}
    for bound in form:
        value = bound.value()
        if value is True:
            data[bound.html_name] = "on"
        elif value is not False and value not in (None, "", []):  # 0 is sent ("0"), as a browser does
            data[bound.html_name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


def test_a_shorter_interval_in_the_tenants_schedule_table_takes_effect_at_once(world: World) -> None:
    schedule = far_future_schedule(world)
    url = reverse("admin:spectrum_sync_tenant_change", args=[world.acme.pk])
    client = client_for(world.superuser)
    page = client.get(url).context
    data = posted_values(page["adminform"].form)
    for inline in page["inline_admin_formsets"]:
        data |= posted_values(inline.formset.management_form)
        for form in inline.formset.forms:
            data |= posted_values(form)
    data["poll_schedules-0-interval_minutes"] = "3"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    schedule.refresh_from_db()
    assert schedule.interval_minutes == 3
    assert schedule.next_due_at <= timezone.now() + dt.timedelta(minutes=3)


def failed_import(world: World) -> Any:
    return make_record(
        world.acme,
        "",
        SyncStatus.FAILED,
        direction=Direction.IMPORT,
        object_type=ObjectType.VENDOR,
        spectrum_key="V100",
        error_message="Platform rejected the vendor",
    )


def test_import_failures_offer_retry_and_dismiss_not_bypass_on_their_page(world: World) -> None:
    record = failed_import(world)
    text = client_for(world.accountant).get(reverse("admin:spectrum_sync_syncrecord_change", args=[record.pk]))
    body = text.content.decode()
    assert text.status_code == 200
    assert 'id="retry-button"' in body and 'id="dismiss-button"' in body and 'id="bypass-button"' not in body
    assert "The platform said:" in body and "the next poll of Vendor delivers it again" in body
    export_page = client_for(world.accountant).get(
        reverse("admin:spectrum_sync_syncrecord_change", args=[world.acme_failed.pk])
    )
    assert 'id="retry-button"' in export_page.content.decode()


def test_import_list_offers_retry_and_dismiss_and_the_export_list_retry_and_bypass(world: World) -> None:
    client = client_for(world.accountant)
    imports = client.get(CHANGELIST, {"direction__exact": "import"}).content.decode()
    assert 'value="retry_selected"' in imports and 'value="dismiss_selected"' in imports
    assert 'value="bypass_selected"' not in imports
    exports = client.get(CHANGELIST, {"direction__exact": "export"}).content.decode()
    assert 'value="retry_selected"' in exports and 'value="bypass_selected"' in exports
    assert 'value="dismiss_selected"' not in exports


def test_import_records_selected_with_exports_are_not_bypassed(world: World) -> None:
    record = failed_import(world)
    page = client_for(world.accountant).post(
        CHANGELIST,
        {"action": "bypass_selected", "_selected_action": [world.acme_failed.pk, record.pk], "confirm": "yes",
         "reason": "entered by hand"},
        follow=True,
    )  # fmt: skip
    assert "1 import record(s) skipped" in page.content.decode()
    assert "dismiss it with a reason" in page.content.decode()
    assert "1 record(s) marked as entered by hand in Spectrum" in page.content.decode()
    record.refresh_from_db()
    assert record.status == SyncStatus.FAILED
    assert log_of(world, record.pk) == []


def test_an_import_record_cannot_be_bypassed_by_url(world: World) -> None:
    record = failed_import(world)
    client_for(world.accountant).post(
        reverse("admin:spectrum_sync_syncrecord_bypass", args=[record.pk]), {"reason": "by hand"}
    )
    record.refresh_from_db()
    assert record.status == SyncStatus.FAILED
    assert log_of(world, record.pk) == []


def test_enabling_a_tenant_on_onboarding_creates_its_poll_schedules(world: World) -> None:
    world.acme.active = False
    world.acme.save()
    PollSchedule.objects.filter(tenant=world.acme).delete()
    url = reverse("admin:spectrum_sync_tenant_onboarding", args=[world.acme.pk])
    page = client_for(world.staff).post(url, {"step": "enable"}, follow=True)
    world.acme.refresh_from_db()
    assert world.acme.active
    polled = set(PollSchedule.objects.filter(tenant=world.acme).values_list("object_type", flat=True))
    assert {"customer", "vendor", "job"} <= polled  # what the web services can read
    assert f"{len(polled)} object types are polled" in page.content.decode()
