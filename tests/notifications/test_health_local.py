"""Health checks that need no Spectrum: late polls, a secret about to expire without self-rotation,
an unreachable server, and the alert / recovered emails they cause."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from spectrum_sync.models import PollSchedule, SpectrumConnection
from spectrum_sync.notifications import emails
from spectrum_sync.notifications.health import check_connection
from spectrum_sync.notifications.models import EmailDelivery
from tests.fixtures_spectrum_db import SpectrumDB
from tests.notifications.conftest import SmtpServer, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreachable(tenant: Any, settings: Any) -> SpectrumConnection:
    """The tenant's Spectrum URL points at a loopback port where nothing listens."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.HTTP_CONNECT_TIMEOUT = 1
    connection: SpectrumConnection = tenant.connection
    connection.base_url = f"http://127.0.0.1:{free_port()}"
    connection.save()
    return connection


def send_pending() -> None:
    for pk in EmailDelivery.objects.filter(status="pending").values_list("pk", flat=True):
        emails.send_delivery(pk)


def test_late_poll_and_unreachable_spectrum_are_reported_stored_and_emailed(
    tenant: Any, unreachable: SpectrumConnection, make_rule: Any, smtp_server: SmtpServer
) -> None:
    make_rule(name="IT", events=["poll_failed"], health_alerts=True, recipients="it@acme.test")
    now = timezone.now()
    PollSchedule.objects.create(tenant=tenant, object_type="customer", interval_minutes=30, next_due_at=now)
    PollSchedule.objects.create(
        tenant=tenant, object_type="vendor", interval_minutes=30, next_due_at=now - timedelta(hours=2)
    )
    PollSchedule.objects.create(
        tenant=tenant,
        object_type="job",
        interval_minutes=10,
        next_due_at=now + timedelta(minutes=5),
        last_success_at=now - timedelta(hours=3),
    )

    report = check_connection(tenant)

    assert not report.ok
    assert [p["object_type"] for p in report.late_polls] == ["job", "vendor"]
    assert any("Vendor poll was due at" in p and "2 h 0 min late" in p for p in report.problems)
    assert any("Job poll has not succeeded since" in p for p in report.problems)
    assert any(p.startswith("Company AC1:") for p in report.problems)
    unreachable.refresh_from_db()
    assert unreachable.last_health_ok is False
    assert unreachable.last_health_check_at == report.checked_at
    assert unreachable.last_health_detail["late_polls"] == report.late_polls

    send_pending()
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["it@acme.test"]
    assert mail.subject == f"[Spectrum Sync] Acme Mechanical: connection check found {len(report.problems)} problems"
    assert "Vendor poll was due at" in mail.text
    assert f"/admin/spectrum_sync/tenant/{tenant.pk}/change/" in mail.text

    # The same problems found again the same day (a "Test connection" click) do not email again.
    check_connection(tenant)
    send_pending()
    assert len(smtp_server.messages) == 1


def test_expiring_secret_without_self_rotation_is_a_problem(
    tenant: Any, unreachable: SpectrumConnection, make_rule: Any
) -> None:
    unreachable.auth_mode = "enhanced"
    unreachable.enhanced_client_id = "client-acme"
    unreachable.enhanced_client_secret = "old-secret-value"
    unreachable.enhanced_secret_expires_at = timezone.now() + timedelta(days=2)
    unreachable.allow_secret_rotation = False
    unreachable.save()
    report = check_connection(tenant, alert=False)
    assert any("secret expires on" in p and "automatic rotation is off" in p for p in report.problems)
    assert "old-secret-value" not in str(report.as_detail())


def test_recovered_email_when_health_clears(
    tenant: Any, unreachable: SpectrumConnection, make_rule: Any, smtp_server: SmtpServer
) -> None:
    make_rule(name="IT", events=["failed"], recipients="it@acme.test")  # no health rule: failure recipients
    PollSchedule.objects.create(
        tenant=tenant, object_type="vendor", interval_minutes=30, next_due_at=timezone.now() - timedelta(hours=2)
    )
    check_connection(tenant)
    send_pending()
    assert len(smtp_server.messages) == 1
    # Fix what was wrong: no polls overdue, and no company codes to test (nothing else to find).
    PollSchedule.objects.update(next_due_at=timezone.now())
    SpectrumConnection.objects.filter(pk=unreachable.pk).update(company_codes="")
    report = check_connection(tenant)
    assert report.ok
    send_pending()
    assert [m.subject for m in smtp_server.messages][1] == (
        "[Spectrum Sync] Acme Mechanical has recovered: the connection to Spectrum is healthy again"
    )
    assert "passed its check again" in smtp_server.messages[1].text


# --- The database login, through the real ODBC stack against the seeded simulator database ---------


@pytest.fixture
def limited_login(spectrum_db: SpectrumDB) -> Any:
    """An Info-Link-like read-only login that may read every table but the GL account master."""
    import psycopg

    role = f"infolink_{spectrum_db.name}"[:60]
    with psycopg.connect(spectrum_db.url, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
        conn.execute(f'REVOKE SELECT ON gl_account_master_mc FROM "{role}"')  # noqa: S608 (our own role name)
    yield role
    with psycopg.connect(spectrum_db.url, autocommit=True) as conn:
        conn.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"')
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def use_database(connection: SpectrumConnection, spectrum_db: SpectrumDB, user: str, name: str = "") -> None:
    config = spectrum_db.odbc_config
    connection.db_enabled = True
    connection.db_driver = config.driver
    connection.db_host = config.host
    connection.db_port = config.port
    connection.db_name = name or config.database
    connection.db_user = user
    connection.db_password = "infolink-password"
    connection.company_codes = ""  # no web services in these tests
    connection.save()


def test_database_login_checked_and_table_it_cannot_read_reported(
    tenant: Any, unreachable: SpectrumConnection, spectrum_db: SpectrumDB, limited_login: str
) -> None:
    use_database(unreachable, spectrum_db, limited_login)
    PollSchedule.objects.create(tenant=tenant, object_type="gl_account", next_due_at=timezone.now())
    PollSchedule.objects.create(tenant=tenant, object_type="gl_department", next_due_at=timezone.now())
    report = check_connection(tenant, alert=False)
    assert report.database["ok"] is True and "PostgreSQL" in report.database["version"]
    assert report.database["tables"]["gl_department"] == ""
    assert report.database["tables"]["gl_account"]
    assert [p for p in report.problems if "database login" in p] == [
        f"The database login cannot read gl_account records: {report.database['tables']['gl_account']}"
    ]


def test_database_login_failure_is_a_problem_without_the_password(
    tenant: Any, unreachable: SpectrumConnection, spectrum_db: SpectrumDB
) -> None:
    use_database(unreachable, spectrum_db, "postgres", name=spectrum_db.name + "_missing")
    report = check_connection(tenant, alert=False)
    assert report.database["ok"] is False
    assert any(p.startswith("The database login postgres@127.0.0.1 failed") for p in report.problems)
    assert "infolink-password" not in str(report.as_detail())
