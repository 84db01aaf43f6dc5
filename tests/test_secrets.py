"""Secrets are encrypted at rest, never shown back in the admin, never logged."""

from __future__ import annotations

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from spectrum_sync.models import SpectrumConnection, Tenant
from spectrum_sync.redaction import RedactingFilter, redact

SECRETS = {
    "authorization_id": "AUTH-SECRET-91",
    "enhanced_client_secret": "client-secret-zq7Hh2",
    "db_password": "db-password-Xk39",
}


def _raw_row(table: str, pk: int, columns: list[str]) -> dict[str, str]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return dict(zip(columns, cur.fetchone(), strict=True))


@pytest.fixture
def secret_connection(tenant: Tenant) -> SpectrumConnection:
    conn = tenant.connection
    for field, value in SECRETS.items():
        setattr(conn, field, value)
    conn.save()
    return conn


@pytest.mark.django_db
def test_each_secret_is_stored_encrypted_and_reads_back(secret_connection: SpectrumConnection) -> None:
    raw = _raw_row("spectrum_sync_spectrumconnection", secret_connection.pk, list(SECRETS))
    for field, value in SECRETS.items():
        assert value not in raw[field]
        assert raw[field].startswith("fernet:")
    tenant_raw = _raw_row("spectrum_sync_tenant", secret_connection.tenant_id, ["platform_signing_secret"])
    assert "platform-signing-secret-acme" not in tenant_raw["platform_signing_secret"]

    fresh = SpectrumConnection.objects.get(pk=secret_connection.pk)
    for field, value in SECRETS.items():
        assert getattr(fresh, field) == value


@pytest.mark.django_db
def test_key_rotation_keeps_old_secrets_readable_then_moves_them_to_the_new_key(
    secret_connection: SpectrumConnection,
) -> None:
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, old_key]):
        assert SpectrumConnection.objects.get(pk=secret_connection.pk).authorization_id == SECRETS["authorization_id"]
        call_command("rotate_encryption_keys", stdout=io.StringIO())
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        fresh = SpectrumConnection.objects.get(pk=secret_connection.pk)
        for field, value in SECRETS.items():
            assert getattr(fresh, field) == value
        assert Tenant.objects.get(pk=secret_connection.tenant_id).platform_signing_secret == (
            "platform-signing-secret-acme"
        )


@pytest.mark.django_db
def test_admin_never_shows_a_secret_and_blank_keeps_it(admin_client, secret_connection: SpectrumConnection) -> None:  # type: ignore[no-untyped-def]
    tenant = secret_connection.tenant
    page = admin_client.get(f"/admin/spectrum_sync/tenant/{tenant.pk}/change/").content.decode()
    assert "Set; leave blank to keep it." in page
    for value in [*SECRETS.values(), "platform-signing-secret-acme"]:
        assert value not in page

    # Saving the form with the secret inputs left blank keeps every stored secret.
    form = {
        "name": tenant.name,
        "slug": tenant.slug,
        "active": "on",
        "timezone": "UTC",
        "platform_url": tenant.platform_url,
        "platform_signing_secret": "",
        "connection-TOTAL_FORMS": "1",
        "connection-INITIAL_FORMS": "1",
        "connection-MIN_NUM_FORMS": "0",
        "connection-MAX_NUM_FORMS": "1",
        "connection-0-id": str(secret_connection.pk),
        "connection-0-tenant": str(tenant.pk),
        "connection-0-hosting": "on_premise",
        "connection-0-base_url": "http://127.0.0.1:8482",
        "connection-0-company_codes": "AC1, AC2",
        "connection-0-authorization_id": "",
        "connection-0-auth_mode": "basic",
        "connection-0-verify_tls": "on",
        "connection-0-read_source": "web_services",
        "connection-0-vendor_service": "rest",
        "connection-0-db_driver": "ODBC Driver 18 for SQL Server",
        "poll_schedules-TOTAL_FORMS": "0",
        "poll_schedules-INITIAL_FORMS": "0",
        "poll_schedules-MIN_NUM_FORMS": "0",
        "poll_schedules-MAX_NUM_FORMS": "1000",
        "approval_rules-TOTAL_FORMS": "0",
        "approval_rules-INITIAL_FORMS": "0",
    }
    response = admin_client.post(f"/admin/spectrum_sync/tenant/{tenant.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    fresh = SpectrumConnection.objects.get(pk=secret_connection.pk)
    assert fresh.company_codes == "AC1, AC2"
    assert fresh.companies == ["AC1", "AC2"]
    for field, value in SECRETS.items():
        assert getattr(fresh, field) == value
    assert Tenant.objects.get(pk=tenant.pk).platform_signing_secret == "platform-signing-secret-acme"

    # A new value replaces it; "clear" removes it.
    form["connection-0-authorization_id"] = "NEWAUTH"
    form["connection-0-clear_db_password"] = "on"
    assert admin_client.post(f"/admin/spectrum_sync/tenant/{tenant.pk}/change/", form).status_code == 302
    fresh = SpectrumConnection.objects.get(pk=secret_connection.pk)
    assert fresh.authorization_id == "NEWAUTH"
    assert fresh.db_password == ""


@pytest.mark.django_db
def test_a_decrypted_secret_is_masked_in_every_log_handler(secret_connection: SpectrumConnection) -> None:
    SpectrumConnection.objects.get(pk=secret_connection.pk)  # loading registers the secrets
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("calling Spectrum with %s and %s", SECRETS["authorization_id"], SECRETS["db_password"])
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "calling Spectrum with" in output
    for value in SECRETS.values():
        assert value not in output

    # Every configured handler carries the filter, so no path bypasses it.
    for name, handler_config in settings.LOGGING["handlers"].items():
        assert "redact" in handler_config.get("filters", []), name


def test_secret_shapes_are_masked_even_when_never_decrypted() -> None:
    envelope = "<GetJob><Authorization_ID>NEVERSEEN1</Authorization_ID><GUID></GUID></GetJob>"
    assert "NEVERSEEN1" not in redact(envelope)
    assert "<Authorization_ID>" in redact(envelope)
    assert "dGVzdDpzZWNyZXQ=" not in redact("Authorization: Basic dGVzdDpzZWNyZXQ=")
    assert "tok3n" not in redact('{"access_token": "tok3n", "token_type": "Bearer"}')
    assert "s3cr3t" not in redact("client_id=abc&client_secret=s3cr3t&scope=spectrumapi")
