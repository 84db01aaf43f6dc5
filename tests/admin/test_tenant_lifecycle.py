"""A tenant's life in the admin: created (key shown once, inactive, known to the demo platform),
its secrets bound to where they go, its log telling only what changed, its onboarding telling why.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages.storage.cookie import CookieStorage
from django.core import mail
from django.forms import PasswordInput
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from spectrum_sync.connections import platform_client
from spectrum_sync.models import PollSchedule, SpectrumConnection, Tenant
from spectrum_sync.notifications.emails import send_delivery
from spectrum_sync.notifications.models import EmailDelivery, NotificationRule
from tests.admin.world import World, client_for
from tests.fixtures_platform import platform_simulator  # noqa: F401

KEY = re.compile(r"ssk_[A-Za-z0-9_-]{20,}")


def posted_values(form: Any) -> dict[str, Any]:
    """What a browser would send for ``form`` as rendered (unchecked boxes and empty values left out).

    A password input is rendered empty, so the browser sends it empty whatever the form's initial value.
    """
    data: dict[str, Any] = {}
    for bound in form:
        value = "" if isinstance(bound.field.widget, PasswordInput) else bound.value()
        if value is True:
            data[bound.html_name] = "on"
        elif value is not False and value not in (None, "", []):  # 0 is sent ("0"), as a browser does
            data[bound.html_name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


def tenant_form(client: Client, tenant: Tenant) -> tuple[str, dict[str, Any]]:
    url = reverse("admin:spectrum_sync_tenant_change", args=[tenant.pk])
    page = client.get(url).context
    data = posted_values(page["adminform"].form)
    for inline in page["inline_admin_formsets"]:
        data |= posted_values(inline.formset.management_form)
        for form in inline.formset.forms:
            data |= posted_values(form)
    return url, data


def log_messages(tenant: Tenant) -> list[str]:
    entries = LogEntry.objects.filter(object_id=str(tenant.pk), content_type__model="tenant").order_by("id")
    return [entry.get_change_message() for entry in entries]


@pytest.fixture
def failure_rule(world: World) -> NotificationRule:
    return NotificationRule.objects.create(
        tenant=world.acme, name="Ops", events=["failed"], recipients="ops@acme.test, cfo@acme.test"
    )


# --- 14.2: a stored secret never follows a changed destination ------------------------------------

DESTINATIONS = [
    ("platform_url", "http://127.0.0.1:9/deliveries/acme", "platform_signing_secret", "platform signing secret"),
    ("connection-0-base_url", "http://127.0.0.1:9", "connection-0-authorization_id", "Authorization ID"),
    ("connection-0-verify_tls", None, "connection-0-authorization_id", "Authorization ID"),
    ("connection-0-base_url", "http://127.0.0.1:9", "connection-0-enhanced_client_secret", "Enhanced Authentication"),
    ("connection-0-auth_mode", "enhanced", "connection-0-enhanced_client_secret", "Enhanced Authentication"),
    ("connection-0-db_host", "db.elsewhere.test", "connection-0-db_password", "database password"),
    ("connection-0-db_port", "1444", "connection-0-db_password", "database password"),
    ("connection-0-db_driver", "FreeTDS", "connection-0-db_password", "database password"),
]


@pytest.fixture
def with_db(world: World) -> World:
    connection = world.acme.connection
    connection.db_enabled = True
    connection.db_host, connection.db_name, connection.db_user = "127.0.0.1", "acme", "infolink"
    connection.db_password = "db-password-acme-3141"
    connection.db_port = 1433
    connection.enhanced_client_id = "acme-client"
    connection.enhanced_client_secret = "enhanced-client-secret-acme-7"
    connection.save()
    return world


@pytest.mark.parametrize(("field", "value", "secret", "label"), DESTINATIONS)
def test_a_new_destination_without_the_secret_typed_again_is_refused(
    with_db: World, failure_rule: NotificationRule, field: str, value: str | None, secret: str, label: str
) -> None:
    client = client_for(with_db.staff)
    url, data = tenant_form(client, with_db.acme)
    before = SpectrumConnection.objects.get(tenant=with_db.acme)
    if value is None:
        data.pop(field, None)  # an unticked box
    else:
        data[field] = value
    response = client.post(url, data)
    assert response.status_code == 200
    errors = " ".join(str(e) for e in response.context["errors"])
    assert f"type the {label}" in errors, errors
    after = SpectrumConnection.objects.get(tenant=with_db.acme)
    with_db.acme.refresh_from_db()
    assert (after.base_url, after.verify_tls, after.db_host, after.db_port, after.db_driver) == (
        before.base_url,
        before.verify_tls,
        before.db_host,
        before.db_port,
        before.db_driver,
    )
    assert with_db.acme.platform_url == "http://127.0.0.1:8600/deliveries/acme"
    assert not EmailDelivery.objects.filter(kind=EmailDelivery.Kind.SECURITY).exists()


def test_a_secret_typed_again_moves_with_a_log_entry_and_an_email(
    with_db: World, failure_rule: NotificationRule, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(with_db.staff)
    url, data = tenant_form(client, with_db.acme)
    data["connection-0-base_url"] = "https://spectrum.acme.test:8482"
    data["connection-0-authorization_id"] = "ACMENEW99"
    data["connection-0-enhanced_client_secret"] = "enhanced-client-secret-new-8"
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    connection = SpectrumConnection.objects.get(tenant=with_db.acme)
    assert (connection.base_url, connection.authorization_id) == ("https://spectrum.acme.test:8482", "ACMENEW99")
    assert connection.authorization_id_changed_at is not None
    logged = " ".join(log_messages(with_db.acme))
    assert "Authorization ID was typed again for a new destination" in logged
    assert "Enhanced Authentication client secret was typed again for a new destination" in logged
    assert "http://127.0.0.1:8482 → https://spectrum.acme.test:8482" in logged
    delivery = EmailDelivery.objects.get(tenant=with_db.acme, kind=EmailDelivery.Kind.SECURITY)
    assert send_delivery(delivery.pk)
    (email,) = mail.outbox
    assert set(email.to) == {"ops@acme.test", "cfo@acme.test"}
    assert "new destination" in email.subject
    assert "https://spectrum.acme.test:8482" in email.body and with_db.staff.username in email.body
    assert "Authorization ID" in email.body and "Enhanced Authentication client secret" in email.body
    for secret in ("ACMENEW99", "ACMEAUTH42", "enhanced-client-secret-new-8", "enhanced-client-secret-acme-7"):
        assert secret not in email.body and secret not in email.alternatives[0][0]


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A host of someone's choice: records whatever connects to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    received.append(conn.recv(65536))
                except OSError:
                    received.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def test_test_connection_never_takes_a_stored_secret_to_a_new_host(
    world: World, listener: tuple[int, list[bytes]]
) -> None:
    port, received = listener
    client = client_for(world.staff)
    url, data = tenant_form(client, world.acme)
    data["connection-0-base_url"] = f"http://127.0.0.1:{port}"
    assert client.post(url, data).status_code == 200  # refused
    client.post(reverse("admin:spectrum_sync_tenant_onboarding", args=[world.acme.pk]), {"step": "test"})
    assert received == []
    assert SpectrumConnection.objects.get(tenant=world.acme).base_url == "http://127.0.0.1:8482"


# --- 15.13: the log names only what changed ----------------------------------------------------


def test_the_admin_log_names_only_the_fields_that_changed(world: World) -> None:
    client = client_for(world.staff)
    url, data = tenant_form(client, world.acme)
    data["timezone"] = "America/Chicago"
    data["connection-0-company_codes"] = "AC1, AC2"
    assert client.post(url, data).status_code == 302
    message = log_messages(world.acme)[-1]
    assert "Timezone" in message and "Company codes" in message
    assert "secret" not in message.lower() and "authorization" not in message.lower(), message
    tenant = Tenant.objects.get(pk=world.acme.pk)
    assert tenant.platform_signing_secret == "platform-signing-secret-acme"  # blank kept the stored one
    assert tenant.connection.authorization_id == "ACMEAUTH42"


def test_clearing_a_secret_is_logged_as_a_change_of_that_secret(world: World) -> None:
    client = client_for(world.staff)
    url, data = tenant_form(client, world.acme)
    data["clear_platform_signing_secret"] = "on"
    assert client.post(url, data).status_code == 302
    assert "Platform signing secret" in log_messages(world.acme)[-1]
    tenant = Tenant.objects.get(pk=world.acme.pk)
    assert tenant.platform_signing_secret == "" and tenant.platform_signing_secret_changed_at is not None


# --- 15.14: an interval of 0 is a form error -------------------------------------------------------


def test_poll_interval_zero_is_a_form_error_everywhere(world: World) -> None:
    schedule = PollSchedule.objects.get(tenant=world.acme)
    client = client_for(world.staff)
    url, data = tenant_form(client, world.acme)
    data["poll_schedules-0-interval_minutes"] = "0"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "greater than or equal to 1" in str(response.context["inline_admin_formsets"][1].formset.errors)
    change = reverse("admin:spectrum_sync_pollschedule_change", args=[schedule.pk])
    page = client.get(change).context["adminform"].form
    response = client.post(change, {**posted_values(page), "interval_minutes": "0"})
    assert response.status_code == 200 and "interval_minutes" in response.context["adminform"].form.errors
    schedule.refresh_from_db()
    assert schedule.interval_minutes == 30


# --- 14.4 and 15.11: an API key is shown once, on the page; new tenants ----------------------------


def messages_cookie(client: Client) -> str:
    cookie = client.cookies.get(CookieStorage.cookie_name)
    return cookie.value if cookie else ""


def test_a_new_api_key_is_on_the_page_the_action_returns_never_in_a_message(world: World) -> None:
    client = client_for(world.staff)
    changelist = reverse("admin:spectrum_sync_tenant_changelist")
    response = client.post(changelist, {"action": "regenerate_api_key", "_selected_action": [world.acme.pk]})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    (key,) = KEY.findall(response.content.decode())
    assert Tenant.objects.get(pk=world.acme.pk).check_api_key(key)
    assert key not in messages_cookie(client)
    assert key not in client.get(changelist).content.decode()  # shown once


def add_tenant_data(name: str, slug: str, **extra: str) -> dict[str, str]:
    return {
        "name": name,
        "slug": slug,
        "timezone": "UTC",
        "connection-TOTAL_FORMS": "1",
        "connection-INITIAL_FORMS": "0",
        "connection-0-hosting": "on_premise",
        "connection-0-base_url": "http://127.0.0.1:8482",
        "connection-0-company_codes": "CP1",
        "connection-0-authorization_id": "CEDARAUTH9",
        "connection-0-auth_mode": "basic",
        "connection-0-verify_tls": "on",
        "connection-0-read_source": "web_services",
        "connection-0-vendor_service": "rest",
        "connection-0-db_driver": "ODBC Driver 18 for SQL Server",
        "poll_schedules-TOTAL_FORMS": "0",
        "poll_schedules-INITIAL_FORMS": "0",
        "approval_rules-TOTAL_FORMS": "0",
        "approval_rules-INITIAL_FORMS": "0",
        **extra,
    }


def test_creating_a_tenant_shows_its_key_once_links_to_onboarding_and_starts_inactive(
    world: World, settings: Any
) -> None:
    settings.PLATFORM_SIMULATOR_URL = ""
    client = client_for(world.staff)
    response = client.post(reverse("admin:spectrum_sync_tenant_add"), add_tenant_data("Cedar Plumbing", "cedar"))
    assert response.status_code == 200 and "errors" not in (response.context or {}), response.context["errors"]
    tenant = Tenant.objects.get(slug="cedar")
    body = response.content.decode()
    (key,) = KEY.findall(body)
    assert tenant.check_api_key(key) and key not in messages_cookie(client)
    assert reverse("admin:spectrum_sync_tenant_onboarding", args=[tenant.pk]) in body
    assert not tenant.active
    assert "CEDARAUTH9" not in body
    onboarding = client.get(reverse("admin:spectrum_sync_tenant_onboarding", args=[tenant.pk])).content.decode()
    assert "The tenant is inactive" in onboarding
    client.post(reverse("admin:spectrum_sync_tenant_onboarding", args=[tenant.pk]), {"step": "enable"})
    tenant.refresh_from_db()
    assert tenant.active


def test_in_the_demo_a_new_tenant_is_registered_with_the_platform_simulator(
    world: World,
    settings: Any,
    platform_simulator: Any,  # noqa: F811
) -> None:
    settings.PLATFORM_SIMULATOR_URL = platform_simulator.url
    client = client_for(world.staff)
    response = client.post(reverse("admin:spectrum_sync_tenant_add"), add_tenant_data("Cedar Plumbing", "cedar"))
    assert response.status_code == 200 and "errors" not in (response.context or {}), response.context["errors"]
    tenant = Tenant.objects.get(slug="cedar")
    assert tenant.platform_url == f"{platform_simulator.url}/deliveries/cedar"
    assert tenant.platform_signing_secret and tenant.platform_signing_secret_changed_at
    client_ = platform_client(tenant)
    try:
        item = {"action": "upsert", "key": "CP1:C1", "data": {"name": "Cedar"}}
        client_.deliver("customers", [item], delivery_id="demo-1")  # raises when refused
    finally:
        client_.close()
    assert "CP1:C1" in platform_simulator.state("cedar", "customers")  # signed with the secret it was given


def test_the_demo_registration_survives_a_simulator_restart(tmp_path: Any) -> None:
    from connectors.platform.simulator.app import PlatformSimulatorApp
    from connectors.platform.simulator.store import SimulatorStore

    path = str(tmp_path / "platform.sqlite3")
    first = PlatformSimulatorApp(SimulatorStore(path))
    first.store.register_tenant("cedar", "cedar-secret")
    first.store.close()
    again = PlatformSimulatorApp(SimulatorStore(path))
    assert again.tenants.get("cedar") == "cedar-secret"
    again.store.close()


# --- 15.12: onboarding says why the check failed ---------------------------------------------------


def test_onboarding_step_two_says_the_actual_cause(world: World) -> None:
    connection = world.acme.connection
    now = timezone.now()
    connection.last_health_ok = False
    connection.last_health_check_at = now
    connection.last_health_detail = {
        "ok": False,
        "problems": [
            "The Enhanced Authentication secret expires on 2026-12-05 10:00 UTC (in 2 days) and automatic "
            "rotation is off: rotate it in Spectrum and paste the new one, or allow automatic rotation."
        ],
        "missing_services": [],
    }
    connection.save()
    body = client_for(world.staff).get(reverse("admin:spectrum_sync_tenant_onboarding", args=[world.acme.pk]))
    text = body.content.decode()
    assert "(in 2 days)" in text
    assert "could not be reached or refused the Authorization ID" not in text


def test_a_secret_expiring_in_under_two_days_is_said_in_words(world: World) -> None:
    from spectrum_sync.notifications.health import HealthReport, check_secret, in_days

    assert in_days(dt.timedelta(days=1, hours=23)) == "in 2 days"
    assert in_days(dt.timedelta(days=1, hours=1)) == "in 1 day"
    assert in_days(dt.timedelta(hours=5)) == "in 5 hours"
    connection = world.acme.connection
    connection.auth_mode = SpectrumConnection.AuthMode.ENHANCED
    connection.enhanced_secret_expires_at = timezone.now() + dt.timedelta(days=2)
    report = HealthReport(tenant_id=world.acme.pk, checked_at=timezone.now())
    check_secret(world.acme, connection, report)
    assert "(in 2 days)" in report.problems[0]
