"""Connection health: is everything a tenant needs from Spectrum still there, before a sync breaks?

:func:`check_connection` tests each company code, each web service the tenant uses, the database
login, the Enhanced Authentication secret's expiry (rotating it when allowed) and whether polls are
running on time. It stores the result on the tenant's ``SpectrumConnection`` for the admin page and
emails the tenant's health recipients: once per day for the same problems, and once when it clears.
Runs daily from beat (``notify_health_checks``) and on demand ("Test connection" in the admin); the
late-poll part alone (:func:`check_late_polls`) runs every few minutes (``notify_late_polls``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors.spectrum.errors import SpectrumError, SpectrumUnknownOutcome
from connectors.spectrum.tables import OBJECT_TYPES
from spectrum_sync.catalogue import EXPORTS
from spectrum_sync.connections import spectrum_client, spectrum_database
from spectrum_sync.fields import mark_changed
from spectrum_sync.models import Direction, PollSchedule, SpectrumConnection, SyncRecord, Tenant
from spectrum_sync.notifications import schema_check
from spectrum_sync.notifications.api import create_delivery, enqueue_delivery, failure_recipients
from spectrum_sync.notifications.models import EmailDelivery, Escalation, NotificationRule
from spectrum_sync.redaction import redact

logger = logging.getLogger(__name__)

HEALTH = "health"
LATE_POLLS = "late_polls"  # its own escalation: a clear late-poll check must not close a connection alert

# Which Data Exchange services each object needs. Reads: the Get services the web-service reader
# calls (connectors/spectrum/client.py); writes: the services each export type's catalogue entry
# declares (spectrum_sync/catalogue/).
# Sections of docs/spectrum.md: #getcustomers, #getvendors, #getjob, #getjobmain, #getphase
IMPORT_SERVICES: dict[str, tuple[str, ...]] = {
    "customer": ("GetCustomers",),
    "vendor": ("GetVendors",),
    "job": ("GetJobMain", "GetJob"),
    "phase": ("GetPhase",),
    "cost_type": ("GetPhase",),
    "budget": ("GetPhase",),
    "job_cost": ("GetPhase",),
}


def export_services() -> dict[str, tuple[str, ...]]:
    """The services each exported type of the catalogue calls, read when asked (a type is a module)."""
    return {name: declared.services for name, declared in EXPORTS.items()}


def rotate_before() -> timedelta:
    """Rotate (or warn about) an Enhanced Authentication secret this long before it expires.

    Spectrum's rotation period is 7–120 days (docs/spectrum.md#enhanced-authentication), so the default
    of 5 days leaves a week-long period room for one daily check to act. Setting NOTIFY_SECRET_ROTATE_DAYS.
    """
    return timedelta(days=int(getattr(settings, "NOTIFY_SECRET_ROTATE_DAYS", 5)))


@dataclass
class HealthReport:
    """What one check found. ``problems`` make it unhealthy; ``notes`` are worth knowing only."""

    tenant_id: int
    checked_at: datetime
    spectrum_version: str = ""
    companies: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[str, bool] = field(default_factory=dict)
    needed_services: list[str] = field(default_factory=list)
    database: dict[str, Any] = field(default_factory=dict)
    secret: dict[str, Any] = field(default_factory=dict)
    late_polls: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def version(self) -> str:
        return self.spectrum_version

    @property
    def missing_services(self) -> list[str]:
        """Services the tenant uses that the Authorization ID may not call."""
        return [name for name in self.needed_services if self.services and not self.services.get(name, False)]

    @property
    def message(self) -> str:
        """One line for the admin: the problems, else the notes, else what was done."""
        return " ".join(self.problems or self.notes or self.actions)

    def as_detail(self) -> dict[str, Any]:
        """JSON for SpectrumConnection.last_health_detail (secrets never in it)."""
        detail = asdict(self)
        detail["checked_at"] = self.checked_at.isoformat()
        detail["ok"] = self.ok
        detail["missing_services"] = self.missing_services
        return detail


def check_connection(tenant: Tenant, *, alert: bool = True) -> HealthReport:
    """Check the tenant's Spectrum connection, store the result and (by default) email about it."""
    report = HealthReport(tenant_id=tenant.pk, checked_at=timezone.now())
    connection = SpectrumConnection.objects.filter(tenant=tenant).first()
    if connection is None:
        report.problems.append("The tenant has no Spectrum connection configured.")
        return report
    tenant.connection = connection
    check_secret(tenant, connection, report)
    check_web_services(tenant, connection, report)
    check_database(tenant, connection, report)
    check_polls(tenant, report)
    if connection.exports_held_reason:
        held_exports(tenant, connection, report)
    store(connection, report)
    if alert:
        send_alerts(tenant, report)
    return report


def held_exports(tenant: Tenant, connection: SpectrumConnection, report: HealthReport) -> None:
    """Exports held by an authorization abort resume by themselves once a check finds nothing wrong."""
    since = f"{connection.exports_held_at:%Y-%m-%d %H:%M} UTC" if connection.exports_held_at else "a while"
    if not report.ok:
        report.notes.append(f"Exports are held since {since}: {connection.exports_held_reason}")
        return
    from spectrum_sync.exports.actions import release_connection_hold

    resumed = release_connection_hold(tenant, None, "the connection check found the authorization working")
    connection.exports_held_reason, connection.exports_held_at = "", None
    report.actions.append(f"Exports held since {since} resumed: {resumed} document(s) sent again.")


def in_days(delta: timedelta) -> str:
    """ "in 2 days", "in 1 day", "in 5 hours": how soon, in words a person reads at a glance."""
    if delta >= timedelta(days=1):
        days = round(delta / timedelta(days=1))  # 1 day 23 h is "in 2 days", not "in 1 days"
        return f"in {days} day{'s' if days != 1 else ''}"
    hours = max(int(delta.total_seconds() // 3600), 1)
    return f"in {hours} hour{'s' if hours != 1 else ''}"


def check_late_polls(tenant: Tenant, *, alert: bool = True) -> HealthReport:
    """Only the poll schedules: no call to Spectrum, so beat runs it every few minutes."""
    report = HealthReport(tenant_id=tenant.pk, checked_at=timezone.now())
    check_polls(tenant, report)
    if alert:
        send_alerts(tenant, report, reason=LATE_POLLS)
    return report


# --- The checks ----------------------------------------------------------------------------------


def check_secret(tenant: Tenant, connection: SpectrumConnection, report: HealthReport) -> None:
    """Enhanced Authentication: rotate the client secret before it expires, or say it will expire."""
    if connection.auth_mode != SpectrumConnection.AuthMode.ENHANCED:
        return
    expires = connection.enhanced_secret_expires_at
    report.secret = {"expires_at": expires.isoformat() if expires else "", "rotated": False}
    if expires is None:
        report.notes.append(
            "The Enhanced Authentication secret's expiry is not recorded; copy it from Spectrum's Secret Status."
        )
        return
    if expires - report.checked_at > rotate_before():
        return
    if connection.allow_secret_rotation:
        rotate_secret(tenant, connection, report)
        return
    if expires <= report.checked_at:
        report.problems.append(
            f"The Enhanced Authentication secret expired on {expires:%Y-%m-%d %H:%M} UTC: Spectrum refuses every "
            "call. Paste the new secret from Spectrum's Secret Status, or allow automatic rotation."
        )
    else:
        report.problems.append(
            f"The Enhanced Authentication secret expires on {expires:%Y-%m-%d %H:%M} UTC "
            f"({in_days(expires - report.checked_at)}) and "
            "automatic rotation is off: rotate it in Spectrum and paste the new one, or allow automatic rotation."
        )


def rotate_secret(tenant: Tenant, connection: SpectrumConnection, report: HealthReport) -> None:
    """Rotate under a row lock, so the daily check and a "Test connection" click cannot both rotate."""
    try:
        with transaction.atomic():
            locked = SpectrumConnection.objects.select_for_update().get(pk=connection.pk)
            expires = locked.enhanced_secret_expires_at
            if expires is not None and expires - timezone.now() > rotate_before():
                report.notes.append("The secret was rotated by another check a moment ago.")
            else:
                client = spectrum_client(tenant)
                try:
                    # docs/spectrum.md#enhanced-authentication, POST /secretRotation (via SpectrumClient)
                    secret, new_expiry = client.rotate_secret()
                finally:
                    client.close()
                locked.enhanced_client_secret = secret
                locked.enhanced_secret_expires_at = new_expiry
                stamped = mark_changed(locked, "enhanced_client_secret")
                locked.save(
                    update_fields=["enhanced_client_secret", "enhanced_secret_expires_at", *stamped, "updated_at"]
                )
                report.actions.append(
                    f"Rotated the Enhanced Authentication secret; the new one expires on {new_expiry:%Y-%m-%d} UTC."
                )
                report.secret.update(rotated=True)
            connection.enhanced_client_secret = locked.enhanced_client_secret
            connection.enhanced_secret_expires_at = locked.enhanced_secret_expires_at
            report.secret["expires_at"] = (
                locked.enhanced_secret_expires_at.isoformat() if locked.enhanced_secret_expires_at else ""
            )
    except SpectrumUnknownOutcome as exc:
        report.problems.append(
            f"Rotating the Enhanced Authentication secret may have worked in Spectrum, but its answer was lost "
            f"({redact(str(exc))}), so the new secret never reached Spectrum Sync and the stored one may no "
            "longer be accepted. Open Spectrum's Secret Status, copy the current secret and paste it into this "
            "connection. (The next check tries once more; if Spectrum did rotate, that try is refused.)"
        )
    except SpectrumError as exc:
        expires = connection.enhanced_secret_expires_at
        report.problems.append(
            f"Rotating the Enhanced Authentication secret failed ({redact(str(exc))}); it expires on "
            f"{expires:%Y-%m-%d %H:%M} UTC. Rotate it in Spectrum and paste the new one."
            if expires
            else f"Rotating the Enhanced Authentication secret failed: {redact(str(exc))}"
        )


def needed_services(tenant: Tenant, connection: SpectrumConnection) -> list[str]:
    """Services this tenant uses: Gets for its enabled web-service polls, Puts for what it exports."""
    needed: dict[str, None] = {}
    if connection.read_source == SpectrumConnection.ReadSource.WEB_SERVICES:
        polled = PollSchedule.objects.filter(tenant=tenant, enabled=True).values_list("object_type", flat=True)
        for object_type in polled:
            needed.update(dict.fromkeys(IMPORT_SERVICES.get(object_type, ())))
    for object_type, services in export_services().items():
        # One index probe per type (tenant, object_type, -created_at), never a DISTINCT over history.
        exported = SyncRecord.objects.filter(tenant=tenant, object_type=object_type, direction=Direction.EXPORT)
        if exported.exists():
            needed.update(dict.fromkeys(services))
    return list(needed)


def all_services() -> list[str]:
    found: dict[str, None] = {}
    for services in (*IMPORT_SERVICES.values(), *export_services().values()):
        found.update(dict.fromkeys(services))
    return list(found)


def check_web_services(tenant: Tenant, connection: SpectrumConnection, report: HealthReport) -> None:
    """WSTestConnection per company, then which services the Authorization ID may call."""
    report.needed_services = needed_services(tenant, connection)
    try:
        client = spectrum_client(tenant)
    except SpectrumError as exc:
        report.problems.append(f"The web-service settings are not usable: {redact(str(exc))}")
        return
    try:
        reachable = False
        for company in connection.companies:
            # docs/spectrum.md#wstestconnection (via SpectrumClient.test_connection)
            result = client.test_connection(company)
            report.companies[company] = {"ok": result.ok, "message": redact(result.message)}
            report.spectrum_version = report.spectrum_version or result.version
            reachable = reachable or bool(result.version)
            if not result.ok:
                report.problems.append(f"Company {company}: {redact(result.message)}")
        if not reachable:
            return  # Spectrum is not answering: probing every service would only repeat that
        services = all_services()
        report.services = client.check_services(services, connection.default_company)
        for name in report.needed_services:
            if not report.services.get(name, False):
                report.problems.append(
                    f"The Authorization ID is not authorized for the {name} web service, which this tenant uses. "
                    "In Spectrum: System Administration > Installation > Data Exchange, add it under Authorized "
                    "Web Services."
                )
        unused_missing = [n for n in services if n not in report.needed_services and not report.services.get(n)]
        if unused_missing:
            report.notes.append(
                "Not authorized, and not used by this tenant so far: " + ", ".join(sorted(unused_missing)) + "."
            )
    except SpectrumError as exc:
        report.problems.append(f"Checking the web services failed: {redact(str(exc))}")
    finally:
        client.close()


def check_database(tenant: Tenant, connection: SpectrumConnection, report: HealthReport) -> None:
    """The Info-Link read-only login, when the tenant reads from the database."""
    if not connection.db_enabled:
        return
    database = None
    try:
        database = spectrum_database(tenant)
        if database is None:
            return
        version = database.test()
        report.database = {"ok": True, "version": version}
        check_tables(tenant, connection, database, report)
    except Exception as exc:  # a missing ODBC driver is an ImportError/OSError, not a SpectrumError
        message = redact(f"{exc}", extra=[connection.db_password])
        report.database = {"ok": False, "message": message}
        report.problems.append(f"The database login {connection.db_user}@{connection.db_host} failed: {message}")
    finally:
        if database is not None:
            database.close()


def database_object_types(tenant: Tenant, connection: SpectrumConnection) -> list[str]:
    """Enabled polls that read from the database: all of them, or those without a Get service."""
    polled = PollSchedule.objects.filter(tenant=tenant, enabled=True).values_list("object_type", flat=True)
    everything = connection.read_source == SpectrumConnection.ReadSource.DATABASE
    return sorted(t for t in polled if everything or t not in IMPORT_SERVICES)


def check_tables(tenant: Tenant, connection: SpectrumConnection, database: Any, report: HealthReport) -> None:
    """Can the Info-Link login read each table the tenant's polls read? (A login without SELECT on
    one table passes the login test and fails only at the next poll.)"""
    check_access = getattr(database, "check_access", None)
    object_types = database_object_types(tenant, connection)  # before discovery switches any off
    check_schema(tenant, connection, database, report)
    if check_access is None or not object_types:
        return
    refused = {t: message for t, message in check_access(object_types).items() if message}
    report.database["tables"] = {t: refused.get(t, "") for t in object_types}
    for object_type, message in sorted(refused.items()):
        report.problems.append(f"The database login cannot read {object_type} records: {redact(message)}")


def check_schema(tenant: Tenant, connection: SpectrumConnection, database: Any, report: HealthReport) -> None:
    """Schema discovery (docs/spectrum.md#info-link-schema) for every object type the tenant would read
    from the database: polls whose tables or columns are missing are switched off, and on again once found."""
    if getattr(database, "catalog", None) is None:
        return
    everything = connection.read_source == SpectrumConnection.ReadSource.DATABASE
    object_types = [t for t in OBJECT_TYPES if everything or t not in IMPORT_SERVICES]
    try:
        outcome = schema_check.run(tenant, connection, database, object_types)
    except SpectrumError as exc:
        report.problems.append(f"Reading the Spectrum database's list of tables failed: {redact(str(exc))}")
        return
    report.database["schema"] = {t: r.ready for t, r in outcome.report.objects.items()}
    report.database["switched_off"] = outcome.still_off
    report.problems.extend(schema_check.problems(outcome))
    report.notes.extend(schema_check.notes(outcome))


def poll_grace(interval_minutes: int) -> timedelta:
    """How late a poll may be before it counts: one interval, and never under 15 minutes."""
    return max(timedelta(minutes=interval_minutes), timedelta(minutes=15))


def check_polls(tenant: Tenant, report: HealthReport) -> None:
    """A poll is late when it is overdue, or when it has not succeeded for three intervals."""
    now = report.checked_at
    for schedule in PollSchedule.objects.filter(tenant=tenant, enabled=True).order_by("object_type"):
        grace = poll_grace(schedule.interval_minutes)
        label = schedule.get_object_type_display()
        if now - schedule.next_due_at > grace:
            late = now - schedule.next_due_at
            report.problems.append(
                f"The {label} poll was due at {schedule.next_due_at:%Y-%m-%d %H:%M} UTC and has not run "
                f"({minutes(late)} late): is the beat and polls worker running?"
            )
            report.late_polls.append({"object_type": schedule.object_type, "due_at": schedule.next_due_at.isoformat()})
            continue
        expected = timedelta(minutes=3 * schedule.interval_minutes) + grace
        if schedule.last_success_at is not None and now - schedule.last_success_at > expected:
            report.problems.append(
                f"The {label} poll has not succeeded since {schedule.last_success_at:%Y-%m-%d %H:%M} UTC "
                f"(it should run every {schedule.interval_minutes} minutes); see its runs in the sync history."
            )
            report.late_polls.append(
                {"object_type": schedule.object_type, "last_success_at": schedule.last_success_at.isoformat()}
            )


def minutes(delta: timedelta) -> str:
    total = int(delta.total_seconds() // 60)
    return f"{total // 60} h {total % 60} min" if total >= 60 else f"{total} min"


# --- Storing and alerting ------------------------------------------------------------------------


def store(connection: SpectrumConnection, report: HealthReport) -> None:
    """Write the result with an update of its own fields only, so a concurrent admin edit is kept."""
    changes: dict[str, Any] = {
        "last_health_check_at": report.checked_at,
        "last_health_ok": report.ok,
        "last_health_detail": report.as_detail(),
    }
    if report.spectrum_version:
        changes["spectrum_version"] = report.spectrum_version
    SpectrumConnection.objects.filter(pk=connection.pk).update(**changes)
    for name, value in changes.items():
        setattr(connection, name, value)


def health_recipients(tenant: Tenant) -> list[str]:
    """Rules that ask for health alerts; failing that, whoever hears about failures."""
    rules = list(NotificationRule.objects.filter(tenant=tenant, active=True))
    found: dict[str, None] = {}
    for rule in rules:
        if rule.health_alerts:
            found.update(dict.fromkeys(rule.recipient_list))
    return list(found) or failure_recipients(rules)


def send_alerts(tenant: Tenant, report: HealthReport, *, reason: str = HEALTH) -> None:
    """Email new problems (the same ones at most once a day); say so once when they clear."""
    try:
        with transaction.atomic():
            deliver = alert_delivery if report.problems else clear_delivery
            key = deliver(tenant, report, reason)
            ids = (
                list(
                    EmailDelivery.objects.filter(key=key, status=EmailDelivery.Status.PENDING).values_list(
                        "pk", flat=True
                    )
                )
                if key
                else []
            )
    except Exception:
        logger.exception("could not record the health alert of tenant %s", tenant.pk)
        return
    for delivery_id in ids:
        transaction.on_commit(partial(enqueue_delivery, delivery_id), robust=True)


def alert_delivery(tenant: Tenant, report: HealthReport, reason: str = HEALTH) -> str:
    try:
        with transaction.atomic():
            Escalation.objects.create(tenant=tenant, reason=reason, failure_count=len(report.problems))
    except IntegrityError:
        pass  # already open: the problems go on
    # A late poll's text grows with its lateness; which polls are late is what makes it news.
    found = [str(p.get("object_type")) for p in report.late_polls] if reason == LATE_POLLS else report.problems
    fingerprint = hashlib.sha256("\n".join(sorted(found)).encode()).hexdigest()[:16]
    key = f"{reason}:{tenant.pk}:{report.checked_at:%Y-%m-%d}:{fingerprint}"
    context = {
        "problems": report.problems,
        "notes": report.notes,
        "actions": report.actions,
        "checked_at": report.checked_at.isoformat(),
        "spectrum_version": report.spectrum_version,
    }
    return create_delivery(tenant, EmailDelivery.Kind.HEALTH, key, health_recipients(tenant), context=context)


def clear_delivery(tenant: Tenant, report: HealthReport, reason: str = HEALTH) -> str:
    escalation = Escalation.objects.filter(tenant=tenant, reason=reason, closed_at__isnull=True).first()
    if escalation is None:
        return ""
    if not Escalation.objects.filter(pk=escalation.pk, closed_at__isnull=True).update(closed_at=report.checked_at):
        return ""
    context = {
        "health": True,
        "opened_at": escalation.opened_at.isoformat(),
        "closed_at": report.checked_at.isoformat(),
        "actions": report.actions,
    }
    return create_delivery(
        tenant,
        EmailDelivery.Kind.RECOVERED,
        f"escalation:{escalation.pk}:cleared",
        health_recipients(tenant),
        context=context,
    )
