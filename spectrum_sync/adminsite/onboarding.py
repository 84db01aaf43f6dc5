"""Self-service onboarding: the steps from a new tenant to its first successful poll, with their status.

Each step reads its status from the rows that already exist (nothing is stored about onboarding
itself), so the page is right even when a step was done elsewhere (a command, another screen).
The buttons call the engines directly: the connection test is the notifications app's health check,
the reference-data import and the schedules are the import engine's actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from spectrum_sync.exports import actions as exports
from spectrum_sync.exports.engine import HOLD_AUTHORIZATION
from spectrum_sync.imports import actions as imports
from spectrum_sync.models import (
    Direction,
    MirrorRecord,
    PollSchedule,
    SpectrumConnection,
    SyncRecord,
    SyncRun,
    SyncStatus,
    Tenant,
)
from spectrum_sync.notifications import schema_check
from spectrum_sync.notifications.health import check_connection

DONE, TODO, PROBLEM = "done", "todo", "problem"


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    status: str
    detail: str
    link: str = ""
    link_label: str = ""
    action: str = ""  # button label; empty when the step is done on another screen
    items: tuple[str, ...] = ()  # one line each under the detail


def _connection(tenant: Tenant) -> SpectrumConnection | None:
    return SpectrumConnection.objects.filter(tenant=tenant).first()


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _rows_in_app(app_label: str, tenant: Tenant, name_part: str = "") -> int | None:
    """How many rows the app's tenant-owned models hold for ``tenant``; None when the app has none."""
    try:
        config = apps.get_app_config(app_label)
    except LookupError:
        return None
    models = [
        m
        for m in config.get_models()
        if any(f.name == "tenant" for f in m._meta.fields) and name_part in (m._meta.model_name or "")
    ]
    if not models:
        return None
    return sum(m._default_manager.filter(tenant=tenant).count() for m in models)


def steps(tenant: Tenant) -> list[Step]:
    connection = _connection(tenant)
    change_url = _url("admin:spectrum_sync_tenant_change", tenant.pk)
    schema = [_schema_step(connection, change_url)] if connection is not None and connection.db_enabled else []
    return [
        _connection_step(connection, change_url),
        _test_step(connection),
        *schema,
        _reference_step(tenant),
        _app_step(
            "mappings",
            "Mappings: GL accounts, departments, tax codes",
            tenant,
            "",
            "mappings",
            "None yet. AR invoices need a revenue GL account for their labor and material lines and "
            "commitments a job-cost GL account (by department, line kind or a default row); until then they are "
            "held. Tax codes default to the job's or the invoice's own.",
        ),
        _app_step("udfs", "UDF configuration", tenant, "udf", "mappings", "None yet: no UDFs are sent."),
        _app_step(
            "notifications",
            "Notification rules",
            tenant,
            "rule",
            "notifications",
            "None yet: nobody is emailed about failures or connection problems.",
        ),
        _schedule_step(tenant),
        _enable_step(tenant),
    ]


def _connection_step(connection: SpectrumConnection | None, change_url: str) -> Step:
    if connection is None or not (connection.base_url and connection.authorization_id and connection.company_codes):
        return Step(
            "connection",
            "Spectrum connection",
            TODO,
            "Enter the Data Exchange URL, Authorization ID and company codes.",
            change_url,
            "Edit connection",
        )
    hosting = connection.get_hosting_display()
    detail = f"{hosting}, {connection.base_url}, companies {', '.join(connection.companies)}; Authorization ID set."
    if connection.db_enabled:
        detail += f" Database {connection.db_host}/{connection.db_name}."
    return Step("connection", "Spectrum connection", DONE, detail, change_url, "Edit connection")


def _test_step(connection: SpectrumConnection | None) -> Step:
    if connection is None:
        return Step("test", "Test connection", TODO, "Enter the connection first.")
    if connection.last_health_ok is None:
        return Step("test", "Test connection", TODO, "Not tested yet.", action="Test connection")
    detail = connection.last_health_detail or {}
    missing = detail.get("missing_services") or []
    version = connection.spectrum_version or "unknown version"
    if connection.last_health_ok:
        text = f"Spectrum {version}; every needed web service is authorized."
        return Step("test", "Test connection", DONE, text, action="Test again")
    # What the check found, in its own words (an expiring secret, a late poll, a refused login…).
    problems = detail.get("problems") or []
    reason = " ".join(problems) or "Spectrum could not be reached or refused the Authorization ID."
    if missing:
        reason = f"Spectrum {version}. The Authorization ID lacks: {', '.join(missing)}. {reason}"
    return Step("test", "Test connection", PROBLEM, reason, action="Test again")


def _schema_step(connection: SpectrumConnection, change_url: str) -> Step:
    """Per object type read from the database: "ready", or which table or column is missing
    (docs/spectrum.md#info-link-schema). The connection test finds out; overrides are on the connection."""
    title = "Spectrum database tables"
    rows = schema_check.summary(connection)
    if connection.schema_checked_at is None or not rows:
        return Step("schema", title, TODO, "Not checked yet: the connection test looks for every table and column.")
    items = tuple(f"{name}: {detail}" for name, _, detail in rows)
    missing = [name for name, ready, _ in rows if not ready]
    checked = f"Checked {connection.schema_checked_at:%Y-%m-%d %H:%M} UTC."
    if not missing:
        return Step("schema", title, DONE, f"{checked} Every object type is ready.", items=items)
    detail = (
        f"{checked} Not ready: {', '.join(missing)}. Their polls stay off until the names are found: ask for "
        "Info-Link access to the table, or enter the name this Spectrum uses in the connection's schema overrides."
    )
    return Step("schema", title, PROBLEM, detail, change_url, "Edit overrides", "Test again", items)


def _reference_step(tenant: Tenant) -> Step:
    mirrored = MirrorRecord.objects.filter(tenant=tenant, deleted_at__isnull=True).count()
    runs = SyncRun.objects.filter(tenant=tenant)
    last = runs.order_by("-started_at").first()
    if last is not None and last.status == SyncRun.Status.FAILED and not mirrored:
        return Step(
            "reference", "Import reference data", PROBLEM, f"Last poll failed: {last.error[:300]}", action="Sync now"
        )
    if mirrored:
        return Step(
            "reference",
            "Import reference data",
            DONE,
            f"{mirrored} Spectrum records mirrored.",
            _url("admin:spectrum_sync_mirrorrecord_changelist") + f"?tenant={tenant.pk}",
            "See them",
            action="Sync again",
        )
    return Step(
        "reference",
        "Import reference data",
        TODO,
        "Customers, vendors, jobs, GL accounts… read from Spectrum so that mappings offer real choices.",
        action="Sync now",
    )


def _app_step(key: str, title: str, tenant: Tenant, name_part: str, app_label: str, when_empty: str) -> Step:
    rows = _rows_in_app(app_label, tenant, name_part)
    link = _url("admin:app_list", app_label)
    if rows is None:
        return Step(key, title, TODO, "Not available in this installation yet.")
    if rows:
        return Step(key, title, DONE, f"{rows} set.", link, "Review")
    return Step(key, title, TODO, when_empty, link, "Set up")


def _schedule_step(tenant: Tenant) -> Step:
    schedules = list(PollSchedule.objects.filter(tenant=tenant, enabled=True))
    link = _url("admin:spectrum_sync_pollschedule_changelist") + f"?tenant={tenant.pk}"
    if not schedules:
        return Step(
            "schedule",
            "Poll schedule",
            TODO,
            f"No polls scheduled. The default polls each object every {imports.DEFAULT_INTERVAL_MINUTES} minutes.",
            link,
            "Schedules",
            action="Create default schedule",
        )
    shortest = min(s.interval_minutes for s in schedules)
    return Step(
        "schedule",
        "Poll schedule",
        DONE,
        f"{len(schedules)} object types polled, the most often every {shortest} min.",
        link,
        "Change",
    )


def _enable_step(tenant: Tenant) -> Step:
    succeeded = SyncRun.objects.filter(tenant=tenant, status=SyncRun.Status.SUCCEEDED).exists()
    if not tenant.active:
        return Step("enable", "Enable", TODO, "The tenant is inactive: neither polled nor exported.", action="Enable")
    if not succeeded:
        return Step("enable", "Enable", TODO, "Active; waiting for a first successful poll.", action="Disable")
    return Step("enable", "Enable", DONE, "Active, and a poll has succeeded.", action="Disable")


def perform(tenant: Tenant, step: str, user: Any) -> tuple[str, bool]:
    """Do ``step``'s action; returns the message to show and whether it went well."""
    if step in ("test", "schema"):
        return _test_connection(tenant)
    if step == "reference":
        return _sync_now(tenant)
    if step == "schedule":
        return _create_default_schedule(tenant)
    if step == "enable":
        return _toggle_active(tenant)
    if step == "resume":
        return _resume_exports(tenant, user)
    return f"Unknown onboarding step {step!r}.", False


def held_for_authorization(tenant: Tenant) -> Any:
    return SyncRecord.objects.filter(
        tenant=tenant, direction=Direction.EXPORT, status=SyncStatus.HELD, error_code=HOLD_AUTHORIZATION
    )


def exports_hold(tenant: Tenant) -> dict[str, Any] | None:
    """What an authorization abort holds, for the banner with "resume exports"; None when nothing is held."""
    connection = _connection(tenant)
    held = held_for_authorization(tenant).count()
    if not held and not (connection and connection.exports_held_reason):
        return None
    reason = connection.exports_held_reason if connection else ""
    since = connection.exports_held_at if connection else None
    return {"reason": reason or "Spectrum refused the Authorization ID", "since": since, "held": held}


def _resume_exports(tenant: Tenant, user: Any) -> tuple[str, bool]:
    if exports_hold(tenant) is None:
        return "No exports are held: nothing to resume.", True
    resumed = exports.release_connection_hold(tenant, user, "authorization fixed")
    return f"Authorization fixed: exports resumed, {resumed} held document(s) sent again.", True


def _test_connection(tenant: Tenant) -> tuple[str, bool]:
    report = check_connection(tenant)
    if report.ok:
        return f"Connected to Spectrum {report.spectrum_version}. {report.message}".strip(), True
    missing = report.missing_services
    lacking = f" The Authorization ID lacks: {', '.join(missing)}." if missing else ""
    return f"Connection test failed.{lacking} {report.message}".strip(), False


def _sync_now(tenant: Tenant) -> tuple[str, bool]:
    result = imports.sync_now(tenant)
    if result.started:
        return f"Reference data import started ({result}).", True
    # Nothing started: either a poll is already running or nothing is readable; both are told as is.
    return f"Reference data import not started: {result}.", bool(result.already_running)


def _create_default_schedule(tenant: Tenant) -> tuple[str, bool]:
    before = PollSchedule.objects.filter(tenant=tenant).count()
    schedules = imports.ensure_schedules(tenant)
    if not schedules:
        return "Nothing can be read with this connection yet: check the connection step.", False
    created = len(schedules) - before
    return f"{max(created, 0)} poll schedules created; {len(schedules)} object types are polled.", True


def _toggle_active(tenant: Tenant) -> tuple[str, bool]:
    tenant.active = not tenant.active
    tenant.save(update_fields=["active", "updated_at"])
    if not tenant.active:
        return "Tenant disabled.", True
    # An enabled tenant is polled: give it the default schedules it does not have yet.
    schedules = imports.ensure_schedules(tenant)
    return f"Tenant enabled; {len(schedules)} object types are polled.", True
