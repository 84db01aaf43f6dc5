"""Mapping screens: Spectrum values are dropdowns of the tenant's mirrored records, scoped to the user."""

from __future__ import annotations

from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone

from mappings.admin import GLAccountMappingAdmin
from mappings.models import GLAccountMapping
from spectrum_sync.models import MirrorRecord, ObjectType
from tests.admin.world import World


def mirror_gl(world: World) -> None:
    for tenant, account, description in (
        (world.acme, "4000", "Service revenue"),
        (world.acme, "4100", "Material revenue"),
        (world.bolt, "9999", "Bolt only"),
    ):
        MirrorRecord.objects.create(
            tenant=tenant,
            object_type=ObjectType.GL_ACCOUNT,
            key=f"AC1|{account}",
            company_code="AC1",
            row_hash="0" * 32,
            data={"gl_account": account, "description": description, "company_code": "AC1"},
        )


def form_for(world: World, user, obj=None):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/")
    request.user = user
    return GLAccountMappingAdmin(GLAccountMapping, admin.site).get_form(request, obj)


def test_gl_account_is_a_dropdown_of_the_served_tenants_accounts(world: World) -> None:
    mirror_gl(world)
    field = form_for(world, world.accountant).base_fields["gl_account"]
    values = [value for value, _ in field.choices]
    assert values == ["", "4000", "4100"]
    assert "Service revenue" in dict(field.choices)["4000"]


def test_editing_a_mapping_offers_its_tenants_accounts_and_keeps_a_vanished_value(world: World) -> None:
    mirror_gl(world)
    mapping = GLAccountMapping.objects.create(tenant=world.acme, gl_account="4999")
    values = [value for value, _ in form_for(world, world.superuser, mapping).base_fields["gl_account"].choices]
    assert values == ["", "4000", "4100", "4999"]


def test_accounts_deleted_in_spectrum_are_not_offered(world: World) -> None:
    mirror_gl(world)
    MirrorRecord.objects.filter(tenant=world.acme, key="AC1|4100").update(deleted_at=timezone.now())
    values = [value for value, _ in form_for(world, world.accountant).base_fields["gl_account"].choices]
    assert values == ["", "4000"]


def test_a_mapping_to_an_account_deleted_in_spectrum_says_so(world: World) -> None:
    mirror_gl(world)
    MirrorRecord.objects.filter(tenant=world.acme, key="AC1|4100").update(deleted_at=timezone.now())
    mapping = GLAccountMapping.objects.create(tenant=world.acme, gl_account="4100")
    choices = dict(form_for(world, world.superuser, mapping).base_fields["gl_account"].choices)
    assert list(choices) == ["", "4000", "4100"]
    assert choices["4100"] == "4100 (not in Spectrum any more)"


def test_without_mirrored_accounts_the_field_says_how_to_get_them(world: World) -> None:
    field = form_for(world, world.accountant).base_fields["gl_account"]
    assert "Import reference data" in str(field.help_text)


def test_mapping_list_is_scoped(world: World) -> None:
    GLAccountMapping.objects.create(tenant=world.acme, gl_account="4000")
    GLAccountMapping.objects.create(tenant=world.bolt, gl_account="9999")
    request = RequestFactory().get("/")
    request.user = world.accountant
    rows = GLAccountMappingAdmin(GLAccountMapping, admin.site).get_queryset(request)
    assert [m.gl_account for m in rows] == ["4000"]
