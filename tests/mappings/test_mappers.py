"""The pure mappers: what an accountant's document becomes in Spectrum, table-tested and with Hypothesis."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.completeness import missing_in
from mappings.mappers import spectrum_date
from mappings.rules import GLRule, Known, MappingRules, TaxDefault, UDFRule
from spectrum_sync.catalogue.ar_invoice import allocate, map_ar_invoice
from spectrum_sync.catalogue.change_order import map_change_order
from spectrum_sync.catalogue.commitment import map_commitment
from spectrum_sync.catalogue.job import map_job
from spectrum_sync.catalogue.maintenance import map_maintenance
from spectrum_sync.catalogue.po_receipt import map_po_receipt

RULES = MappingRules(
    gl=(
        GLRule("", "", "400000"),
        GLRule("", "labor", "410000", "100"),
        GLRule("", "material", "420000"),
        GLRule("SVC", "labor", "411000", "200"),
        GLRule("", "commitment", "510000"),
    ),
    udf={"job": (UDFRule("region", 1, 10), UDFRule("crew", 2, 5, required=True))},
    tax_defaults={"ar_invoice": TaxDefault("TXDEF", Decimal("5"))},
)
EVERYTHING = Known(
    existing=frozenset(
        {
            ("customer", "AC1|CUST1"),
            ("job", "AC1|J100"),
            ("vendor", "AC1|V1"),
            ("cost_type", "AC1|M"),
            ("phase", "AC1|J100|0100|M"),
        }
    ),
    job_tax={"AC1|J100": "TXJOB"},
    tax_rates={"AC1|TXJOB": Decimal("8.25"), "AC1|TXOWN": Decimal("6")},
    today=date(2026, 11, 22),
)


def invoice(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "document_id": "inv-1",
        "version": "1",
        "invoice_number": "INV1001",
        "customer_code": "CUST1",
        "invoice_date": "2026-11-20",
        "lines": [
            {"kind": "labor", "description": "Install", "amount": "300.00", "taxable": True},
            {"kind": "material", "description": "Pipe", "amount": "100.00", "taxable": True},
        ],
    }
    doc.update(overrides)
    return doc


def header(mapped: Any) -> dict[str, Any]:
    return mapped.calls[0].fields


def test_invoice_becomes_one_multi_line_customer_invoice() -> None:
    mapped = map_ar_invoice(invoice(), RULES, EVERYTHING, "AC1")
    assert mapped.problems == []
    assert [c.service for c in mapped.calls] == ["customer/invoice"]
    h = header(mapped)
    assert h["Company_Code"] == "AC1"
    assert h["Invoice_Date"] == "11/20/2026"
    assert h["GL_Date"] == "11/20/2026"
    assert h["Transaction_Type"] == "I"
    assert [(d["GL_Account"], d["Line_Extension"]) for d in h["invoiceDetails"]] == [
        ("410000", 300.0),
        ("420000", 100.0),
    ]
    assert h["invoiceDetails"][0]["Income_Cost_Center"] == "100"


@pytest.mark.parametrize(
    ("overrides", "tax_code", "tax"),
    [
        # With a job: the job's tax code and its rate, whatever the invoice says.
        ({"job_number": "J100", "tax_code": "TXOWN", "tax_rate": "6"}, "TXJOB", 33.0),
        # Without a job: the invoice's own code and rate.
        ({"tax_code": "TXOWN", "tax_rate": "7"}, "TXOWN", 28.0),
        # Own code, rate from the mirrored tax table.
        ({"tax_code": "TXOWN"}, "TXOWN", 24.0),
        # Nothing on the invoice: the tenant's default.
        ({}, "TXDEF", 20.0),
    ],
)
def test_tax_comes_from_the_job_else_the_invoice(overrides: dict[str, Any], tax_code: str, tax: float) -> None:
    h = header(map_ar_invoice(invoice(**overrides), RULES, EVERYTHING, "AC1"))
    assert h["Sales_Tax_Code"] == tax_code
    assert h["Sales_Tax_Amount"] == tax


def test_discount_is_spread_over_lines_and_non_taxable_lines_carry_no_tax() -> None:
    doc = invoice(
        tax_code="TXOWN",
        tax_rate="10",
        lines=[
            {"kind": "labor", "amount": "300.00", "taxable": False},
            {"kind": "material", "amount": "100.00", "taxable": True},
            {"kind": "discount", "amount": "-40.00"},
        ],
    )
    h = header(map_ar_invoice(doc, RULES, EVERYTHING, "AC1"))
    assert [d["Line_Extension"] for d in h["invoiceDetails"]] == [270.0, 90.0]
    assert [d["Taxable_Flag"] for d in h["invoiceDetails"]] == ["N", "Y"]
    assert h["Sales_Tax_Amount"] == 9.0


def test_negative_total_is_a_credit_memo_with_positive_amounts() -> None:
    doc = invoice(lines=[{"kind": "material", "amount": "-120.00", "taxable": False}], tax_rate="0")
    h = header(map_ar_invoice(doc, RULES, EVERYTHING, "AC1"))
    assert h["Transaction_Type"] == "C"
    assert h["invoiceDetails"][0]["Line_Extension"] == 120.0


def test_mixed_sign_lines_are_refused_before_sending() -> None:
    doc = invoice(lines=[{"kind": "labor", "amount": "100"}, {"kind": "material", "amount": "-20"}])
    mapped = map_ar_invoice(doc, RULES, EVERYTHING, "AC1")
    assert [p.column for p in mapped.blocking] == ["Line_Extension"]


def test_department_picks_its_own_gl_account() -> None:
    doc = invoice(department="SVC")
    details = header(map_ar_invoice(doc, RULES, EVERYTHING, "AC1"))["invoiceDetails"]
    assert [d["GL_Account"] for d in details] == ["411000", "420000"]


@pytest.mark.parametrize(
    ("overrides", "code", "column", "is_parent"),
    [
        ({"customer_code": "NOPE"}, "M", "Customer_Code", True),
        ({"job_number": "J404"}, "M", "Job_Number", True),
        ({"invoice_number": "X" * 11}, "I", "Invoice_Or_Transaction", False),
        ({"invoice_date": "1999-01-01"}, "I", "Invoice_Date", False),
        ({"lines": [{"kind": "tax", "amount": "3"}]}, "M", "Line_Extension", False),
    ],
)
def test_invoice_problems_use_spectrum_codes_and_columns(
    overrides: dict[str, Any], code: str, column: str, is_parent: bool
) -> None:
    mapped = map_ar_invoice(invoice(**overrides), RULES, EVERYTHING, "AC1")
    problem = next(p for p in mapped.problems if p.column == column)
    assert problem.code == code
    assert (problem.parent is not None) == is_parent


def test_missing_gl_mapping_is_named() -> None:
    rules = MappingRules(gl=(GLRule("", "labor", "410000"),))
    mapped = map_ar_invoice(invoice(), rules, EVERYTHING, "AC1")
    assert any("material lines" in p.message and p.column == "GL_Account" for p in mapped.problems)
    assert [n.line_kind for n in mapped.mapping_needs] == ["material"]
    assert not missing_in(rules, "ar_invoice") and not missing_in(RULES, "ar_invoice")


def test_new_job_is_added_with_udfs_then_phases() -> None:
    doc = {
        "job_number": "J200",
        "description": "A very long job description that Spectrum cuts",
        "customer_code": "CUST1",
        "est_start_date": "2026-12-01",
        "custom_fields": {"region": "North", "crew": "C7"},
        "phases": [{"phase_code": "0100", "cost_type": "L", "description": "Labor", "budget_amount": "1500.00"}],
    }
    mapped = map_job(doc, RULES, EVERYTHING, "AC1")
    assert mapped.problems == []
    assert [c.service for c in mapped.calls] == ["AddJob", "AddPhase"]
    add = mapped.calls[0].fields
    assert add["Job_Description"] == "A very long job descriptio"[:25]
    assert (add["UDF1"], add["UDF2"], add["Est_Start_Date"]) == ("North", "C7", "12/01/2026")
    assert mapped.calls[1].fields["Original_Est_Cost"] == "1500.00"


def test_known_job_is_updated_and_its_udfs_go_through_update_job_udf() -> None:
    known = Known(existing=EVERYTHING.existing, job_exists_in_spectrum=True, today=EVERYTHING.today)
    doc = {"job_number": "J100", "custom_fields": {"crew": "C7"}}
    mapped = map_job(doc, RULES, known, "AC1")
    assert [c.service for c in mapped.calls] == ["UpdateJob", "UpdateJob_UDF"]
    assert "UDF2" not in mapped.calls[0].fields


def test_job_udf_rules_are_enforced() -> None:
    mapped = map_job({"job_number": "J1", "custom_fields": {"region": "x" * 11}}, RULES, EVERYTHING, "AC1")
    assert {(p.code, p.column) for p in mapped.problems} == {("I", "UDF1"), ("M", "UDF2")}


def test_po_receipt_without_job_or_cost_type_is_refused_clearly() -> None:
    doc = {
        "po_number": "PO77",
        "receipt_number": "PL1",
        "receipt_sequence": 2,
        "receipt_date": "2026-11-21",
        "lines": [{"item_code": "!pipe", "quantity_received": "4"}],
    }
    mapped = map_po_receipt(doc, RULES, EVERYTHING, "AC1")
    messages = [p.message for p in mapped.blocking]
    assert any("not linked to a JC job" in m for m in messages)
    assert any("line 001 has no cost type" in m for m in messages)


def test_po_receipt_lines_become_packing_list_rows() -> None:
    doc = {
        "po_number": "PO77",
        "receipt_number": "PL1",
        "receipt_sequence": 2,
        "job_number": "J100",
        "receipt_date": "2026-11-21",
        "lines": [
            {
                "po_line_number": 2,
                "item_code": "!pipe",
                "quantity_received": "4",
                "phase_code": "0100",
                "cost_type": "M",
            }
        ],
    }
    mapped = map_po_receipt(doc, RULES, EVERYTHING, "AC1")
    assert mapped.problems == []
    row = mapped.calls[0].fields["lines"][0]
    assert (row["PO_Line_Number"], row["Receipt_Number"], row["Quantity_Received"]) == ("002", "002", 4.0)
    assert mapped.lookup_key == {"po_number": "PO77", "receipt_number": "002"}


def test_maintenance_without_a_service_agreement_becomes_a_site_work_order() -> None:
    doc = {"work_order_number": "WO5", "site_id": "SITE1", "customer_code": "CUST1", "scheduled_date": "2026-12-03"}
    mapped = map_maintenance(doc, RULES, EVERYTHING, "AC1")
    assert mapped.problems == []
    assert [c.service for c in mapped.calls] == ["WorkOrderHeader"]
    f = mapped.calls[0].fields
    assert (f["WO_Reference_Code"], f["WO_Job_Number"], f["Scheduled_Start_Date"]) == ("S", "SITE1", "12/03/2026")


def test_a_service_agreement_maintenance_becomes_a_visit_on_its_contract() -> None:
    doc = {
        "work_order_number": "WO5",
        "site_id": "SITE1",
        "customer_code": "CUST1",
        "service_contract_number": "SC1",
        "scheduled_date": "2026-12-03",
        "custom_fields": {"tier": "Gold"},
    }
    rules = MappingRules(udf={"maintenance": (UDFRule("tier", 3),)})
    mapped = map_maintenance(doc, rules, EVERYTHING, "AC1")
    assert mapped.problems == []
    visit, udfs = mapped.calls
    assert visit.rest and visit.service == "serviceContract/Visit"
    assert (visit.fields["Site_ID"], visit.fields["Contract_Number"], visit.fields["Visit_Date"]) == (
        "SITE1",
        "SC1",
        "12/03/2026",
    )
    assert (udfs.service, udfs.fields["UDF3"], udfs.fields["Contract_Number"]) == (
        "UpdateServiceContract_UDF",
        "Gold",
        "SC1",
    )
    assert mapped.lookup_kind == "sc_visit"


def test_commitment_becomes_subcontract_and_phases() -> None:
    doc = {
        "commitment_number": "SC9",
        "vendor_code": "V1",
        "job_number": "J100",
        "lines": [{"phase_code": "0100", "cost_type": "M", "amount": "2500.00"}],
    }
    mapped = map_commitment(doc, RULES, EVERYTHING, "AC1")
    assert mapped.problems == []
    assert [c.service for c in mapped.calls] == ["UpdateSubcontract", "UpdateSubcontractPhases"]
    assert mapped.calls[0].fields["GL_Account"] == "510000"


def test_change_order_repeats_header_per_line() -> None:
    doc = {
        "change_order_number": "CO1",
        "job_number": "J100",
        "customer_code": "CUST1",
        "lines": [{"amount": "100"}, {"amount": "-40"}],
    }
    mapped = map_change_order(doc, RULES, EVERYTHING, "AC1")
    assert mapped.problems == []
    assert [c.fields["Revenue"] for c in mapped.calls] == ["100", "-40"]
    assert all(c.fields["Change_Order_Number"] == "CO1" for c in mapped.calls)


# --- properties ------------------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@given(
    total=st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2),
    weights=st.lists(amounts, min_size=1, max_size=8),
)
def test_allocation_always_adds_up_to_the_cent(total: Decimal, weights: list[Decimal]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)


@settings(max_examples=60)
@given(
    line_amounts=st.lists(amounts, min_size=1, max_size=6),
    discount=st.decimals(min_value=Decimal("0"), max_value=Decimal("50"), places=2),
    rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("15"), places=4),
    negate=st.booleans(),
)
def test_invoice_totals_survive_mapping(
    line_amounts: list[Decimal], discount: Decimal, rate: Decimal, negate: bool
) -> None:
    sign = -1 if negate else 1
    lines = [{"kind": "labor", "amount": str(a * sign)} for a in line_amounts]
    lines.append({"kind": "discount", "amount": str(min(discount, sum(line_amounts)))})
    h = header(map_ar_invoice(invoice(lines=lines, tax_rate=str(rate)), RULES, EVERYTHING, "AC1"))
    sent = sum(Decimal(str(d["Line_Extension"])) for d in h["invoiceDetails"])
    expected = abs(sum(line_amounts) - min(discount, sum(line_amounts)))
    assert sent == expected
    assert all(d["Line_Extension"] >= 0 for d in h["invoiceDetails"])
    assert h["Transaction_Type"] == ("C" if negate and expected > 0 else "I") or expected == 0


@given(text=st.text(max_size=400))
def test_free_text_never_exceeds_spectrum_lengths(text: str) -> None:
    doc = invoice(remarks=text, customer_po=text, lines=[{"kind": "labor", "amount": "1", "description": text}])
    h = header(map_ar_invoice(doc, RULES, EVERYTHING, "AC1"))
    assert len(h["Remarks"]) <= 65 and len(h["Customer_PO"]) <= 25
    assert len(h["invoiceDetails"][0]["Detail_Description"]) <= 30


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_dates_are_mm_dd_ccyy(d: date) -> None:
    out = spectrum_date(d.isoformat())
    assert len(out) == 10 and out[2] == out[5] == "/"
    assert date(int(out[6:]), int(out[:2]), int(out[3:5])) == d


def test_phase_and_subcontract_udfs_go_to_their_udf_services() -> None:
    rules = MappingRules(udf={"job": (UDFRule("inspection", 2),), "commitment": (UDFRule("bond", 1),)})
    job = {
        "job_number": "J100",
        "phases": [
            {"phase_code": "0100", "cost_type": "L", "description": "Labor", "custom_fields": {"inspection": "Y"}},
            {"phase_code": "0200", "cost_type": "M", "description": "Material"},
        ],
    }
    calls = map_job(job, rules, EVERYTHING, "AC1").calls
    assert [c.service for c in calls] == ["AddJob", "AddPhase", "UpdatePhase_UDF", "AddPhase"]
    assert calls[2].fields == {
        "Company_Code": "AC1",
        "Job_Number": "J100",
        "Phase_Code": "0100",
        "Cost_Type": "L",
        "UDF2": "Y",
    }
    commitment = {
        "commitment_number": "SC9",
        "vendor_code": "V1",
        "job_number": "J100",
        "custom_fields": {"bond": "Bonded"},
        "lines": [{"phase_code": "0100", "cost_type": "M", "amount": "2500.00"}],
    }
    calls = map_commitment(commitment, rules, EVERYTHING, "AC1").calls
    assert [c.service for c in calls] == ["UpdateSubcontract", "UpdateSubcontract_UDF", "UpdateSubcontractPhases"]
    assert calls[1].fields["UDF1"] == "Bonded"
    # Without a value for the mapped field nothing is sent.
    commitment["custom_fields"] = {}
    assert "UpdateSubcontract_UDF" not in [
        c.service for c in map_commitment(commitment, rules, EVERYTHING, "AC1").calls
    ]
