"""Encrypted model fields over ``cryptography``'s MultiFernet.

Keys come from ``settings.FIELD_ENCRYPTION_KEYS`` (first encrypts, all decrypt), never from
``SECRET_KEY`` in production. The column holds only the Fernet token; the plaintext exists in
memory after loading and is registered with :mod:`spectrum_sync.redaction` so it is masked in logs.
Encrypted columns cannot be filtered or searched on, by design.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from spectrum_sync.redaction import register_secret

TOKEN_PREFIX = "fernet:"  # noqa: S105 (a marker, not a secret)


@lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return TOKEN_PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(TOKEN_PREFIX):
        raise ImproperlyConfigured("an encrypted column holds a value that was not encrypted by this service")
    try:
        return fernet().decrypt(stored[len(TOKEN_PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "an encrypted column cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS "
            "(was a key removed before `manage.py rotate_encryption_keys` ran?)"
        ) from None


class EncryptedTextField(models.TextField):
    """A text secret stored as a Fernet token. Blank stays blank (no secret set)."""

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        if value is None or value == "":
            return ""
        plain = decrypt(value)
        register_secret(plain)
        return plain

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return ""
        register_secret(value)
        return encrypt(value)
