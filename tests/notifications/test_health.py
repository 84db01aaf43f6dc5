"""The health check against the Spectrum simulator: a missing service, an expiring Enhanced
Authentication secret rotated through /secretRotation, and what is stored for the tenant's page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from spectrum_sync.models import PollSchedule, SpectrumConnection, SyncRecord
from spectrum_sync.notifications import emails
from spectrum_sync.notifications.health import check_connection
from spectrum_sync.notifications.models import EmailDelivery
from tests.fixtures_spectrum import SpectrumSimulatorHandle
from tests.notifications.conftest import SmtpServer

pytestmark = pytest.mark.django_db


def exported(tenant: Any, object_type: str) -> None:
    SyncRecord.objects.create(
        tenant=tenant,
        direction="export",
        object_type=object_type,
        platform_id=f"{object_type}-1",
        status="succeeded",
        idempotency_key=f"{tenant.pk}:export:{object_type}:1",
    )


def test_healthy_connection_is_stored_with_spectrum_version(
    tenant: Any, spectrum_simulator: SpectrumSimulatorHandle
) -> None:
    spectrum_simulator.use_for(tenant)
    PollSchedule.objects.create(tenant=tenant, object_type="customer", next_due_at=timezone.now())
    exported(tenant, "ar_invoice")

    report = check_connection(tenant, alert=False)

    assert report.ok, report.problems
    assert set(report.companies) == {"DC1", "DC2"} and all(c["ok"] for c in report.companies.values())
    assert report.needed_services == ["GetCustomers", "customer/invoice"]
    assert report.services["GetCustomers"] and report.services["customer/invoice"]
    connection = SpectrumConnection.objects.get(tenant=tenant)
    assert connection.last_health_ok is True
    assert connection.spectrum_version == report.spectrum_version != ""
    assert connection.last_health_detail["services"]["AddJob"] is True


def test_authorization_id_lacking_a_needed_service_is_caught_and_emailed(
    tenant: Any, spectrum_simulator: SpectrumSimulatorHandle, make_rule: Any, smtp_server: SmtpServer
) -> None:
    make_rule(name="Implementation", events=["failed"], health_alerts=True, recipients="impl@acme.test")
    spectrum_simulator.use_for(tenant)
    # The Authorization ID may read jobs and create invoices, but nobody ticked AddJob / UpdateJob.
    spectrum_simulator.add_auth(
        tenant.connection.authorization_id,
        spectrum_simulator.companies,
        services=["WSTestConnection", "GetJob", "GetJobMain", "GetCustomers", "customer/invoice", "AddPhase"],
    )
    PollSchedule.objects.create(tenant=tenant, object_type="customer", next_due_at=timezone.now())
    exported(tenant, "job")
    exported(tenant, "ar_invoice")

    report = check_connection(tenant)

    assert not report.ok
    assert report.missing_services == ["AddJob", "UpdateJob", "UpdateJob_UDF", "UpdatePhase_UDF"]
    assert report.services["GetCustomers"] and report.services["customer/invoice"]
    assert any("not authorized for the AddJob web service" in p for p in report.problems)
    # Services it lacks but does not use are worth a note, not an alarm.
    assert any("GetVendors" in n for n in report.notes)
    assert not any("GetVendors" in p for p in report.problems)
    connection = SpectrumConnection.objects.get(tenant=tenant)
    assert connection.last_health_ok is False
    assert connection.last_health_detail["missing_services"] == [
        "AddJob",
        "UpdateJob",
        "UpdateJob_UDF",
        "UpdatePhase_UDF",
    ]

    for pk in EmailDelivery.objects.filter(status="pending").values_list("pk", flat=True):
        emails.send_delivery(pk)
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["impl@acme.test"]
    assert mail.subject == "[Spectrum Sync] Acme Mechanical: connection check found 4 problems"
    assert "not authorized for the UpdateJob web service" in mail.text
    assert "Authorized Web Services" in mail.text


def test_expiring_secret_is_rotated_through_secret_rotation_and_stored(
    tenant: Any, spectrum_simulator: SpectrumSimulatorHandle
) -> None:
    connection: SpectrumConnection = tenant.connection
    connection.auth_mode = "enhanced"
    connection.enhanced_client_id = "acme-client"
    connection.enhanced_client_secret = "acme-secret-before-rotation"
    connection.enhanced_secret_expires_at = timezone.now() + timedelta(days=2)
    connection.allow_secret_rotation = True
    connection.save()
    spectrum_simulator.use_for(tenant)
    spectrum_simulator.configure(rotation_days=45)

    report = check_connection(tenant, alert=False)

    assert report.ok, report.problems
    assert report.secret["rotated"] is True
    assert spectrum_simulator.counters()["requests"]["secretRotation"] == 1
    connection.refresh_from_db()
    new_secret = connection.enhanced_client_secret
    assert new_secret and new_secret != "acme-secret-before-rotation"
    assert connection.enhanced_secret_expires_at is not None
    assert timedelta(days=44) < connection.enhanced_secret_expires_at - timezone.now() <= timedelta(days=45)
    assert "Rotated the Enhanced Authentication secret" in report.actions[0]
    assert new_secret not in str(connection.last_health_detail)
    # The stored secret is the one Spectrum now accepts; the old one no longer works.
    assert (
        spectrum_simulator.client(auth_mode="enhanced", client_id="acme-client", client_secret=new_secret)
        .test_connection()
        .ok
    )
    old = spectrum_simulator.client(
        auth_mode="enhanced", client_id="acme-client", client_secret="acme-secret-before-rotation"
    )
    assert not old.test_connection().ok

    # A second check does not rotate again: the new secret is far from expiry.
    check_connection(tenant, alert=False)
    assert spectrum_simulator.counters()["requests"]["secretRotation"] == 1


def test_rotation_whose_answer_is_lost_keeps_the_old_secret_and_says_to_paste_the_new_one(
    tenant: Any, spectrum_simulator: SpectrumSimulatorHandle
) -> None:
    """Spectrum rotated, then the connection dropped before its answer: the new secret exists only
    in Spectrum. Nothing may pretend otherwise; the implementer is told exactly what to do."""
    connection: SpectrumConnection = tenant.connection
    connection.auth_mode = "enhanced"
    connection.enhanced_client_id = "acme-client"
    connection.enhanced_client_secret = "acme-secret-before-rotation"
    expires = timezone.now() + timedelta(days=2)
    connection.enhanced_secret_expires_at = expires
    connection.allow_secret_rotation = True
    connection.save()
    spectrum_simulator.use_for(tenant)
    spectrum_simulator.set_faults(queue=["drop"], services=["secretRotation"])

    report = check_connection(tenant, alert=False)

    assert not report.ok
    assert spectrum_simulator.counters()["requests"]["secretRotation"] == 1  # sent once, not retried
    [problem] = [p for p in report.problems if "Rotating" in p]
    assert "may have worked in Spectrum, but its answer was lost" in problem
    assert "paste it into this connection" in problem
    connection.refresh_from_db()
    assert connection.enhanced_client_secret == "acme-secret-before-rotation"
    assert connection.enhanced_secret_expires_at == expires
    assert not report.secret.get("rotated")
    # Spectrum did rotate: the stored secret is refused now, which is why the message says so.
    old = spectrum_simulator.client(
        auth_mode="enhanced", client_id="acme-client", client_secret="acme-secret-before-rotation"
    )
    assert not old.test_connection().ok
