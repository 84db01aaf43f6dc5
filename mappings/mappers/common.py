"""What every mapper shares: the result types, the converters, the problem collector and the UDFs.

See :mod:`mappings.mappers` for what a mapper is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connectors.spectrum.layouts import layout_for
from mappings.rules import Known, MappingNeed, MappingRules

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Problem:
    code: str  # "M" missing, "I" invalid (Spectrum's codes)
    message: str
    column: str = ""
    parent: tuple[str, str] | None = None  # (object_type, mirror key) of a missing master record
    need: MappingNeed | None = None  # a mapping row the tenant must add: the document waits for it

    def __str__(self) -> str:
        where = f" [{self.column}]" if self.column else ""
        return f"{self.code}: {self.message}{where}"


@dataclass(frozen=True)
class SpectrumCall:
    """One call: a SOAP Put (``rest`` False, one record) or a REST POST of one document."""

    service: str
    fields: dict[str, Any]
    rest: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "rest": self.rest, "fields": self.fields}


@dataclass
class Mapped:
    calls: list[SpectrumCall] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lookup_kind: str = ""  # SpectrumDatabase.find_document kind to reconcile an unknown outcome
    lookup_key: dict[str, str] = field(default_factory=dict)
    document_number: str = ""

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.parent is None and p.need is None]

    @property
    def mapping_needs(self) -> list[MappingNeed]:
        """Every mapping row the document still needs, once each, in line order."""
        return list(dict.fromkeys(p.need for p in self.problems if p.need is not None))

    @property
    def missing_parents(self) -> list[Problem]:
        return [p for p in self.problems if p.parent is not None]


# --- small converters --------------------------------------------------------------------------


def money(value: Any) -> Decimal:
    """A platform amount as Decimal; "" and None are zero."""
    if value in (None, ""):
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def spectrum_date(iso: str | None) -> str:
    """ISO date → Spectrum's MM/DD/CCYY (docs/spectrum.md#formats); "" stays ""."""
    if not iso:
        return ""
    d = date.fromisoformat(str(iso)[:10])
    return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"


def text(value: Any, max_length: int) -> str:
    """Free text cut to the column length (descriptions, remarks)."""
    return str(value or "").strip()[:max_length]


def number_fits(value: Decimal, max_length: int) -> bool:
    """Spectrum's Numeric max counts every character of the plain number (sign and point included)."""
    return len(f"{value:f}") <= max_length


def key_of(company: str, *parts: str) -> str:
    """The mirror's key of a Spectrum record: company and key fields joined with ``|``."""
    return "|".join((company, *parts))


class Checker:
    """Collects problems while building fields; lengths come from the layouts of the services the
    mapper calls (connectors/spectrum/layouts.py), the first that has the column."""

    def __init__(self, problems: list[Problem], *services: str) -> None:
        self.problems = problems
        self.lengths: dict[str, int] = {}
        for layout in reversed([layout_for(service) for service in services]):
            self.lengths.update({f.name: f.max_length for f in (*layout.fields, *layout.detail)})

    def length(self, column: str) -> int:
        try:
            return self.lengths[column]
        except KeyError:
            raise KeyError(f"{column} is in none of the layouts this mapper checks against") from None

    def code(self, value: Any, column: str, max_length: int | None = None, *, required: bool = False) -> str:
        max_length = max_length or self.length(column)
        result = str(value or "").strip()
        if not result:
            if required:
                self.problems.append(Problem("M", f"{column} is required", column))
            return ""
        if len(result) > max_length:
            self.problems.append(
                Problem("I", f"{column} {result!r} is longer than Spectrum's {max_length} characters", column)
            )
        return result

    def text(self, value: Any, column: str) -> str:
        """Free text (descriptions, remarks) cut to the column's length in the layout."""
        return text(value, self.length(column))

    def no_dashes(self, value: str, column: str) -> str:
        if "-" in value:
            self.problems.append(Problem("I", f"{column} {value!r} must be sent without dashes", column))
        return value

    def date(self, value: Any, column: str, known: Known, *, required: bool = False) -> str:
        if not value:
            if required:
                self.problems.append(Problem("M", f"{column} is required", column))
            return ""
        try:
            d = date.fromisoformat(str(value)[:10])
        except ValueError:
            self.problems.append(Problem("I", f"{column} {value!r} is not a date", column))
            return ""
        # Spectrum dates are MM/DD/CCYY; far-off years are typing mistakes, not plans.
        if abs(d.year - known.today.year) > 10:
            self.problems.append(Problem("I", f"{column} {d.isoformat()} is more than ten years away", column))
        return spectrum_date(d.isoformat())

    def amount(self, value: Decimal, column: str, max_length: int | None = None) -> Decimal:
        max_length = max_length or self.length(column)
        if not number_fits(value, max_length):
            self.problems.append(Problem("I", f"{column} {value} does not fit Spectrum's {max_length} digits", column))
        return value

    def parent(self, known: Known, object_type: str, key: str, column: str, label: str) -> None:
        if not known.has(object_type, key):
            self.problems.append(
                Problem(
                    "M", f"{label} {key.split('|', 1)[-1]!r} does not exist in Spectrum yet", column, (object_type, key)
                )
            )


def udf_fields(
    document: Mapping[str, Any], rules: MappingRules, document_type: str, check: Checker, *, enforce: bool = True
) -> dict[str, str]:
    """UDF1…UDF20 from the document's (or a line's) custom_fields through the tenant's UDF
    configuration; ``enforce`` False: a required field may be absent (a line sends what it has)."""
    custom = document.get("custom_fields") or {}
    out: dict[str, str] = {}
    for rule in rules.udfs(document_type):
        value = str(custom.get(rule.platform_field, "") or "").strip()
        column = f"UDF{rule.slot}"
        if not value:
            if rule.required and enforce:
                check.problems.append(Problem("M", f"{rule.platform_field} is required for {column}", column))
            continue
        if len(value) > rule.max_length:
            check.problems.append(
                Problem(
                    "I",
                    f"{rule.platform_field} {value!r} is longer than {column}'s {rule.max_length} characters",
                    column,
                )
            )
        out[column] = value
    return out


def company_of(document: Mapping[str, Any], default_company: str) -> str:
    return str(document.get("company_code") or default_company).strip().upper()


def num(value: Any, check: Checker, column: str, max_length: int | None = None) -> str:
    if value in (None, ""):
        return ""
    return f"{check.amount(money(value), column, max_length):f}"


Mapper = Callable[[Mapping[str, Any], MappingRules, Known, str], Mapped]
