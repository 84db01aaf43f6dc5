"""Pure matching: a platform directory record against mirrored Spectrum records, with a score and why.

No I/O. The rules, strongest first (the best one a pair meets is its score):

- the same tax id (digits only)                                  95
- the same code (case and spaces aside)                          90, 100 with the same name too
- the same normalised name and the same phone                    90
- the same normalised name and the same street address           85
- the same normalised name, nothing else to compare              60
- a near name (one small difference) and the same phone/address  75
- a near name only                                               40
- the same name but a different phone *and* address              30 (two companies, one name)

Names are normalised for case, punctuation, "&"/"and" and legal suffixes (LLC, Inc, Corp...).
Spectrum's Get Vendors returns no tax id (docs/spectrum.md#get-vendors-rest), so the tax-id rule applies
only where a mirrored record carries one (``fed_id_number`` or ``tax_id``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

PROPOSE_AT = 40  # below this a pair is not proposed at all
BULK_CONFIRM_AT = 85  # the screen's default for "confirm every proposal scoring at least"
NEAR_NAME = 0.88  # SequenceMatcher ratio of two normalised names that differ by a letter or two

LEGAL_SUFFIXES = frozenset(
    {"llc", "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "lp", "llp", "pllc"}
    | {"pc", "plc", "the"}
)
_STREET_WORDS = {
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "drive": "dr",
    "boulevard": "blvd",
    "suite": "ste",
    "lane": "ln",
    "highway": "hwy",
    "parkway": "pkwy",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}
# Per mirrored object type: the code field and the name field of the record's data.
CODE_FIELD = {"customer": "customer_code", "vendor": "vendor_code", "job": "job_number"}
NAME_FIELD = {"customer": "name", "vendor": "name", "job": "job_description"}


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("&", " and ")).split()


def normal_name(name: str) -> str:
    """Lower case, no punctuation, "and" for "&", no legal suffix: "ACME Supply, Inc." → "acme supply"."""
    words = [w for w in _words(name.replace(".", "")) if w not in LEGAL_SUFFIXES]
    return " ".join(words)


def normal_phone(phone: str) -> str:
    """The last ten digits (a leading country code 1 and any punctuation ignored); '' when shorter."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 10 else ""


def normal_street(line: str) -> str:
    return " ".join(_STREET_WORDS.get(w, w) for w in _words(line or ""))


def normal_address(address: Mapping[str, Any]) -> str:
    """Street line and five-digit ZIP (or city when no ZIP); '' when there is no street line."""
    street = normal_street(str(address.get("line_1") or ""))
    if not street:
        return ""
    zip5 = re.sub(r"\D", "", str(address.get("zip") or ""))[:5]
    return f"{street}|{zip5 or normal_street(str(address.get('city') or ''))}"


def normal_tax_id(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    return digits if len(digits) == 9 else ""


@dataclass(frozen=True)
class Side:
    """One record of either side, normalised for comparison."""

    key: str  # platform id, or the Spectrum mirror key
    name: str
    code: str = ""
    phone: str = ""
    address: str = ""
    tax_id: str = ""
    shown_name: str = ""

    @classmethod
    def of_platform(cls, platform_id: str, record: Mapping[str, Any]) -> Side:
        return cls(
            key=platform_id,
            name=normal_name(str(record.get("name") or "")),
            code=str(record.get("code") or "").strip().upper(),
            phone=normal_phone(str(record.get("phone") or "")),
            address=normal_address(record.get("address") or {}),
            tax_id=normal_tax_id(str(record.get("tax_id") or "")),
            shown_name=str(record.get("name") or ""),
        )

    @classmethod
    def of_mirror(cls, object_type: str, key: str, data: Mapping[str, Any]) -> Side:
        address = {"line_1": data.get("address_1"), "zip": data.get("zip_code"), "city": data.get("city")}
        name = str(data.get(NAME_FIELD[object_type]) or "")
        return cls(
            key=key,
            name=normal_name(name),
            code=str(data.get(CODE_FIELD[object_type]) or "").strip().upper(),
            phone=normal_phone(str(data.get("phone_number") or "")),
            address=normal_address(address),
            tax_id=normal_tax_id(str(data.get("fed_id_number") or data.get("tax_id") or "")),
            shown_name=name,
        )


@dataclass(frozen=True)
class Match:
    spectrum_key: str
    score: int
    reason: str


def _same(a: str, b: str) -> bool:
    return bool(a) and a == b


def _name_rule(platform: Side, spectrum: Side, same_phone: bool, same_address: bool) -> tuple[int, str] | None:
    if _same(platform.name, spectrum.name):
        if same_phone:
            return 90, "Same name and phone"
        if same_address:
            return 85, "Same name and address"
        differs = platform.phone and spectrum.phone and platform.address and spectrum.address
        if differs:
            return 30, "Same name, but a different phone and address"
        return 60, "Same name only; no phone or address agrees"
    if platform.name and spectrum.name and SequenceMatcher(None, platform.name, spectrum.name).ratio() >= NEAR_NAME:
        if same_phone or same_address:
            return 75, f"Nearly the same name and the same {'phone' if same_phone else 'address'}"
        return 40, "Nearly the same name only"
    return None


def score(platform: Side, spectrum: Side) -> Match | None:
    """The best rule the pair meets, or None when it meets none."""
    if _same(platform.tax_id, spectrum.tax_id):
        return Match(spectrum.key, 95, "Same tax id")
    same_name = _same(platform.name, spectrum.name)
    if _same(platform.code, spectrum.code):
        return Match(spectrum.key, 100 if same_name else 90, "Same code and name" if same_name else "Same code")
    found = _name_rule(
        platform, spectrum, _same(platform.phone, spectrum.phone), _same(platform.address, spectrum.address)
    )
    return Match(spectrum.key, *found) if found else None


@dataclass
class MirrorIndex:
    """The mirrored records of one object type, indexed so each platform record meets only likely pairs."""

    sides: dict[str, Side] = field(default_factory=dict)
    by_value: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def build(cls, object_type: str, rows: Iterable[tuple[str, Mapping[str, Any]]]) -> MirrorIndex:
        index = cls()
        for key, data in rows:
            side = Side.of_mirror(object_type, key, data or {})
            index.sides[key] = side
            for kind, value in index.values_of(side):
                index.by_value[(kind, value)].add(key)
        return index

    @staticmethod
    def values_of(side: Side) -> list[tuple[str, str]]:
        # The name's first four letters find the near names too (they rarely differ there).
        pairs = [("tax", side.tax_id), ("code", side.code), ("phone", side.phone), ("start", side.name[:4])]
        return [(kind, value) for kind, value in pairs if value]

    def matches(self, platform: Side) -> list[Match]:
        """Every proposable match for ``platform``, best first."""
        keys: set[str] = set()
        for pair in self.values_of(platform):
            keys |= self.by_value.get(pair, set())
        found = [m for key in keys if (m := score(platform, self.sides[key])) and m.score >= PROPOSE_AT]
        return sorted(found, key=lambda m: (-m.score, m.spectrum_key))
