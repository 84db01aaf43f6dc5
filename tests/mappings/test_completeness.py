"""What a document needs mapped, named all at once, and what Spectrum's services accept (pure)."""

from __future__ import annotations

from mappings.completeness import missing_in, udf_document_types, udf_slots
from mappings.rules import GLRule, Known, MappingNeed, MappingRules, UDFRule
from spectrum_sync.catalogue.ar_invoice import map_ar_invoice
from spectrum_sync.catalogue.po_receipt import map_po_receipt

EVERYTHING = Known(existing=frozenset({("customer", "DC1|FALCON01")}))


def invoice(department: str = "20") -> dict[str, object]:
    return {
        "invoice_number": "S1",
        "customer_code": "FALCON01",
        "invoice_date": "2026-12-01",
        "department": department,
        "lines": [
            {"kind": "labor", "amount": "380.00"},
            {"kind": "material", "amount": "225.00"},
            {"kind": "labor", "amount": "20.00"},
        ],
    }


def test_every_mapping_row_an_invoice_needs_is_named_at_once() -> None:
    mapped = map_ar_invoice(invoice(), MappingRules(), EVERYTHING, "DC1")
    assert mapped.mapping_needs == [MappingNeed("DC1", "20", "labor"), MappingNeed("DC1", "20", "material")]
    # A missing mapping holds the invoice; it is not an error in the document.
    assert not [p for p in mapped.blocking if p.column == "GL_Account"]


def test_a_department_row_completes_an_invoice_without_a_default_row() -> None:
    rules = MappingRules(gl=(GLRule("20", "", "204100"),))
    mapped = map_ar_invoice(invoice(), rules, EVERYTHING, "DC1")
    assert mapped.mapping_needs == [] and missing_in(rules, "ar_invoice") == []
    assert {d["GL_Account"] for d in mapped.calls[0].fields["invoiceDetails"]} == {"204100"}


def test_a_company_row_wins_over_a_row_for_every_company() -> None:
    rules = MappingRules(gl=(GLRule("20", "labor", "999999"), GLRule("20", "labor", "204100", company="DC1")))
    assert rules.gl_rule("20", "labor", "DC1").gl_account == "204100"  # type: ignore[union-attr]
    assert rules.gl_rule("20", "labor", "DC2").gl_account == "999999"  # type: ignore[union-attr]
    assert MappingRules(gl=(GLRule("", "", "1", company="DC2"),)).gl_rule("20", "labor", "DC1") is None


def test_udf_numbers_come_from_spectrums_service_layouts() -> None:
    assert udf_document_types() == ("commitment", "job", "maintenance")
    assert udf_slots("job") == tuple(range(1, 21))
    assert udf_slots("ar_invoice") == ()
    assert missing_in(MappingRules(udf={"ar_invoice": (UDFRule("region", 1),)}), "ar_invoice")
    assert missing_in(MappingRules(udf={"job": (UDFRule("region", 3),)}), "job") == []


def test_a_receipt_line_without_a_cost_type_names_its_line() -> None:
    receipt = {
        "po_number": "17003",
        "receipt_number": "PS1",
        "receipt_sequence": 1,
        "job_number": "24004",
        "receipt_date": "2026-12-01",
        "lines": [{"po_line_number": 2, "item_code": "!ITEM2", "quantity_received": "1", "phase_code": "0300"}],
    }
    problem = next(
        p for p in map_po_receipt(receipt, MappingRules(), Known(), "DC1").problems if p.column == "Cost_Type"
    )
    assert problem.code == "M" and "line 002 has no cost type" in problem.message
