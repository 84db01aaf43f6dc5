"""The export catalogue is the one list of exported types: every other list of them agrees with it."""

from __future__ import annotations

import pytest

from connectors.platform import samples
from connectors.spectrum import layouts
from mappings.mappers import SpectrumCall, map_ar_invoice
from mappings.models import DocumentType
from mappings.rules import GLRule, Known, MappingRules
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


def test_the_types_with_a_documented_udf_service_take_udfs() -> None:
    # docs/spectrum.md#udf-services: none exists for AR invoices, PO receipts or change orders.
    assert [t.name for t in EXPORTS.values() if t.takes_udfs] == ["job", "maintenance", "commitment"]


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_every_declared_service_has_a_layout(name: str) -> None:
    for service in EXPORTS[name].services:
        assert layouts.layout_for(service).name == service


def _layout_problems(call: SpectrumCall) -> list[str]:
    layout = layouts.layout_for(call.service)
    header = {k: v for k, v in call.fields.items() if not isinstance(v, list)}
    lines = [line for v in call.fields.values() if isinstance(v, list) for line in v]
    if call.rest and lines and not layout.detail:
        # One record per line (the packing-list receipt): each line is a whole record.
        return [str(p) for line in lines for p in layouts.validate_fields(layout.fields, line)]
    problems = layouts.validate_fields(layout.fields, header) if call.rest else layouts.validate(layout, header)
    problems += [p for line in lines for p in layouts.validate_fields(layout.detail, line)]
    return [str(p) for p in problems]


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_a_samples_calls_validate_against_their_layouts(name: str) -> None:
    sample = samples.SAMPLES[name]
    declared = next(t for t in EXPORTS.values() if t.api_name == sample.document_type)
    serializer = declared.serializer(data=sample.build())
    assert serializer.is_valid(), serializer.errors
    rules = MappingRules(gl=(GLRule("", "", "4000"),))
    mapped = declared.mapper(dict(serializer.data), rules, Known(), samples.DEMO_COMPANY)
    assert [p for call in mapped.calls for p in _layout_problems(call)] == []


def test_a_mapper_checks_lengths_with_the_layouts_numbers() -> None:
    # The length the mapper enforces is the layout's: one character more is a problem (negative control).
    sample = samples.SAMPLES["ar-invoice"].build()
    limit = layouts.layout_for("customer/invoice")
    length = next(f.max_length for f in limit.fields if f.name == "Invoice_Or_Transaction")
    ok = map_ar_invoice({**sample, "invoice_number": "9" * length}, MappingRules(), Known(), "DC1")
    long = map_ar_invoice({**sample, "invoice_number": "9" * (length + 1)}, MappingRules(), Known(), "DC1")
    assert not [p for p in ok.problems if p.column == "Invoice_Or_Transaction"]
    assert [p.message for p in long.problems if p.column == "Invoice_Or_Transaction"] == [
        f"Invoice_Or_Transaction '{'9' * (length + 1)}' is longer than Spectrum's {length} characters"
    ]


def test_the_layout_check_finds_a_call_that_breaks_its_layout() -> None:
    # Negative control of the sample check: an AR invoice line whose GL account is too long.
    call = SpectrumCall(
        "customer/invoice",
        {"Company_Code": "DC1", "Invoice_Or_Transaction": "1", "invoiceDetails": [{"GL_Account": "1" * 40}]},
        rest=True,
    )
    assert any("GL_Account" in p for p in _layout_problems(call))
