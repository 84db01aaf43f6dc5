"""The Spectrum batch code of an AR invoice, by the tenant's batch rule (docs/spectrum.md#batch-codes).

Spectrum groups Customer Invoice Entry transactions by ``Batch_Code`` (10 characters at most); the
multi-line customer invoice page's sample uses the invoice date as ``CCYYMMDD``. The rule names are
the values of ``Tenant.BatchRule``; this module stays pure (no models), like the mappers.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

DAY, DAY_DEPARTMENT, WEEK, PLATFORM = "day", "day_department", "week", "platform"
RULES = (DAY, DAY_DEPARTMENT, WEEK, PLATFORM)

BATCH_CODE_LENGTH = 10  # docs/spectrum.md#addarinvoice: Batch_Code (10)
_DEPARTMENT_ROOM = BATCH_CODE_LENGTH - 6  # after the date as YYMMDD
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def batch_code(rule: str, document: Mapping[str, Any]) -> str:
    """The invoice's batch code under ``rule``; "" when the invoice date is missing or not a date
    (the mapper reports the date itself)."""
    if rule == PLATFORM and str(document.get("batch_code") or "").strip():
        return str(document["batch_code"]).strip()
    day = _invoice_date(document)
    if day is None:
        return ""
    if rule == WEEK:
        return (day - timedelta(days=day.weekday())).strftime("%Y%m%d")
    if rule == DAY_DEPARTMENT:
        return day.strftime("%y%m%d") + department_part(department_of(document))
    return day.strftime("%Y%m%d")


def department_of(document: Mapping[str, Any]) -> str:
    """The invoice's department: its own, else that of its first line naming one."""
    own = str(document.get("department") or "").strip()
    if own:
        return own
    for line in document.get("lines") or []:
        department = str(line.get("department") or "").strip()
        if department:
            return department
    return ""


def department_part(department: str) -> str:
    """The department in the 4 characters left after the date: as it is when it fits, else its first
    two letters and a two-character checksum, so long codes sharing a prefix stay apart."""
    cleaned = re.sub(r"[^A-Z0-9]", "", department.upper())
    if len(cleaned) <= _DEPARTMENT_ROOM:
        return cleaned
    checksum = zlib.crc32(cleaned.encode()) % (36 * 36)
    return cleaned[:2] + _BASE36[checksum // 36] + _BASE36[checksum % 36]


def _invoice_date(document: Mapping[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(document.get("invoice_date") or "")[:10])
    except ValueError:
        return None
