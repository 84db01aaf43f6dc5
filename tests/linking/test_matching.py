"""The matcher's scores: each rule with its reason, and near misses kept below the bulk threshold."""

from __future__ import annotations

from typing import Any

from linking.matching import BULK_CONFIRM_AT, PROPOSE_AT, MirrorIndex, Side, normal_name, normal_phone

ACME = {
    "company_code": "AC1",
    "vendor_code": "ACME01",
    "name": "ACME SUPPLY",
    "address_1": "100 North Main Street",
    "city": "Austin",
    "zip_code": "78701-1234",
    "phone_number": "(512) 555-0100",
}
ACME_WEST = {
    "company_code": "AC1",
    "vendor_code": "ACMEW",
    "name": "Acme Supply West",
    "address_1": "9 Lake Rd",
    "city": "Waco",
    "zip_code": "76701",
    "phone_number": "254-555-0199",
}


def index(*rows: dict[str, Any]) -> MirrorIndex:
    return MirrorIndex.build("vendor", [(f"{r['company_code']}|{r['vendor_code']}", r) for r in rows])


def best(platform: dict[str, Any], *rows: dict[str, Any]) -> list[tuple[str, int, str]]:
    side = Side.of_platform(platform.get("platform_id", "P1"), platform)
    return [(m.spectrum_key, m.score, m.reason) for m in index(*rows).matches(side)]


def test_names_are_compared_without_case_punctuation_or_legal_suffix() -> None:
    assert normal_name("Acme Supply, Inc.") == normal_name("ACME SUPPLY") == "acme supply"
    assert normal_name("Smith & Sons L.L.C.") == "smith and sons"
    assert normal_phone("+1 (512) 555-0100") == normal_phone("512.555.0100") == "5125550100"
    assert normal_name("Acme Supply West") != "acme supply"  # a distinguishing word stays


def test_the_same_code_is_the_strongest_match_and_with_the_same_name_it_is_certain() -> None:
    assert best({"name": "Acme Supply, Inc.", "code": "acme01"}, ACME) == [("AC1|ACME01", 100, "Same code and name")]
    assert best({"name": "Someone Else", "code": "ACME01"}, ACME) == [("AC1|ACME01", 90, "Same code")]


def test_the_same_name_with_the_phone_or_the_address() -> None:
    by_phone = best({"name": "Acme Supply LLC", "phone": "512-555-0100"}, ACME, ACME_WEST)
    assert by_phone[0] == ("AC1|ACME01", 90, "Same name and phone")
    address = {"line_1": "100 N. Main St.", "zip": "78701"}
    by_address = best({"name": "ACME Supply Inc", "address": address}, ACME)
    assert by_address == [("AC1|ACME01", 85, "Same name and address")]


def test_the_same_tax_id_matches_where_the_mirror_has_one() -> None:
    with_tax_id = {**ACME, "fed_id_number": "74-1234567", "name": "Acme Holdings"}
    assert best({"name": "Totally Renamed", "tax_id": "741234567"}, with_tax_id) == [("AC1|ACME01", 95, "Same tax id")]
    assert best({"name": "Totally Renamed", "tax_id": "741234568"}, with_tax_id) == []  # control: one digit off


def test_a_different_company_with_a_similar_name_stays_below_the_bulk_threshold() -> None:
    # "Acme Supply" on the platform (Austin phone and street) against Spectrum's "Acme Supply West" in Waco.
    platform = {"name": "Acme Supply", "phone": "512-555-0100", "address": {"line_1": "100 Main St", "zip": "78701"}}
    matches = best(platform, ACME_WEST)
    assert all(score < BULK_CONFIRM_AT for _, score, _ in matches), matches
    # And the same name with a different phone and address is two companies: not proposed at all.
    other_acme = {**ACME, "vendor_code": "ACME9", "phone_number": "972-555-0000", "address_1": "1 Elm St"}
    assert best(platform, other_acme) == []
    assert PROPOSE_AT > 30
    # Control: the real Acme is proposed above the threshold for the same platform record.
    assert best(platform, ACME)[0][1] >= BULK_CONFIRM_AT
