"""The three roles exist as groups with exactly their permissions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group

from spectrum_sync.adminsite.roles import ACCOUNTANT, IMPLEMENTATION_STAFF, MANAGER, sync_roles


def perms(role: str) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=role).permissions.all()}


def test_accountant_can_fix_but_not_configure(db: Any) -> None:
    accountant = perms(ACCOUNTANT)
    assert {"spectrum_sync.retry_syncrecord", "spectrum_sync.bypass_syncrecord"} <= accountant
    assert "spectrum_sync.change_tenant" not in accountant
    assert "spectrum_sync.change_spectrumconnection" not in accountant
    assert "spectrum_sync.export_syncrecord" not in accountant
    assert not any(p.startswith("spectrum_sync.delete_") for p in accountant)


def test_manager_only_watches(db: Any) -> None:
    manager = perms(MANAGER)
    assert {
        "spectrum_sync.view_syncrecord",
        "spectrum_sync.export_syncrecord",
        "spectrum_sync.view_dashboard",
    } <= manager
    assert not any(p.split(".")[1].startswith(("add_", "change_", "delete_", "retry_", "bypass_")) for p in manager)


def test_staff_onboards_but_does_not_touch_the_ledger(db: Any) -> None:
    staff = perms(IMPLEMENTATION_STAFF)
    assert {
        "spectrum_sync.change_tenant",
        "spectrum_sync.change_spectrumconnection",
        "spectrum_sync.onboard_tenant",
    } <= staff
    assert {"spectrum_sync.change_pollschedule"} <= staff
    assert (
        not {"spectrum_sync.retry_syncrecord", "spectrum_sync.bypass_syncrecord", "spectrum_sync.change_syncrecord"}
        & staff
    )
    assert "spectrum_sync.access_all_tenants" not in staff


def test_sync_roles_takes_back_a_permission_granted_by_hand(db: Any) -> None:
    group = Group.objects.get(name=MANAGER)
    from django.contrib.auth.models import Permission

    group.permissions.add(Permission.objects.get(codename="retry_syncrecord"))
    sync_roles()
    assert "spectrum_sync.retry_syncrecord" not in perms(MANAGER)


def test_migrations_give_roles_their_mapping_permissions(db: Any) -> None:
    # Without sync_roles() here: what the migrations alone created on the fresh test database.
    assert {"mappings.change_glaccountmapping", "mappings.view_glaccountmapping"} <= perms(ACCOUNTANT)
    assert "mappings.delete_glaccountmapping" not in perms(ACCOUNTANT)
    assert "mappings.add_glaccountmapping" in perms(IMPLEMENTATION_STAFF)
    assert not any(p.startswith("mappings.") for p in perms(MANAGER))
