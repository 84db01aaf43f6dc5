"""Logins and pages: DEBUG off by default, login lockout, no Basic password oracle, CSP and HSTS."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "correct horse battery staple"


def _settings_of(
    env: dict[str, str], tmp_path: Path, expression: str = "settings.DEBUG"
) -> subprocess.CompletedProcess[str]:
    """A fresh process that loads the settings from ``env`` alone and prints ``expression``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FIELD_", "SECURE_"))}
    code = f"from django.conf import settings; print({expression})"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env={**base, "SPECTRUM_SYNC_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_SECRET_KEY": "x" * 20 + Fernet.generate_key().decode(),
    "DJANGO_ALLOWED_HOSTS": "sync.example.com",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
}


# --- DEBUG -----------------------------------------------------------------------------------------


def test_without_django_debug_the_service_refuses_to_start_on_the_development_key(tmp_path: Path) -> None:
    result = _settings_of({}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DJANGO_SECRET_KEY must be set" in result.stderr


def test_without_django_debug_a_secret_key_alone_is_not_enough(tmp_path: Path) -> None:
    result = _settings_of({"DJANGO_SECRET_KEY": PRODUCTION["DJANGO_SECRET_KEY"], "DJANGO_ALLOWED_HOSTS": "x"}, tmp_path)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set" in result.stderr


def test_debug_is_off_unless_asked_for(tmp_path: Path) -> None:
    result = _settings_of(PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# --- HSTS ------------------------------------------------------------------------------------------


def test_hsts_preload_and_subdomains_only_when_asked_for(tmp_path: Path) -> None:
    hsts = "settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD"
    assert _settings_of(PRODUCTION, tmp_path, hsts).stdout.strip() == "31536000 False False"
    asked = {**PRODUCTION, "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true"}
    assert _settings_of(asked, tmp_path, hsts).stdout.strip() == "31536000 True True"
    half = _settings_of({**PRODUCTION, "SECURE_HSTS_PRELOAD": "true"}, tmp_path, hsts)
    assert half.returncode != 0 and "SECURE_HSTS_PRELOAD needs SECURE_HSTS_INCLUDE_SUBDOMAINS" in half.stderr


# --- login lockout (django-axes) -------------------------------------------------------------------


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_user("implementer", password=PASSWORD, is_staff=True)


def _login(password: str, address: str = "198.51.100.7", username: str = "implementer") -> int:
    client = Client(REMOTE_ADDR=address)
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    if response.status_code == 302:
        assert client.get("/admin/").status_code == 200  # really logged in
    return response.status_code


def test_repeated_wrong_passwords_lock_the_user_from_that_address_until_reset(staff: User, settings) -> None:  # type: ignore[no-untyped-def]
    assert _login(PASSWORD) == 302  # the right password works, and clears nothing it should not
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login("wrong") == 200  # the login form again, with its error
    assert _login("wrong") == 429  # the last failure allowed locks the account from this address
    assert _login(PASSWORD) == 429  # locked: even the right password is refused from there
    assert _login(PASSWORD, address="203.0.113.9") == 302  # the same user from another address
    User.objects.create_user("accountant", password=PASSWORD, is_staff=True)
    assert _login(PASSWORD, username="accountant") == 302  # another user from the same address

    call_command("axes_reset_username", "implementer")
    assert _login(PASSWORD) == 302


def test_axes_reset_unlocks_everyone(staff: User, settings) -> None:  # type: ignore[no-untyped-def]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login("wrong")
    assert _login(PASSWORD) == 429
    call_command("axes_reset")
    assert _login(PASSWORD) == 302


# --- no HTTP Basic anywhere ------------------------------------------------------------------------


def _basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"implementer:{password}".encode()).decode()


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/", "/api/v1/ar-invoices/"])
def test_basic_credentials_are_ignored_right_or_wrong(staff: User, path: str) -> None:
    right = Client(HTTP_AUTHORIZATION=_basic(PASSWORD)).get(path)
    wrong = Client(HTTP_AUTHORIZATION=_basic("wrong")).get(path)
    assert right.status_code == wrong.status_code
    assert right.content == wrong.content  # nothing tells the two apart
    if path.startswith("/api/v1/"):
        assert right.status_code == 401  # a Django login is never an API credential


# --- Content-Security-Policy -----------------------------------------------------------------------


def _csp(response: object) -> dict[str, str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize(
    "path",
    ["/admin/login/", "/admin/", "/admin/spectrum_sync/syncrecord/", "/api/docs/", "/api/redoc/", "/api/schema/"],
)
def test_every_page_has_a_content_security_policy_without_inline_scripts(admin_client: Client, path: str) -> None:
    response = (Client() if path == "/admin/login/" else admin_client).get(path)
    assert response.status_code == 200, path
    policy = _csp(response)
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    html = response.content.decode()
    inline = [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]
    assert not inline, f"{path}: inline scripts the policy would block: {inline}"


def test_the_swagger_start_up_script_is_served_from_this_origin(client: Client) -> None:
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert sources and all(src.startswith("/") for src in sources)
    for src in sources:
        url = src.replace("&amp;", "&")
        if "?" in url:  # the start-up script (?script=) is a view, the rest are static files
            script = client.get(url)
            assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
