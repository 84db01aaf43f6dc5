"""The checks of ``rules.py``: each builds one check of a record (a SOAP record, a REST document's
header or one of its lines, a Get's parameters) that answers Spectrum's messages
(docs/spectrum.md#rules-by-page, docs/spectrum.md#replies-and-codes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from connectors.spectrum import layouts
from connectors.spectrum.errors import SpectrumMessage

Check = Callable[[Mapping[str, object]], list[SpectrumMessage]]


def invalid(column: str, reason: str) -> SpectrumMessage:
    return SpectrumMessage("I", f"{column} is invalid, {reason}", column)


def text(record: Mapping[str, object], name: str) -> str:
    return layouts.as_text(record.get(name, "")).strip()


def amount(record: Mapping[str, object], name: str) -> Decimal | None:
    value = text(record, name)
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None  # the layout reports a malformed number


def day(record: Mapping[str, object], name: str) -> date | None:
    return layouts.parse_date(text(record, name))


# ---------------------------------------------------------------------------------------------
# check builders


def not_before(later: str, earlier: str) -> Check:
    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        first, second = day(record, earlier), day(record, later)
        if first and second and second < first:
            return [invalid(later, f"the date is before {earlier}")]
        return []

    return check


def distinct(*names: str, what: str) -> Check:
    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        seen: set[str] = set()
        out = []
        for name in names:
            value = text(record, name).upper()
            if value and value in seen:
                out.append(invalid(name, f"the {what} must differ from each other"))
            seen.add(value)
        return out

    return check


def not_negative(*names: str, unless: tuple[str, str] | None = None) -> Check:
    """Amounts that may not be below zero; ``unless`` = (element, value) that allows a negative one."""

    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        if unless and text(record, unless[0]).upper() == unless[1]:
            return []
        out = []
        for name in names:
            value = amount(record, name)
            if value is not None and value < 0:
                out.append(invalid(name, "amount must be positive"))
        return out

    return check


def percent(*names: str) -> Check:
    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        out = []
        for name in names:
            value = amount(record, name)
            if value is not None and not (0 <= value <= 100):
                out.append(invalid(name, "the percentage must be between 0 and 100"))
        return out

    return check


def level(*names: str, low: int = 1, high: int = 5) -> Check:
    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        out = []
        for name in names:
            value = text(record, name)
            if value and not (value.isdigit() and low <= int(value) <= high):
                out.append(invalid(name, f"the level must be {low} to {high}"))
        return out

    return check


_TIME = re.compile(r"^([01]\d|2[0-3])[0-5]\d[0-5]\d$")


def hhmmss(*names: str) -> Check:
    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        bad = [n for n in names if text(record, n) and not _TIME.match(text(record, n))]
        return [invalid(n, "time must be HHMMSS") for n in bad]

    return check


def no_dashes(name: str) -> Check:
    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        return [layouts.msg_mask(name)] if "-" in text(record, name) else []

    return check


def reserved(*names: str) -> Check:
    """Fields the page reserves: blank (or zero for a number) only."""

    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        out = []
        for name in names:
            value = text(record, name)
            if value and amount(record, name) != 0:
                out.append(invalid(name, "the field is reserved, equipment and work order lines cannot be sent here"))
        return out

    return check


def non_zero_quantity(name: str, entry_type: str) -> Check:
    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        if text(record, entry_type).upper() == "M":
            return []  # a message line carries no quantity
        return [] if amount(record, name) else [invalid(name, "it must not be zero")]

    return check


def positive(name: str) -> Check:
    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        value = amount(record, name)
        return [invalid(name, "the quantity must be more than zero")] if value is not None and value <= 0 else []

    return check


def sequence(name: str, high: int = 999) -> Check:
    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        value = text(record, name)
        if value and not (value.isdigit() and 1 <= int(value) <= high):
            return [invalid(name, f"it must be a number from 1 to {high}")]
        return []

    return check


_VERSION = re.compile(r"^\d+(\.\d+)+$")


def version_format(name: str) -> Check:
    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        value = text(record, name)
        return [layouts.msg_mask(name)] if value and not _VERSION.match(value) else []

    return check


# SuperSelect on Get parameters (docs/spectrum.md#superselect): every Get page names the parameters
# without it; the others take Exact Match, List (A,B), Range (A/Z), Wildcard (L*), Character Match
# (?), Everything But (#X) and ALL, alone or combined in a list; each parameter keeps its maximum length.
NOT_SUPERSELECT = ("pStatus_Code", "pStatus", "pCost_Center", "pCostCenter", "pSort_By")
_SELECTION_CHARS = set(",/*?#")


def one_value(record: Mapping[str, object]) -> list[SpectrumMessage]:
    out = []
    for name in NOT_SUPERSELECT:
        value = text(record, name)
        if value.upper() != "ALL" and _SELECTION_CHARS & set(value):
            out.append(invalid(name, "this parameter takes one value, SuperSelect is not allowed"))
    return out


def _item_ok(item: str) -> bool:
    item = item[1:] if item.startswith("#") else item
    if not item or "#" in item:
        return False
    if "/" in item:
        low, _, high = item.partition("/")
        return bool(low and high) and "/" not in high and not (_SELECTION_CHARS & set(low + high))
    return True


def selection_form(record: Mapping[str, object]) -> list[SpectrumMessage]:
    out = []
    for name in record:
        value = text(record, name)
        if not name.startswith("p") or name in NOT_SUPERSELECT or not value:
            continue
        if not all(_item_ok(item) for item in value.split(",")):
            out.append(layouts.msg_mask(name))
    return out


def _values_of(selection: str) -> list[str]:
    """The values named in a SuperSelect selection: list items, without ``#``, both ends of a range."""
    out = []
    for item in selection.split(","):
        out.extend(item.removeprefix("#").split("/", 1))
    return out


def parameter_lengths(layout: layouts.Layout) -> Check:
    """Each value within the parameter's maximum length. Inferred: on a SuperSelect parameter the
    length bounds each value of the selection, not the whole list, since the same page offers lists
    and ranges on parameters as long as one code (docs/spectrum.md#superselect)."""

    def check(record: Mapping[str, object]) -> list[SpectrumMessage]:
        out = []
        for f in layout.fields:
            value = text(record, f.name)
            values = [value] if f.name in NOT_SUPERSELECT else _values_of(value)
            if any(len(item) > f.max_length for item in values):
                out.append(layouts.msg_too_long(f.name, f.max_length))
        return out

    return check
