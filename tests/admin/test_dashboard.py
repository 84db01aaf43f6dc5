"""What the manager's dashboard shows: failure rate on a 0-100 % axis, export latency as its 95th percentile."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

from django.urls import reverse
from django.utils import timezone

from spectrum_sync.adminsite import dashboard
from spectrum_sync.models import Direction, ObjectType, SyncStatus
from tests.admin.world import World, client_for, make_record


def chart_svg(world: World, key: str) -> str:
    page = client_for(world.manager).get(reverse("admin:spectrum_sync_dashboard") + "?days=7").content.decode()
    found = re.search(rf'id="chart-{key}".*?</svg>', page, re.S)
    assert found, page
    return found.group(0)


def axis_labels(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end" fill="#666">([^<]*)</text>', svg)


def seed_latencies(world: World, seconds: list[int], created: dt.datetime | None = None) -> None:
    created = created or timezone.now() - dt.timedelta(hours=1)
    for n, wait in enumerate(seconds):
        make_record(
            world.acme,
            f"LAT-{n:03d}",
            SyncStatus.SUCCEEDED,
            created_at=created,
            finished_at=created + dt.timedelta(seconds=wait),
        )


def test_failure_rate_axis_runs_0_to_100_percent_with_no_failures(world: World) -> None:
    seed_latencies(world, [2, 3])
    svg = chart_svg(world, "failure_rate")
    assert axis_labels(svg) == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    assert "0 % of finished" in svg  # a day without failures is a point at 0, not "no data"


def test_failure_rate_axis_stays_0_to_100_percent_with_some(world: World) -> None:
    # All on the day of the world's failed invoice (two hours ago: yesterday, shortly after midnight).
    day = world.acme_failed.created_at
    seed_latencies(world, [2, 3, 4], created=day)
    make_record(world.acme, "FAILED-1", SyncStatus.FAILED, created_at=day, finished_at=day)
    svg = chart_svg(world, "failure_rate")
    assert axis_labels(svg)[-1] == "100 %"
    assert "40 % of finished" in svg  # with the world's failed invoice: two of five


def test_latency_is_the_95th_percentile_not_the_average(world: World) -> None:
    # Eighteen quick exports and two stuck for ten minutes: the average (62 s) would hide them.
    seconds = [2] * 18 + [600, 600]
    seed_latencies(world, seconds)
    make_record(
        world.acme,
        "CUST-IMPORT",
        direction=Direction.IMPORT,
        object_type=ObjectType.CUSTOMER,
        created_at=timezone.now() - dt.timedelta(hours=1),
        finished_at=timezone.now() + dt.timedelta(days=1),
    )  # imports are not export latency
    svg = chart_svg(world, "latency")
    assert "600 seconds" in svg and "61.8 seconds" not in svg
    assert "95th percentile" in svg
    assert axis_labels(svg)[-1].endswith(" s")


def test_sqlite_percentile_matches_postgresql(world: World) -> None:
    """The demo runs on SQLite: its registered aggregate gives PostgreSQL's number for the same rows."""
    values = [3.0, 1.0, 8.0, 2.5, 40.0, 7.0, 7.0]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY v) FROM unnest(%s::float8[]) AS v", [values]
        )
        postgresql = cursor.fetchone()[0]
    lite = sqlite3.connect(":memory:")
    lite.create_aggregate("p", 2, dashboard._SQLitePercentile)
    lite.execute("CREATE TABLE t (v REAL)")
    lite.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
    assert lite.execute("SELECT p(v, 0.95) FROM t").fetchone()[0] == postgresql
    lite.close()
