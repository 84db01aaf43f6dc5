"""The three roles, as Django groups with exactly their permissions.

Created by a data migration (``spectrum_sync/migrations/0003_admin_roles.py``) through
:func:`sync_roles`, which is idempotent: running it again resets each group to exactly this list,
so a permission granted by hand to a role group is taken back. Permissions of apps that are not
installed yet (mappings and notifications models are built separately) are skipped and picked up
the next time it runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

IMPLEMENTATION_STAFF = "Implementation staff"
ACCOUNTANT = "Accountant"
MANAGER = "Manager"

# Permissions that no model's Meta declares, created here: (app label, model, codename, name).
EXTRA_PERMISSIONS: tuple[tuple[str, str, str, str], ...] = (
    ("spectrum_sync", "tenant", "access_all_tenants", "Can see every tenant, not only the ones served"),
    ("spectrum_sync", "tenant", "onboard_tenant", "Can onboard a tenant: test connection, sync now, enable"),
    ("spectrum_sync", "syncrecord", "export_syncrecord", "Can export sync history as CSV"),
    ("spectrum_sync", "syncrecord", "view_dashboard", "Can see the sync dashboard"),
    ("spectrum_sync", "reconciliationreport", "run_reconciliation", "Can run a reconciliation now (it only reads)"),
)


def _crud(app: str, model: str, actions: Iterable[str] = ("add", "change", "delete", "view")) -> list[str]:
    return [f"{app}.{action}_{model}" for action in actions]


# Mapping, notification and link models are matched by app label: every model those apps have.
WHOLE_APPS_FOR_STAFF = ("mappings", "notifications", "linking")
WHOLE_APPS_VIEW_FOR_ACCOUNTANT = ("mappings",)

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Onboards customers: tenant, connection, schedule, mappings, notifications. Reads the ledger.
    IMPLEMENTATION_STAFF: [
        *_crud("spectrum_sync", "tenant", ("add", "change", "view")),
        *_crud("spectrum_sync", "spectrumconnection", ("add", "change", "view")),
        *_crud("spectrum_sync", "pollschedule", ("add", "change", "view")),
        "spectrum_sync.onboard_tenant",
        "spectrum_sync.view_mirrorrecord",
        "spectrum_sync.view_syncrun",
        "spectrum_sync.view_syncrecord",
        "spectrum_sync.view_syncattempt",
        "spectrum_sync.view_pendingdeletion",
        "spectrum_sync.decide_pendingdeletion",
        # Which export types wait for an accountant's approval (the tenant page's approval rules).
        *_crud("spectrum_sync", "approvalrule"),
    ],
    # Fixes what failed: sees records and attempts, retries, bypasses, corrects mappings.
    ACCOUNTANT: [
        "spectrum_sync.view_tenant",
        "spectrum_sync.view_syncrecord",
        "spectrum_sync.view_syncattempt",
        "spectrum_sync.retry_syncrecord",
        "spectrum_sync.bypass_syncrecord",
        "spectrum_sync.view_mirrorrecord",
        # Reconciliation: read reports, run one now (it only reads Spectrum).
        "spectrum_sync.view_reconciliationreport",
        "spectrum_sync.run_reconciliation",
        # Approval queue: approve or reject exports that wait for them.
        "spectrum_sync.approve_syncrecord",
        "spectrum_sync.view_approvalrule",
    ],
    # Watches: history, runs, dashboard, CSV export, the approval queue (view only). Changes nothing.
    MANAGER: [
        "spectrum_sync.view_tenant",
        "spectrum_sync.view_syncrecord",
        "spectrum_sync.view_syncattempt",
        "spectrum_sync.view_syncrun",
        "spectrum_sync.view_pollschedule",
        "spectrum_sync.export_syncrecord",
        "spectrum_sync.view_dashboard",
        "spectrum_sync.view_reconciliationreport",
        "spectrum_sync.run_reconciliation",
        "spectrum_sync.view_approvalrule",
    ],
}

# Mapping models: staff configure them; accountants fix them, which often means adding the row a
# failed document needs (add + change + view, no delete). Tenants and connections stay staff's.
APP_WIDE: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    IMPLEMENTATION_STAFF: [(app, ("add", "change", "delete", "view")) for app in WHOLE_APPS_FOR_STAFF],
    ACCOUNTANT: [(app, ("add", "change", "view")) for app in WHOLE_APPS_VIEW_FOR_ACCOUNTANT],
    MANAGER: [],
}


def _ensure_extra_permissions(apps: Any) -> None:
    content_type_model = apps.get_model("contenttypes", "ContentType")
    permission_model = apps.get_model("auth", "Permission")
    for app_label, model, codename, name in EXTRA_PERMISSIONS:
        content_type, _ = content_type_model.objects.get_or_create(app_label=app_label, model=model)
        permission_model.objects.get_or_create(content_type=content_type, codename=codename, defaults={"name": name})


def _permissions_of_role(apps: Any, role: str) -> list[Any]:
    permission_model = apps.get_model("auth", "Permission")
    found = []
    for dotted in ROLE_PERMISSIONS[role]:
        app_label, codename = dotted.split(".", 1)
        found.extend(permission_model.objects.filter(content_type__app_label=app_label, codename=codename))
    for app_label, actions in APP_WIDE[role]:
        for permission in permission_model.objects.filter(content_type__app_label=app_label):
            if permission.codename.split("_", 1)[0] in actions:
                found.append(permission)
    return found


def sync_roles(apps: Any = None) -> None:
    """Create the three groups and give each exactly its permissions (``apps``: a migration's registry)."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    _ensure_extra_permissions(apps)
    group_model = apps.get_model("auth", "Group")
    for role in ROLE_PERMISSIONS:
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.set(_permissions_of_role(apps, role))
