"""SuperSelect, as much of it as the Get parameters need (docs/spectrum.md#superselect).

Spectrum's selection syntax on Get parameters: a literal is an exact match, ``A,B`` a list, ``A/Z``
a range, ``L*`` a prefix, ``?`` one character, ``#X`` everything but X, ``ALL`` or ``*`` everything.
Forms combine in a list (docs/spectrum.md#superselect); the "contains" form is not implemented. The
form and length of each parameter are checked before (``rules.selection_problems``, run by the server).
Values are compared trimmed and case-insensitively; ranges of numbers compare as numbers.
"""

from __future__ import annotations

import re


def _item_matches(value: str, item: str) -> bool:
    if item in ("*", "ALL"):
        return True
    if "/" in item:
        low, high = (part.strip() for part in item.split("/", 1))
        if low.isdigit() and high.isdigit() and value.isdigit():
            return int(low) <= int(value) <= int(high)
        return low <= value <= high
    if "*" in item or "?" in item:
        pattern = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in item)
        return re.fullmatch(pattern, value) is not None
    return value == item


def matches(value: str, selection: str) -> bool:
    """Does ``value`` satisfy the SuperSelect ``selection``? Blank selects everything."""
    selection = selection.strip().upper()
    if not selection:
        return True
    value = value.strip().upper()
    items = [part.strip() for part in selection.split(",") if part.strip()]
    excluded = [i[1:] for i in items if i.startswith("#")]
    included = [i for i in items if not i.startswith("#")]
    if any(_item_matches(value, item) for item in excluded):
        return False
    return not included or any(_item_matches(value, item) for item in included)


def exact(value: str, selection: str) -> bool:
    """Parameters without SuperSelect (status, cost center, sort): one literal, blank = all."""
    selection = selection.strip().upper()
    return not selection or value.strip().upper() == selection
