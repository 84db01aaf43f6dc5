"""A new exported type is one module: registered, it is reachable everywhere a type is, with no
other file edited; the catalogue's own modules are found by discovery, not listed."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import clear_url_caches

import spectrum_sync.catalogue
from mappings.admin import udf_help
from mappings.completeness import missing_in, udf_document_types
from mappings.models import UDFMapping
from mappings.rules import MappingRules, UDFRule
from spectrum_sync.catalogue import EXPORTS, discover, register, unregister
from spectrum_sync.models import ApprovalRule, SpectrumConnection, SyncRecord, Tenant, type_choices
from spectrum_sync.notifications.health import all_services, needed_services
from tests.catalogue import job_custom_fields

TYPE = job_custom_fields.EXPORT
PATH = f"/api/v1/{TYPE.api_name}/"


def _reload_urls() -> None:
    """The URLs are made from the catalogue when they are loaded: load them again."""
    importlib.reload(importlib.import_module("spectrum_sync.api.urls"))
    importlib.reload(importlib.import_module(settings.ROOT_URLCONF))
    clear_url_caches()


@pytest.fixture
def registered() -> Iterator[None]:
    register(TYPE)
    _reload_urls()
    yield
    unregister(TYPE.name)
    _reload_urls()


@pytest.fixture
def api(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> Client:
    from spectrum_sync.exports import queueing

    monkeypatch.setattr(queueing, "enqueue", lambda record_id, countdown=None: None)
    key = tenant.generate_api_key()
    tenant.save()
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def document(**extra: Any) -> dict[str, Any]:
    return {"document_id": "jf-1", "version": "1", "job_number": "J100", "custom_fields": {"region": "N"}, **extra}


@pytest.mark.django_db
def test_the_api_takes_the_new_type_and_stores_its_sync_record(registered: None, api: Client) -> None:
    response = api.post(PATH, document(), content_type="application/json")
    assert response.status_code == 202, response.content
    record = SyncRecord.objects.get(pk=response.json()["id"])
    assert (record.object_type, record.platform_id, record.status) == (TYPE.name, "jf-1", "pending")
    status = api.get(f"/api/v1/sync-records/{record.pk}/").json()
    assert status["document_type"] == TYPE.api_name
    # Its serializer is the one the API validates with: a body without a job number is refused.
    assert api.post(PATH, document(job_number=""), content_type="application/json").status_code == 400


@pytest.mark.django_db
def test_a_dry_run_runs_the_new_types_mapper(registered: None, api: Client) -> None:
    answer = api.post(f"{PATH}?dry_run=true", document(), content_type="application/json").json()
    assert [call["service"] for call in answer["calls"]] == ["UpdateJob_UDF"]
    # The job is not mirrored: the mapper's parent check holds the document until it is.
    assert answer["verdict"] == "hold"


@pytest.mark.django_db
def test_its_label_is_in_the_choices_and_the_admins_filters(registered: None, admin_client: Client) -> None:
    assert ("job_custom_fields", "Job custom fields") in type_choices()
    assert SyncRecord(object_type=TYPE.name).get_object_type_display() == "Job custom fields"
    assert ApprovalRule(object_type=TYPE.name).get_object_type_display() == "Job custom fields"
    assert dict(UDFMapping._meta.get_field("document_type").flatchoices)[TYPE.name] == "Job custom fields"
    page = admin_client.get("/admin/spectrum_sync/syncrecord/").content.decode()
    assert "Job custom fields" in page


@pytest.mark.django_db
def test_completeness_udfs_and_health_see_it(registered: None, tenant: Tenant) -> None:
    assert TYPE.name in udf_document_types()
    assert "Job custom fields: UDF1–UDF20 through UpdateJob_UDF" in udf_help()
    assert missing_in(MappingRules(udf={TYPE.name: (UDFRule("region", 3),)}), TYPE.name) == []
    UDFMapping(tenant=tenant, document_type=TYPE.name, platform_field="region", udf_slot=3).full_clean()
    connection = SpectrumConnection.objects.get(tenant=tenant)
    assert "UpdateJob_UDF" not in needed_services(tenant, connection)
    SyncRecord.objects.create(
        tenant=tenant, direction="export", object_type=TYPE.name, idempotency_key="jf-1", platform_id="jf-1"
    )
    assert "UpdateJob_UDF" in needed_services(tenant, connection)
    assert "UpdateJob_UDF" in all_services()


@pytest.mark.django_db
def test_an_unregistered_type_is_refused_and_labelled_nowhere(api: Client) -> None:
    # Negative control: the same module, not registered, reaches nothing.
    assert TYPE.name not in EXPORTS
    response = api.post(PATH, document(), content_type="application/json")
    assert response.status_code == 404
    assert not SyncRecord.objects.exists()
    assert TYPE.name not in dict(type_choices())
    assert TYPE.name not in udf_document_types()


def test_a_second_type_under_a_taken_name_is_refused() -> None:
    taken = EXPORTS["job"]
    with pytest.raises(ValueError, match="declared twice"):
        register(job_custom_fields.EXPORT.__class__(**{**TYPE.__dict__, "api_name": taken.api_name}))
    assert TYPE.name not in EXPORTS


def test_discovery_registers_every_catalogue_module_that_declares_a_type() -> None:
    package = spectrum_sync.catalogue
    declaring = {
        found.name
        for found in pkgutil.iter_modules(package.__path__)
        if hasattr(importlib.import_module(f"{package.__name__}.{found.name}"), "EXPORT")
    }
    assert declaring == set(EXPORTS) == {"ar_invoice", "change_order", "commitment", "job", "maintenance", "po_receipt"}
    before = dict(EXPORTS)
    discover()  # again: the same declarations, nothing doubled
    assert before == EXPORTS
