"""The export catalogue is the one list of exported types: every other list of them agrees with it."""

from __future__ import annotations

import pytest

from connectors.platform import samples
from mappings.models import DocumentType
from mappings.rules import Known, MappingRules
from mappings.services import SERVICES_OF
from spectrum_sync.api.views import VIEWS
from spectrum_sync.catalogue import EXPORTS, export_type, rest_post_for
from spectrum_sync.models import ObjectType
from spectrum_sync.notifications.health import all_services


def test_the_enums_and_service_tables_name_exactly_the_catalogued_types() -> None:
    assert set(DocumentType.values) == set(EXPORTS)
    assert set(EXPORTS) <= set(ObjectType.values)
    assert set(SERVICES_OF) == set(EXPORTS)
    assert set(VIEWS) == {t.api_name for t in EXPORTS.values()}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_type_declares_the_services_it_is_sent_with(name: str) -> None:
    declared = EXPORTS[name]
    assert declared.name == name and export_type(name) is declared
    assert set(SERVICES_OF[name]) <= set(declared.services)
    assert declared.creating_services <= set(declared.services)
    assert set(declared.services) <= set(all_services())
    if declared.creating_services:
        # Without a database connection an uncertain create must still be decidable.
        assert declared.web_lookup is not None or declared.resend_is_safe


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_a_sample_maps_to_calls_its_type_declares(name: str) -> None:
    sample = samples.SAMPLES[name]
    declared = next(t for t in EXPORTS.values() if t.api_name == sample.document_type)
    serializer = declared.serializer(data=sample.build())
    assert serializer.is_valid(), serializer.errors
    mapped = declared.mapper(dict(serializer.data), MappingRules(), Known(), samples.DEMO_COMPANY)
    assert mapped.calls
    for call in mapped.calls:
        assert call.service in declared.services
        assert (rest_post_for(call.service) is not None) == call.rest


def test_only_jobs_take_udfs() -> None:
    assert [t.name for t in EXPORTS.values() if t.takes_udfs] == ["job"]
