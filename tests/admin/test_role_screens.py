"""Each role can do its job and is refused what is not its job."""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.urls import reverse

from spectrum_sync.models import PollSchedule
from tests.admin.world import World, client_for

CHANGELIST = "admin:spectrum_sync_syncrecord_changelist"


def action_names(body: str) -> set[str]:
    return {name for name in ("retry_selected", "bypass_selected", "delete_selected") if f'value="{name}"' in body}


def test_accountant_sees_retry_and_bypass_actions_manager_does_not(world: World) -> None:
    accountant = client_for(world.accountant).get(reverse(CHANGELIST)).content.decode()
    manager = client_for(world.manager).get(reverse(CHANGELIST)).content.decode()
    assert action_names(accountant) == {"retry_selected", "bypass_selected"}
    assert action_names(manager) == set()


def test_manager_cannot_retry_or_bypass_by_url(world: World) -> None:
    client = client_for(world.manager)
    pk = world.acme_failed.pk
    assert client.post(reverse("admin:spectrum_sync_syncrecord_retry", args=[pk])).status_code == 403
    assert client.post(reverse("admin:spectrum_sync_syncrecord_bypass", args=[pk]), {"reason": "x"}).status_code == 403
    world.acme_failed.refresh_from_db()
    assert world.acme_failed.status == "failed"


def test_only_managers_export_csv_and_see_the_dashboard(world: World) -> None:
    for user in (world.accountant, world.staff):
        client = client_for(user)
        assert client.get(reverse("admin:spectrum_sync_syncrecord_export")).status_code == 403
        assert client.get(reverse("admin:spectrum_sync_dashboard")).status_code == 403
    client = client_for(world.manager)
    assert client.get(reverse("admin:spectrum_sync_syncrecord_export")).status_code == 200
    assert client.get(reverse("admin:spectrum_sync_dashboard")).status_code == 200


def test_sync_record_is_read_only_for_everyone_but_superusers(world: World) -> None:
    url = reverse("admin:spectrum_sync_syncrecord_change", args=[world.acme_failed.pk])
    for user in (world.staff, world.accountant, world.manager, world.all_manager):
        client = client_for(user)
        body = client.get(url).content.decode()
        assert 'name="_save"' not in body
        assert client.post(url, {"resolution_note": "edited"}).status_code == 403
        assert client.get(reverse("admin:spectrum_sync_syncrecord_add")).status_code == 403
        assert (
            client.post(reverse("admin:spectrum_sync_syncrecord_delete", args=[world.acme_failed.pk])).status_code
            == 403
        )
    assert 'name="_save"' in client_for(world.superuser).get(url).content.decode()


def test_accountant_and_manager_cannot_change_a_tenant_or_its_secrets(world: World) -> None:
    url = reverse("admin:spectrum_sync_tenant_change", args=[world.acme.pk])
    for user in (world.accountant, world.manager):
        client = client_for(user)
        body = client.get(url).content.decode()
        assert "ACMEAUTH42" not in body
        assert client.post(url, {"name": "Renamed"}).status_code == 403


def test_only_staff_run_onboarding_steps(world: World) -> None:
    url = reverse("admin:spectrum_sync_tenant_onboarding", args=[world.acme.pk])
    for user in (world.accountant, world.manager):
        assert client_for(user).post(url, {"step": "schedule"}).status_code == 403
    response = client_for(world.staff).post(url, {"step": "schedule"}, follow=True)
    assert response.status_code == 200
    assert PollSchedule.objects.filter(tenant=world.acme).count() >= 4
    entry = LogEntry.objects.get(user=world.staff)
    assert "Onboarding: schedule" in entry.change_message


def test_staff_onboarding_page_walks_through_the_steps(world: World) -> None:
    body = client_for(world.staff).get(reverse("admin:spectrum_sync_tenant_onboarding", args=[world.acme.pk]))
    text = body.content.decode()
    for title in ("Spectrum connection", "Test connection", "Import reference data", "Poll schedule", "Enable"):
        assert title in text
    assert "ACMEAUTH42" not in text  # the Authorization ID is entered, never shown back
    assert "Authorization ID set" in text


def test_staff_sees_secrets_as_set_but_never_their_value(world: World) -> None:
    body = client_for(world.staff).get(reverse("admin:spectrum_sync_tenant_change", args=[world.acme.pk]))
    text = body.content.decode()
    assert "ACMEAUTH42" not in text and "platform-signing-secret-acme" not in text
    assert "Set; leave blank to keep it." in text


def test_schedule_change_is_in_the_admin_log_with_who_did_it(world: World) -> None:
    schedule = PollSchedule.objects.get(tenant=world.acme)
    url = reverse("admin:spectrum_sync_pollschedule_change", args=[schedule.pk])
    response = client_for(world.staff).post(
        url, {"tenant": world.acme.pk, "object_type": "customer", "enabled": "on", "interval_minutes": 5}
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.interval_minutes == 5
    entry = LogEntry.objects.get(object_id=str(schedule.pk), content_type__model="pollschedule")
    assert entry.user == world.staff
    assert "Interval" in entry.get_change_message()


def test_staff_cannot_schedule_for_a_tenant_they_do_not_serve(world: World) -> None:
    response = client_for(world.staff).post(
        reverse("admin:spectrum_sync_pollschedule_add"),
        {"tenant": world.bolt.pk, "object_type": "job", "enabled": "on", "interval_minutes": 5},
    )
    assert response.status_code == 200  # the form is shown again with an error
    assert not PollSchedule.objects.filter(tenant=world.bolt, object_type="job").exists()


def test_failed_record_page_explains_and_links_to_the_fix(world: World) -> None:
    url = reverse("admin:spectrum_sync_syncrecord_change", args=[world.acme_failed.pk])
    text = client_for(world.accountant).get(url).content.decode()
    assert "GL Account does not match GL Mask" in text
    assert "GL_Account" in text
    assert "GL mask" in text  # the plain-language explanation
    assert 'id="retry-button"' in text and 'id="bypass-button"' in text


def test_attempt_history_shows_request_and_response_with_secrets_redacted(world: World) -> None:
    url = reverse("admin:spectrum_sync_syncrecord_change", args=[world.acme_failed.pk])
    text = client_for(world.accountant).get(url).content.decode()
    assert "AddARInvoice" in text
    assert "&lt;GL_Account&gt;40-100" in text
    assert "ACMEAUTH42" not in text
    assert "********" in text


def test_home_page_points_each_role_to_its_work(world: World) -> None:
    accountant = client_for(world.accountant).get(reverse("admin:index")).content.decode()
    manager = client_for(world.manager).get(reverse("admin:index")).content.decode()
    staff = client_for(world.staff).get(reverse("admin:index")).content.decode()
    assert "shortcut-failed" in accountant and "shortcut-dashboard" not in accountant
    assert "shortcut-dashboard" in manager and "shortcut-failed" not in manager
    assert "shortcut-onboarding" in staff and "shortcut-failed" not in staff


def test_superuser_decides_who_serves_a_tenant(world: World) -> None:
    url = reverse("admin:spectrum_sync_tenant_change", args=[world.acme.pk])
    assert 'name="staff"' in client_for(world.superuser).get(url).content.decode()
    assert 'name="staff"' not in client_for(world.staff).get(url).content.decode()
