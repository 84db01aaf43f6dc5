"""A staff member limited to one tenant never sees another's data, on any screen."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.admin.world import World, client_for

LISTS = [
    "admin:spectrum_sync_syncrecord_changelist",
    "admin:spectrum_sync_syncrun_changelist",
    "admin:spectrum_sync_mirrorrecord_changelist",
    "admin:spectrum_sync_pollschedule_changelist",
    "admin:spectrum_sync_tenant_changelist",
]


def limited_users(world: World) -> list[User]:
    return [world.staff, world.accountant, world.manager]


@pytest.mark.parametrize("url_name", LISTS)
def test_lists_show_only_served_tenants(world: World, url_name: str) -> None:
    for user in limited_users(world):
        response = client_for(user).get(reverse(url_name))
        if response.status_code == 403:  # the role has no business on this list at all
            continue
        body = response.content.decode()
        assert response.status_code == 200, (user, url_name)
        assert "Bolt" not in body and "BOLT" not in body, (user.username, url_name)


def test_everyone_served_sees_acme_history(world: World) -> None:
    for user in limited_users(world):
        body = client_for(user).get(reverse("admin:spectrum_sync_syncrecord_changelist")).content.decode()
        assert "INV-1001" in body


def test_detail_of_another_tenants_record_is_not_shown(world: World) -> None:
    url = reverse("admin:spectrum_sync_syncrecord_change", args=[world.bolt_failed.pk])
    for user in limited_users(world):
        response = client_for(user).get(url, follow=True)
        assert "BOLT-9" not in response.content.decode()
        assert "Customer Code is required" not in response.content.decode()


def test_detail_of_another_tenant_is_not_shown(world: World) -> None:
    for name in ("admin:spectrum_sync_tenant_change", "admin:spectrum_sync_tenant_onboarding"):
        response = client_for(world.staff).get(reverse(name, args=[world.bolt.pk]), follow=True)
        assert "Bolt Electric" not in response.content.decode()


def test_tenant_filter_offers_only_served_tenants(world: World) -> None:
    body = client_for(world.manager).get(reverse("admin:spectrum_sync_syncrecord_changelist")).content.decode()
    assert "Acme Mechanical" in body
    assert "Bolt Electric" not in body


def test_csv_export_holds_only_served_tenants(world: World) -> None:
    response = client_for(world.manager).get(reverse("admin:spectrum_sync_syncrecord_export"))
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "INV-1001" in text
    assert "BOLT-9" not in text


def test_csv_export_cannot_be_steered_to_another_tenant(world: World) -> None:
    url = reverse("admin:spectrum_sync_syncrecord_export") + f"?tenant={world.bolt.pk}"
    text = b"".join(client_for(world.manager).get(url).streaming_content).decode()  # type: ignore[attr-defined]
    assert "BOLT-9" not in text


def test_dashboard_charts_only_served_tenants(world: World) -> None:
    body = client_for(world.manager).get(reverse("admin:spectrum_sync_dashboard")).content.decode()
    assert "Acme Mechanical" in body
    assert "Bolt Electric" not in body


def test_actions_cannot_reach_another_tenants_record(world: World) -> None:
    client = client_for(world.accountant)
    retry = client.post(reverse("admin:spectrum_sync_syncrecord_retry", args=[world.bolt_failed.pk]))
    bypass = client.post(
        reverse("admin:spectrum_sync_syncrecord_bypass", args=[world.bolt_failed.pk]), {"reason": "by hand"}
    )
    assert retry.status_code == 404 and bypass.status_code == 404
    # The bulk action only ever sees rows of the scoped queryset.
    client.post(
        reverse("admin:spectrum_sync_syncrecord_changelist"),
        {"action": "bypass_selected", "_selected_action": [world.bolt_failed.pk], "confirm": "yes", "reason": "x"},
    )
    world.bolt_failed.refresh_from_db()
    assert world.bolt_failed.status == "failed"


def test_tenant_dropdowns_offer_only_served_tenants(world: World) -> None:
    body = client_for(world.staff).get(reverse("admin:spectrum_sync_pollschedule_add")).content.decode()
    assert "Acme Mechanical" in body
    assert "Bolt Electric" not in body


def test_a_user_with_no_tenant_sees_nothing(world: World) -> None:
    from tests.admin.world import make_user

    nobody = make_user("newhire", "Manager")
    body = client_for(nobody).get(reverse("admin:spectrum_sync_syncrecord_changelist")).content.decode()
    assert "INV-1001" not in body and "BOLT-9" not in body


def test_all_tenants_permission_and_superuser_see_everything(world: World) -> None:
    for user in (world.all_manager, world.superuser):
        body = client_for(user).get(reverse("admin:spectrum_sync_syncrecord_changelist")).content.decode()
        assert "INV-1001" in body and "BOLT-9" in body
