"""Admin forms whose secrets are write-only: entered, never shown back, and bound to their destination.

Every admin form of a model with encrypted fields is a :class:`SecretFieldsForm` (the admins in
:mod:`spectrum_sync.adminsite.scoped_admin` see to it), so the rules below hold on every screen:

- a secret renders empty; left blank it keeps the stored value and is not a change (the admin
  log names only what really changed); typing one stamps its ``<name>_changed_at``;
- changing where a stored secret is sent (its field's ``bound_to``: a URL, host, port, driver, auth
  mode) is refused unless the secret is typed again or cleared, so nobody can redirect a stored
  secret to a host of their choice; each accepted move is kept in ``secret_moves`` for the log and
  the security email.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

from django import forms
from django.conf import settings

from connectors.outbound import url_problem
from connectors.spectrum.config import odbc_problems
from spectrum_sync.fields import mark_changed, secret_fields, secret_state

# Destination values not repeated in the log and the email (they may hold anything).
UNQUOTED_DESTINATIONS = frozenset({"db_options"})


class SecretInput(forms.PasswordInput):
    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "new-password", **(attrs or {})}, render_value=False)


def clear_name(name: str) -> str:
    return f"clear_{name}"


class SecretFieldsForm(forms.ModelForm):
    """A ModelForm whose secrets render empty and keep the stored value when left blank.

    ``secret_fields`` defaults to every encrypted field of the model. The help text says whether
    a value is set and when it changed, never what it is. Tick "clear" to remove one.
    """

    secret_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.secret_moves: list[str] = []
        self.stored_secrets = {name: getattr(self.instance, name, "") for name in self.secret_names()}
        for name in self.secret_names():
            if name in self.fields:
                self._make_write_only(name)

    @classmethod
    def secret_names(cls) -> tuple[str, ...]:
        model = cls._meta.model
        return cls.secret_fields or (tuple(f.name for f in secret_fields(model)) if model else ())

    def _make_write_only(self, name: str) -> None:
        field = self.fields[name]
        field.widget = SecretInput()
        field.required = False
        # The stored value is neither the initial value (a blank field is no change) nor shown.
        self.initial[name] = ""
        state = secret_state(self.instance, name) if self.instance.pk else "Not set"
        keep = "; leave blank to keep it." if self.stored_secrets[name] else "."
        field.help_text = f"{state}{keep} {field.help_text}".strip()
        self.fields[clear_name(name)] = forms.BooleanField(
            required=False, label=f"Clear {field.label or name}", help_text="Remove the stored value."
        )

    @cached_property
    def changed_data(self) -> list[str]:
        """What really changed: a blank secret is no change, a ticked "clear" is a change of the secret."""
        changed = list(super().changed_data)
        for name in self.secret_names():
            if clear_name(name) in changed:
                changed.remove(clear_name(name))
                if self.stored_secrets.get(name) and name not in changed:
                    changed.append(name)
        return changed

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.secret_names():
            if name in self.fields:
                self._clean_secret(cleaned, name)
        self._check_destinations(cleaned)
        return cleaned

    def _clean_secret(self, cleaned: dict[str, Any], name: str) -> None:
        if cleaned.get(clear_name(name)):
            cleaned[name] = ""
        elif not cleaned.get(name):
            cleaned[name] = self.stored_secrets[name]
        if name in self.changed_data:
            mark_changed(self.instance, name)
        setattr(self.instance, name, cleaned.get(name, ""))

    def _check_destinations(self, cleaned: dict[str, Any]) -> None:
        if not self.instance.pk:
            return  # a new row: nothing stored can follow anything
        for field in secret_fields(self._meta.model):
            if field.name not in self.fields or not self.stored_secrets.get(field.name):
                continue
            moved = [name for name in field.bound_to if name in self.fields and name in self.changed_data]
            if not moved:
                continue
            if field.name not in self.changed_data:
                self._refuse_move(str(field.verbose_name), moved)
            elif cleaned.get(field.name):
                self.secret_moves.append(self._describe_move(str(field.verbose_name), moved, cleaned))

    def _refuse_move(self, secret_label: str, moved: list[str]) -> None:
        for name in moved:
            label = self.fields[name].label or name
            self.add_error(
                name,
                f"Changing the {label} changes where the {secret_label} is sent: type the {secret_label} "
                "again (the stored one never follows a new destination), or clear it.",
            )

    def _describe_move(self, secret_label: str, moved: list[str], cleaned: dict[str, Any]) -> str:
        parts = []
        for name in moved:
            label = self.fields[name].label or name
            if name in UNQUOTED_DESTINATIONS:
                parts.append(f"{label} changed")
            else:
                parts.append(f"{label} {self.initial.get(name)!s} → {cleaned.get(name)!s}")
        return f"The {secret_label} was typed again for a new destination: {'; '.join(parts)}."


class OutboundChecks(forms.ModelForm):
    """Where a form may point a tenant's requests: base URLs without query, fragment or
    credentials (connectors/outbound.py), ODBC drivers and options from the operator's lists."""

    def clean_base_url(self) -> str:
        return _checked_url(self.cleaned_data.get("base_url") or "")

    def clean_platform_url(self) -> str:
        return _checked_url(self.cleaned_data.get("platform_url") or "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "db_driver" in self.fields:
            problems = odbc_problems(
                cleaned.get("db_driver") or "",
                cleaned.get("db_options") or "",
                settings.SPECTRUM_ODBC_DRIVERS,
                settings.SPECTRUM_ODBC_OPTION_KEYS,
            )
            for name, problem in problems.items():
                self.add_error(f"db_{name}" if f"db_{name}" in self.fields else None, f"The {problem}.")
        return cleaned


def _checked_url(url: str) -> str:
    problem = url_problem(url) if url else ""
    if problem:
        raise forms.ValidationError(f"This URL {problem}.")
    return url
