"""Encrypted model fields over ``cryptography``'s MultiFernet.

Keys come from ``settings.FIELD_ENCRYPTION_KEYS`` (first encrypts, all decrypt), never from
``SECRET_KEY`` in production. The column holds only the Fernet token; the plaintext exists in
memory after loading and is registered with :mod:`spectrum_sync.redaction` so it is masked in logs.
Encrypted columns cannot be filtered or searched on, by design.

No screen ever shows a secret: every encrypted field gives its model a ``<name>_state`` attribute
("Set; changed …" / "Not set"), which the admin shows in the secret's place, and a secret's
``<name>_changed_at`` column (when the model has one) records when it was last typed or rotated.
A secret is bound to where it is sent (``bound_to``: the destination's field names), so that the
admin can ask for it again before it follows a changed destination.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone

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

    def __init__(self, *args: Any, bound_to: tuple[str, ...] = (), **kwargs: Any) -> None:
        # Behaviour only, not schema: left out of deconstruct() so migrations do not carry it.
        self.bound_to = tuple(bound_to)
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)

        def state(instance: models.Model) -> str:
            return secret_state(instance, name)

        state.short_description = self.verbose_name  # type: ignore[attr-defined]
        setattr(cls, state_name(name), property(state))

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


def state_name(name: str) -> str:
    return f"{name}_state"


def secret_fields(model: type[models.Model] | models.Model) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def changed_at(instance: models.Model, name: str) -> Any:
    return getattr(instance, f"{name}_changed_at", None)


def secret_state(instance: models.Model, name: str) -> str:
    """What may be said about a secret: whether it is set and when it last changed, never its value."""
    if not getattr(instance, name, ""):
        return "Not set"
    when = changed_at(instance, name)
    return f"Set; changed {when:%Y-%m-%d %H:%M} UTC" if when else "Set"


def mark_changed(instance: models.Model, name: str) -> list[str]:
    """Stamp the secret's change time; returns the column to add to ``update_fields`` (if any)."""
    column = f"{name}_changed_at"
    if not hasattr(instance, column):
        return []
    setattr(instance, column, timezone.now())
    return [column]


class TypeNameField(models.CharField):
    """The name of an object or document type: its choices label it in forms and screens, but they
    are left out of migrations, so a type added to the catalogue needs no migration."""

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        return name, path, args, kwargs
