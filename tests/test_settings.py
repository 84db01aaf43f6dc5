"""Settings come from the environment; bad values stop start-up naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def _manage(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_"))}
    base["SPECTRUM_SYNC_VAR_DIR"] = str(tmp_path)
    base["DJANGO_DEBUG"] = "true"  # each test names what it changes; DEBUG is off by default
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("EMAIL_PORT", "twenty-five"),
        ("EMAIL_PORT", "70000"),
        ("DATABASE_URL", "mysql2://nowhere/db"),
        ("CELERY_BROKER_URL", "carrier-pigeon://coop"),
        ("FIELD_ENCRYPTION_KEYS", "not-a-fernet-key"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path: Path, variable: str, value: str) -> None:
    result = _manage(["check"], {variable: value}, tmp_path)
    assert result.returncode != 0
    assert variable in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_needs_its_secrets(tmp_path: Path) -> None:
    result = _manage(["check"], {"DJANGO_DEBUG": "false"}, tmp_path)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    env = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": Fernet.generate_key().decode() + Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "sync.example.com",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": "postgres://sync@127.0.0.1:5432/spectrum_sync",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "SITE_URL": "https://sync.example.com",
    }
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
