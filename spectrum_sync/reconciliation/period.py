"""Periods of a reconciliation: calendar months, written ``YYYY-MM``."""

from __future__ import annotations

import calendar
import datetime as dt
import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class BadMonth(ValueError):
    """A month that is not written YYYY-MM."""


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first and the last day (inclusive) of a calendar month."""
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """``"2026-03"`` → (2026-03-01, 2026-03-31); :class:`BadMonth` for anything else."""
    found = _MONTH.match((text or "").strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise BadMonth(f"{text!r} is not a month; write it as YYYY-MM, for example 2026-03.")
    return month_bounds(int(found.group(1)), int(found.group(2)))


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month before the one ``today`` is in."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return month_bounds(last.year, last.month)


def month_text(first: dt.date) -> str:
    return f"{first:%Y-%m}"


def month_label(first: dt.date) -> str:
    return f"{first:%B %Y}"
