"""The managers' dashboard: volume, failure rate and export latency per day per tenant, as inline SVG.

Server-rendered SVG: nothing to download from a CDN, nothing to vendor, works with JavaScript off.
The numbers come from one grouped query over the chosen days (indexed on created_at). Latency is the
95th percentile, not the average: a few documents stuck for minutes are what a manager must see, and
an average hides them among the quick ones.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from spectrum_sync.models import Direction, SyncRecord, SyncStatus, Tenant

DAY_CHOICES = (7, 14, 30, 90)
MAX_TENANTS_PER_CHART = 8
PALETTE = ("#2a6ebb", "#d9534f", "#5cb85c", "#f0ad4e", "#8e44ad", "#16a085", "#7f8c8d", "#c0392b")

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 28, 14, 34


def parse_days(raw: str | None) -> int:
    try:
        value = int(raw or 14)
    except ValueError:
        return 14
    return value if value in DAY_CHOICES else 14


LATENCY_PERCENTILE = 0.95


class Percentile(Aggregate):
    """The continuous percentile of a column, computed by the database (linear interpolation).

    PostgreSQL has it built in; SQLite (the demo) gets the same calculation registered on the
    connection as an aggregate function, so both give the same number.
    """

    function = "percentile_cont"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        connection.ensure_connection()
        connection.connection.create_aggregate("spectrum_sync_percentile", 2, _SQLitePercentile)
        sqlite = self.copy()
        sqlite.function = "spectrum_sync_percentile"
        sqlite.template = "%(function)s(%(expressions)s, %(fraction)s)"
        return sqlite.as_sql(compiler, connection, **extra)


class _SQLitePercentile:
    """PostgreSQL's percentile_cont for SQLite: collects the group's values, interpolates at the end."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.0

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return percentile_cont(self.values, self.fraction)


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """The value at ``fraction`` of the sorted values, interpolated between neighbours (PostgreSQL's rule)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass
class Series:
    name: str
    color: str
    values: list[float | None]


@dataclass
class Chart:
    key: str
    title: str
    unit: str
    days: list[dt.date]
    series: list[Series] = field(default_factory=list)
    # A percentage always runs 0-100; other axes grow with the data.
    fixed_top: float | None = None
    tick_suffix: str = ""

    @property
    def svg(self) -> SafeString:
        return render_svg(self)

    @property
    def empty(self) -> bool:
        # A day with a 0 % failure rate is data; only days with nothing to show are not.
        return all(v is None for s in self.series for v in s.values)


def _day_rows(tenants: QuerySet[Tenant], since: dt.datetime) -> list[dict[str, Any]]:
    latency = ExpressionWrapper(F("finished_at") - F("created_at"), output_field=DurationField())
    return list(
        SyncRecord.objects.filter(tenant__in=tenants.values("pk"), created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("tenant_id", "day")
        .annotate(
            volume=Count("id"),
            finished=Count("id", filter=Q(status__in=[SyncStatus.SUCCEEDED, SyncStatus.FAILED])),
            failed=Count("id", filter=Q(status=SyncStatus.FAILED)),
            latency=Percentile(
                latency,
                LATENCY_PERCENTILE,
                filter=Q(direction=Direction.EXPORT, status=SyncStatus.SUCCEEDED, finished_at__isnull=False),
                output_field=DurationField(),
            ),
        )
        .order_by()
    )


def build(tenants: QuerySet[Tenant], days: int) -> list[Chart]:
    """The three charts for ``tenants`` (already scoped to the user) over the last ``days`` days."""
    today = timezone.localdate()
    day_list = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    since = dt.datetime.combine(day_list[0], dt.time(), timezone.get_current_timezone())
    rows = _day_rows(tenants, since)
    by_tenant: dict[int, dict[dt.date, dict[str, Any]]] = defaultdict(dict)
    totals: dict[int, int] = defaultdict(int)
    for row in rows:
        by_tenant[row["tenant_id"]][row["day"]] = row
        totals[row["tenant_id"]] += row["volume"]
    busiest = sorted(totals, key=lambda t: -totals[t])[:MAX_TENANTS_PER_CHART]
    names = dict(Tenant.objects.filter(pk__in=busiest).values_list("pk", "name"))

    charts = [
        Chart("volume", "Records per day", "records", day_list),
        Chart("failure_rate", "Failure rate per day", "% of finished", day_list, fixed_top=100.0, tick_suffix=" %"),
        Chart(
            "latency",
            "Export latency per day, 95th percentile (received → accepted by Spectrum)",
            "seconds",
            day_list,
            tick_suffix=" s",
        ),
    ]
    for index, tenant_id in enumerate(busiest):
        color = PALETTE[index % len(PALETTE)]
        daily = by_tenant[tenant_id]
        name = names.get(tenant_id, str(tenant_id))
        charts[0].series.append(Series(name, color, [float(daily.get(d, {}).get("volume", 0)) for d in day_list]))
        charts[1].series.append(Series(name, color, [_failure_rate(daily.get(d)) for d in day_list]))
        charts[2].series.append(Series(name, color, [_latency_seconds(daily.get(d)) for d in day_list]))
    return charts


def _failure_rate(row: dict[str, Any] | None) -> float | None:
    if not row or not row["finished"]:
        return None
    return round(100.0 * row["failed"] / row["finished"], 1)


def _latency_seconds(row: dict[str, Any] | None) -> float | None:
    if not row or row["latency"] is None:
        return None
    return round(row["latency"].total_seconds(), 2)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def render_svg(chart: Chart) -> SafeString:
    """A line chart: one polyline per tenant, gaps where a day has no value, labelled axes."""
    values = [v for s in chart.series for v in s.values if v is not None]
    top = chart.fixed_top or _nice_max(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(chart.days) - 1, 1)

    def x(i: int) -> float:
        return LEFT + plot_w * i / count

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(chart.title)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(chart.title)}</title>",
    ]
    for step in range(5):
        value = top * step / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end" fill="#666">'
            f"{value:g}{escape(chart.tick_suffix)}</text>"
        )
    label_every = max(1, len(chart.days) // 7)
    for i, day in enumerate(chart.days):
        if i % label_every == 0 or i == len(chart.days) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - 12}" font-size="11" text-anchor="middle" fill="#666">'
                f"{day:%m-%d}</text>"
            )
    for series in chart.series:
        for segment in _segments(series.values):
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in segment)
            parts.append(
                f'<polyline fill="none" stroke="{series.color}" stroke-width="2" points="{points}">'
                f"<title>{escape(series.name)}</title></polyline>"
            )
            for i, v in segment:
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{series.color}">'
                    f"<title>{escape(series.name)} {chart.days[i]:%Y-%m-%d}: {v:g} {escape(chart.unit)}</title>"
                    "</circle>"
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every piece of text above is escaped)


def _segments(values: list[float | None]) -> list[list[tuple[int, float]]]:
    segments: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((i, v))
    return [s for s in segments if s]
