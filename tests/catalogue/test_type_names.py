"""A type added to the catalogue needs no migration: type-name fields keep their choices out of migrations."""

from __future__ import annotations

from django.db import models

from mappings.models import UDFMapping
from spectrum_sync.fields import TypeNameField
from spectrum_sync.models import ApprovalRule, MirrorRecord, PollSchedule, SyncRecord, SyncRun


def test_the_choices_label_the_field_but_stay_out_of_its_migration() -> None:
    field = TypeNameField(max_length=20, choices=[("ar_invoice", "AR invoice"), ("time_card", "Time card")])
    _name, path, _args, kwargs = field.deconstruct()
    assert path == "spectrum_sync.fields.TypeNameField" and "choices" not in kwargs
    assert field.choices == [("ar_invoice", "AR invoice"), ("time_card", "Time card")]


def test_a_plain_char_field_would_put_them_in_the_migration() -> None:
    # Negative control: what every object_type column did before, and why each new type needed a migration.
    _name, _path, _args, kwargs = models.CharField(max_length=20, choices=[("a", "A")]).deconstruct()
    assert kwargs["choices"] == [("a", "A")]


def test_every_type_column_is_a_type_name_field() -> None:
    columns = [
        SyncRecord._meta.get_field("object_type"),
        SyncRun._meta.get_field("object_type"),
        MirrorRecord._meta.get_field("object_type"),
        PollSchedule._meta.get_field("object_type"),
        ApprovalRule._meta.get_field("object_type"),
        UDFMapping._meta.get_field("document_type"),
    ]
    assert all(isinstance(column, TypeNameField) for column in columns)
    assert SyncRecord(object_type="ar_invoice").get_object_type_display() == "AR invoice"
