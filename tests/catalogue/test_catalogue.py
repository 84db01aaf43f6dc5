"""The export catalogue is the one list of exported types: every other list of them agrees with it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from connectors.platform import samples
from connectors.spectrum import layouts
from connectors.spectrum.ledger import LEDGER_KINDS
from mappings.mappers import SpectrumCall
from mappings.models import UDFMapping
from mappings.rules import GLRule, Known, MappingRules
from spectrum_sync.api.views import document_views
from spectrum_sync.catalogue import EXPORTS, export_type, rest_post_for
from spectrum_sync.catalogue.ar_invoice import map_ar_invoice
from spectrum_sync.models import type_choices
from spectrum_sync.notifications.health import all_services


def test_the_enums_and_service_tables_name_exactly_the_catalogued_types() -> None:
    assert dict(UDFMapping._meta.get_field("document_type").flatchoices).keys() == set(EXPORTS)
    assert set(EXPORTS) <= dict(type_choices()).keys()
    assert set(document_views()) == {t.api_name for t in EXPORTS.values()}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_type_declares_the_services_it_is_sent_with(name: str) -> None:
    declared = EXPORTS[name]
    assert declared.name == name and export_type(name) is declared
    assert set(declared.udf_services) <= set(declared.services)
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
    assert [t.name for t in EXPORTS.values() if t.takes_udfs] == ["commitment", "job", "maintenance"]


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


def _reconciliation_problems(declared: Any) -> list[str]:
    """What is wrong with a type's reconciliation declaration against the Spectrum ledger kinds."""
    reconciled = declared.reconciled
    if reconciled is None:
        return []
    spec = LEDGER_KINDS.get(reconciled.ledger_kind)
    if spec is None:
        return [f"{declared.name}: no Spectrum ledger kind {reconciled.ledger_kind!r}"]
    fields = set(declared.serializer().fields)
    out = [f"{declared.name}: {f} is not a field of its API body" for f in reconciled.key_fields if f not in fields]
    if len(reconciled.key_fields) != len(spec.key_columns):
        out.append(f"{declared.name}: {len(reconciled.key_fields)} key fields for {len(spec.key_columns)} key columns")
    if not -len(reconciled.key_fields) <= reconciled.narrowed_by < len(reconciled.key_fields):
        out.append(f"{declared.name}: narrowed_by {reconciled.narrowed_by} is not a key part")
    return out


def test_every_reconciled_type_matches_its_spectrum_ledger_kind() -> None:
    assert [p for declared in EXPORTS.values() for p in _reconciliation_problems(declared)] == []
    # Every type the catalogue ships is reconciled (a new type without it is simply not totalled).
    assert all(declared.reconciled is not None for declared in EXPORTS.values())


def test_a_reconciliation_declaration_that_misses_a_key_part_is_found() -> None:
    # Negative control: the change order declared with two of the ledger's three key columns.
    declared = EXPORTS["change_order"]
    assert declared.reconciled is not None
    broken = dataclasses.replace(
        declared, reconciled=dataclasses.replace(declared.reconciled, key_fields=("job_number", "nope"))
    )
    assert _reconciliation_problems(broken) == [
        "change_order: nope is not a field of its API body",
        "change_order: 2 key fields for 3 key columns",
    ]
