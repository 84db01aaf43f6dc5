"""Admin forms whose secrets are write-only: entered, never shown back."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms


class SecretInput(forms.PasswordInput):
    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "new-password", **(attrs or {})}, render_value=False)


class SecretFieldsForm(forms.ModelForm):
    """A ModelForm whose ``secret_fields`` render empty and keep the stored value when left blank.

    The help text says whether a value is set, never what it is. Tick "clear" to remove one.
    """

    secret_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.secret_fields:
            if name not in self.fields:
                continue
            field = self.fields[name]
            field.widget = SecretInput()
            field.required = False
            is_set = bool(self.instance.pk and getattr(self.instance, name))
            state = "A value is set; leave blank to keep it." if is_set else "Not set."
            field.help_text = f"{state} {field.help_text}".strip()
            self.fields[f"clear_{name}"] = forms.BooleanField(
                required=False, label=f"Clear {field.label or name}", help_text="Remove the stored value."
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.secret_fields:
            if name not in self.fields:
                continue
            if cleaned.get(f"clear_{name}"):
                cleaned[name] = ""
            elif not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
            setattr(self.instance, name, cleaned.get(name, ""))
        return cleaned
