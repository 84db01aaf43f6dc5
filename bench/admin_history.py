"""Admin sync history over 10,000,000 sync records: the tuned admin against a stock ModelAdmin, same run.

Target: history list, its filters and its search answer in p95 ≤ 300 ms with ≤ 6 queries and no
full-table COUNT or DISTINCT. Baseline: a stock ModelAdmin (date_hierarchy, CharField list_filters,
icontains search, full count), timed in the same run.

Run (PostgreSQL on loopback; builds its own database ``bench_admin`` once and reuses it while it
holds the asked-for number of rows; the build of 10M rows prints how long it took):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_admin .venv/bin/python bench/admin_history.py [--rows N]

The build loads the rows with the table's indexes dropped and builds them afterwards, as a bulk
load would; the rows are spread over 50 tenants, six object types, three companies, 2 % failed and
1 % held, one every 15.5 seconds back from now (10M rows: about five years).
The stock admin is the baseline; its full COUNTs over 10M rows take seconds a page, so it is timed
with ``--stock-repeats`` requests a page (5) instead of 21, which its output says.

Requests go through Django's test client with a logged-in session, so the query counts include the
session and user lookups of a real request. Timings are wall-clock per request, warm cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_admin")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spectrum_sync.settings")

import django  # noqa: E402
import psycopg  # noqa: E402
from figures import figure  # noqa: E402 (bench/ is on the path of a script run from it)


def ensure_database(url: str) -> None:
    """Create the benchmark's own database on first run (never the one the tests or the demo use)."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


ensure_database(os.environ["DATABASE_URL"])
django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402

from spectrum_sync.adminsite.roles import MANAGER  # noqa: E402
from spectrum_sync.models import SyncRecord, Tenant  # noqa: E402

TENANTS = 50
REPEATS = 21
STOCK_REPEATS = 5


class StockSyncRecordAdmin(admin.ModelAdmin):
    """What a first version typically looks like: a default ModelAdmin."""

    list_display = (
        "id",
        "tenant",
        "direction",
        "object_type",
        "document_number",
        "spectrum_key",
        "status",
        "created_at",
    )
    list_filter = ("tenant", "direction", "object_type", "status", "error_code")
    search_fields = ("document_number", "spectrum_key", "platform_id")
    date_hierarchy = "created_at"


stock_site = admin.AdminSite(name="stock")
stock_site.register(SyncRecord, StockSyncRecordAdmin)
urlpatterns = [path("admin/", admin.site.urls), path("stock/", stock_site.urls)]


def _estimated_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'spectrum_sync_syncrecord'")
        return int(cursor.fetchone()[0])


def build_data(rows: int) -> None:
    """``rows`` rows with generate_series: 50 tenants, 2 % failed, 1 % held, ~300-byte payloads."""
    call_command("migrate", verbosity=0)
    # The planner's estimate first: an exact COUNT of 10M rows is itself seconds.
    if abs(_estimated_rows() - rows) <= rows // 100 and SyncRecord.objects.count() == rows:
        return
    print(f"building {rows:,} sync records (once)…", flush=True)
    started = time.monotonic()
    SyncRecord.objects.all().delete()
    Tenant.objects.filter(slug__startswith="bench-").delete()
    Tenant.objects.bulk_create(Tenant(name=f"Bench tenant {i:02d}", slug=f"bench-{i:02d}") for i in range(TENANTS))
    tenant_ids = list(Tenant.objects.filter(slug__startswith="bench-").order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'spectrum_sync_syncrecord' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(
            """
            INSERT INTO spectrum_sync_syncrecord (
                tenant_id, direction, object_type, platform_id, version, document_number, spectrum_key, company_code,
                status, idempotency_key, payload, error_code, error_message, error_column, held_reason,
                attempt_count, lost_claims, lease_token, resolution_note, created_at, updated_at, finished_at,
                body_hash, readback, verification, decision_comment)
            SELECT
                (%s::bigint[])[1 + (g %% %s)],
                CASE WHEN g %% 3 = 0 THEN 'import' ELSE 'export' END,
                (ARRAY['ar_invoice','job','po_receipt','customer','vendor','phase'])[1 + (g %% 6)],
                'plat-' || g, '1', 'DOC-' || g, 'SK' || lpad(g::text, 9, '0'), 'C' || (g %% 3),
                CASE WHEN g %% 50 = 7 THEN 'failed' WHEN g %% 100 = 11 THEN 'held' ELSE 'succeeded' END,
                'bench:' || g,
                jsonb_build_object('number', 'DOC-' || g, 'customer', 'CUST' || (g %% 5000),
                    'lines', jsonb_build_array(
                        jsonb_build_object('description', repeat('x', 120), 'amount', g %% 977))),
                CASE WHEN g %% 50 = 7 THEN 'I' ELSE '' END,
                CASE WHEN g %% 50 = 7 THEN 'GL Account does not match GL Mask' ELSE '' END,
                CASE WHEN g %% 50 = 7 THEN 'GL_Account' ELSE '' END,
                '', 1, 0, '', '',
                now() - (g * interval '15.5 seconds'),
                now() - (g * interval '15.5 seconds'),
                now() - (g * interval '15.5 seconds') + interval '4 seconds',
                md5(g::text), '{}'::jsonb,
                CASE WHEN g %% 3 = 0 OR g %% 50 = 7 OR g %% 100 = 11 THEN '' ELSE 'confirmed' END, ''
            FROM generate_series(1, %s) AS g
            """,
            [tenant_ids, TENANTS, rows],
        )
        loaded = time.monotonic()
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("VACUUM ANALYZE spectrum_sync_syncrecord")
    print(
        f"built in {time.monotonic() - started:.0f} s ({loaded - started:.0f} s loading, "
        f"{time.monotonic() - loaded:.0f} s indexes and analyse)",
        flush=True,
    )


def users() -> tuple[User, User]:
    superuser, _ = User.objects.get_or_create(username="bench-root", defaults={"is_staff": True, "is_superuser": True})
    manager, _ = User.objects.get_or_create(username="bench-manager", defaults={"is_staff": True})
    manager.groups.add(Group.objects.get(name=MANAGER))
    # A manager serving 10 of the 50 tenants: the scoped case.
    for tenant in Tenant.objects.filter(slug__startswith="bench-").order_by("pk")[:10]:
        tenant.staff.add(manager)
    return superuser, manager


def measure(client: Client, url: str, repeats: int = REPEATS) -> dict[str, Any]:
    client.get(url)  # warm: caches, connection, templates
    times: list[float] = []
    sql_times: list[float] = []
    queries: list[str] = []
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = [q["sql"].upper() for q in captured.captured_queries]
        sql_times.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
    times.sort()
    full_count = [q for q in queries if "COUNT(" in q and "LIMIT" not in q]
    distinct = [q for q in queries if "DISTINCT" in q]
    return {
        "median": statistics.median(times),
        "sql": statistics.median(sql_times),
        # Nearest-rank p95: the 20th of 21 sorted timings (of 5: the slowest).
        "p95": times[math.ceil(0.95 * len(times)) - 1],
        "queries": len(queries),
        "full_count": len(full_count),
        "distinct": len(distinct),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--stock-repeats", type=int, default=STOCK_REPEATS)
    args = parser.parse_args()
    setup_test_environment()
    build_data(args.rows)
    superuser, manager = users()
    sample = SyncRecord.objects.filter(status="failed").order_by("-id").values_list("document_number", flat=True)[500]
    week_ago = (timezone.localdate() - dt.timedelta(days=6)).isoformat()
    tenant_id = Tenant.objects.filter(slug="bench-03").values_list("pk", flat=True).get()
    cases = [
        ("page 1", ""),
        ("page 500", "?p=500"),
        ("filter status=failed", "?status=failed"),
        ("filter tenant + direction + type", f"?tenant={tenant_id}&direction=export&object_type=ar_invoice"),
        ("date range (last 7 days)", f"?created_from={week_ago}"),
        ("search exact document number", f"?q={sample}"),
    ]
    stock_cases = {
        "filter status=failed": "?status__exact=failed",
        "filter tenant + direction + type": f"?tenant__id__exact={tenant_id}&direction__exact=export"
        "&object_type__exact=ar_invoice",
        "date range (last 7 days)": f"?created_at__gte={week_ago}T00:00:00%2B00:00",
    }
    print(
        f"{args.rows:,} sync records, {REPEATS} requests a page ({args.stock_repeats} for the stock admin), warm; "
        "target p95 ≤ 300 ms, ≤ 6 queries"
    )
    header = (
        f"{'page':34} {'who':9} {'tuned p50/p95 ms':>17} {'sql':>5} {'q':>3} {'cnt':>3} {'dst':>3}   "
        f"{'stock p50/p95 ms':>17} {'sql':>5} {'q':>3}"
    )
    print(header)
    print("-" * len(header))
    worst = {"p95": 0.0, "queries": 0}
    stock_worst = {"p95": 0.0, "queries": 0}
    with override_settings(ROOT_URLCONF=sys.modules[__name__], DEBUG=False):
        for who, user in (("superuser", superuser), ("manager", manager)):
            client = Client()
            client.force_login(user)
            stock_client = Client()
            stock_client.force_login(superuser)
            for label, query in cases:
                tuned = measure(client, "/admin/spectrum_sync/syncrecord/" + query)
                worst["p95"] = max(worst["p95"], tuned["p95"])
                worst["queries"] = max(worst["queries"], tuned["queries"])
                stock_query = stock_cases.get(label, query)
                stock = (
                    measure(stock_client, "/stock/spectrum_sync/syncrecord/" + stock_query, args.stock_repeats)
                    if who == "superuser"
                    else None
                )
                if stock:
                    stock_worst["p95"] = max(stock_worst["p95"], stock["p95"])
                    stock_worst["queries"] = max(stock_worst["queries"], stock["queries"])
                stock_text = (
                    f"{stock['median']:7.0f} /{stock['p95']:7.0f} {stock['sql']:5.0f} {stock['queries']:>3}"
                    if stock
                    else ""
                )
                print(
                    f"{label:34} {who:9} {tuned['median']:7.0f} /{tuned['p95']:7.0f} {tuned['sql']:5.0f} "
                    f"{tuned['queries']:>3} "
                    f"{tuned['full_count']:>3} {tuned['distinct']:>3}   {stock_text}",
                    flush=True,
                )
    print(
        "sql = median ms in SQL; q = queries per request (incl. session and user); "
        "cnt = COUNTs without LIMIT; dst = DISTINCT queries"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores shared with other runs)\n")
    figure(f"sync history at {args.rows:,} records, worst page p95", worst["p95"], "ms", 300, "ceiling", 0)
    figure("sync history at the same pages, worst p95", worst["p95"], "ms", stock_worst["p95"], "stock admin", 0)
    figure("sync history queries per page, worst page", worst["queries"], "", 6, "ceiling", 0)


if __name__ == "__main__":
    main()
