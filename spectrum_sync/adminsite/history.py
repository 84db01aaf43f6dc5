"""What keeps the sync history fast at millions of rows.

- :class:`HistoryPaginator`: no full-table COUNT. Unfiltered, PostgreSQL's planner estimate
  (``pg_class.reltuples``); filtered, a count capped at :data:`COUNT_CAP` rows.
- Static filters only: no ``SELECT DISTINCT`` to build their choices.
- :func:`exact_search`: equality on indexed columns instead of ``UPPER(col) LIKE``.

And :func:`csv_lines`, the one CSV writer of the project: rows streamed line by line, every cell
made safe to open in a spreadsheet (:func:`csv_cell`).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.cache import cache
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.functional import cached_property
from django.utils.html import format_html

from spectrum_sync.adminsite.scoping import tenants_for
from spectrum_sync.models import SyncStatus

# Beyond this many matching rows a filtered list says "more than 10,000" instead of counting them all.
COUNT_CAP = 10_000


def estimated_rows(queryset: QuerySet[Any]) -> int | None:
    """PostgreSQL's estimate of the table's rows, or None when there is none (SQLite, never analyzed)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


class HistoryPaginator(Paginator):
    """A paginator whose count never scans the whole table."""

    capped = False
    estimated = False

    @cached_property
    def count(self) -> int:
        queryset: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        if not queryset.query.where:
            estimate = estimated_rows(queryset)
            if estimate is not None and estimate > COUNT_CAP:
                self.estimated = True
                return estimate
        capped = queryset.order_by()[: COUNT_CAP + 1].count()
        if capped > COUNT_CAP:
            self.capped = True
            return COUNT_CAP
        return capped

    def validate_number(self, number: Any) -> int:
        # Past a capped or estimated count the end is unknown: a page beyond it may exist.
        try:
            return super().validate_number(number)
        except EmptyPage:
            if (self.capped or self.estimated) and int(number) >= 1:
                return int(number)
            raise

    def page(self, number: Any) -> Page:
        """One page, found by a late row lookup: the page's ids from the narrow ordering index first,
        then only those rows (a deep OFFSET skips index entries instead of whole table rows)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not (self.capped or self.estimated) and top + self.orphans >= self.count:
            top = self.count
        queryset: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        page_ids = queryset.values("pk")[bottom:top]
        return Page(queryset.filter(pk__in=page_ids), number, self)


def exact_search(queryset: QuerySet[Any], term: str) -> QuerySet[Any]:
    """Rows whose document number, Spectrum key or platform id is exactly ``term`` (indexed equality)."""
    term = term.strip()
    if not term:
        return queryset
    condition = Q(document_number=term) | Q(spectrum_key=term) | Q(platform_id=term)
    if term.startswith("#") and term[1:].isdigit():
        condition = Q(pk=int(term[1:]))
    return queryset.filter(condition)


TENANT_CHOICES_SECONDS = 30


def tenant_choices(user: Any) -> list[tuple[str, str]]:
    """(id, name) of the user's tenants for filter dropdowns, cached briefly per user.

    Only the dropdown's labels are cached: what a list shows is always scoped by the live
    ``tenants_for`` subquery, so a tenant taken away never shows data, at most its name for 30 s.
    """
    key = f"admin-tenant-choices:{user.pk}"
    choices: list[tuple[str, str]] | None = cache.get(key)
    if choices is None:
        choices = [(str(pk), name) for pk, name in tenants_for(user).values_list("pk", "name")]
        cache.set(key, choices, TENANT_CHOICES_SECONDS)
    return choices


def columns_for(user: Any, columns: Sequence[str]) -> tuple[str, ...]:
    """A list's columns for ``user``: no tenant column for someone who serves one tenant.

    The same name on every row tells them nothing and takes the width the problem column needs.
    """
    if len(tenant_choices(user)) > 1:
        return tuple(columns)
    return tuple(name for name in columns if name != "tenant")


def when(moment: dt.datetime | None) -> str:
    """A time in a list: the date over the hour (local time), narrow enough for a laptop screen."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return format_html("{}<br>{}", f"{local:%Y-%m-%d}", f"{local:%H:%M}")


class TenantFilter(admin.SimpleListFilter):
    """Tenants the user may see; one small query on the tenant table, never a DISTINCT over history."""

    title = "tenant"
    parameter_name = "tenant"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return tenant_choices(request.user)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(tenant_id=int(value))
        return queryset


class StatusFilter(admin.SimpleListFilter):
    """Statuses from the state machine, plus "needs attention" (failed or held): the accountants' queue."""

    title = "status"
    parameter_name = "status"
    ATTENTION = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(self.ATTENTION, "Needs attention (failed or held)"), *SyncStatus.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == self.ATTENTION:
            return queryset.filter(status__in=[SyncStatus.FAILED, SyncStatus.HELD])
        if value in SyncStatus.values:
            return queryset.filter(status=value)
        return queryset


class DateRangeFilter(admin.ListFilter):
    """Created between two dates (inclusive), in the site's time zone, plus quick ranges. No date_hierarchy."""

    title = "created"
    template = "admin/spectrum_sync/date_range_filter.html"
    field = "created_at"
    start_param = "created_from"
    end_param = "created_to"
    QUICK = (("Last 24 hours", 1), ("Last 7 days", 7), ("Last 30 days", 30))
    hidden: list[tuple[str, str]] = []

    def __init__(self, request: HttpRequest, params: dict[str, Any], model: Any, model_admin: Any) -> None:
        super().__init__(request, params, model, model_admin)
        self.start = self._pop_date(params, self.start_param)
        self.end = self._pop_date(params, self.end_param)

    @staticmethod
    def _pop_date(params: dict[str, Any], name: str) -> dt.date | None:
        raw = params.pop(name, None)
        if isinstance(raw, list):
            raw = raw[-1] if raw else None
        try:
            return parse_date(raw) if raw else None
        except ValueError:
            return None

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str | None]:
        return [self.start_param, self.end_param]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        zone = timezone.get_current_timezone()
        if self.start:
            queryset = queryset.filter(**{f"{self.field}__gte": dt.datetime.combine(self.start, dt.time(), zone)})
        if self.end:
            after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), zone)
            queryset = queryset.filter(**{f"{self.field}__lt": after})
        return queryset

    def choices(self, changelist: ChangeList) -> Iterator[Any]:
        # The template gets only this filter; keep what its from / to form needs on it.
        self.hidden = self.hidden_inputs(changelist)
        today = timezone.localdate()
        yield {
            "selected": not (self.start or self.end),
            "query_string": changelist.get_query_string(remove=[self.start_param, self.end_param]),
            "display": "Any date",
        }
        for label, days in self.QUICK:
            start = today - dt.timedelta(days=days - 1 if days > 1 else 1)
            yield {
                "selected": self.start == start and self.end is None,
                "query_string": changelist.get_query_string(
                    {self.start_param: start.isoformat()}, remove=[self.end_param]
                ),
                "display": label,
            }

    @classmethod
    def hidden_inputs(cls, changelist: ChangeList) -> list[tuple[str, str]]:
        """The other filters and the search, carried as hidden inputs when the from / to form is sent."""
        return [
            (key, value)
            for key, values in changelist.filter_params.items()
            if key not in (cls.start_param, cls.end_param)
            for value in values
        ]


# What makes a spreadsheet read a cell as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """One value as a CSV cell that a spreadsheet shows and never runs.

    Text came from outside (document numbers from the platform, keys and messages from Spectrum):
    when it starts like a formula it gets a leading single quote, so "-12" typed as a document number
    reads '-12. Numbers and times are values the project produced: they are written plainly (an
    amount of -12.50 stays a number a spreadsheet can add up), since a number cannot hold a formula.
    """
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")  # never 1E+3
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """csv.writer needs a file; this one hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV text of ``header`` and ``rows``, one line at a time (for a streamed response)."""
    writer = csv.writer(_Echo())
    yield writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])
