"""Poll engine throughput and memory over 100k records, beside a re-upsert-everything baseline.

Targets:
- 100k unchanged records ≥ 100,000 records/s, 0 rows written besides the run row;
- 100k changed records ≥ 15,000 records/s end to end (compare, deliver, mirror, sync records);
- peak memory growth ≤ 100 MB.
Baseline, same run: what a first version does — upsert every record into the mirror on every poll
(``bulk_create(update_conflicts=True)``), which rewrites all rows even when nothing changed.

What is measured: the engine (``run_poll``) from typed records to committed rows. Records come from
an in-process generator (the readers are benchmarked in bench/parse_*.py and bench/odbc_*.py); the
platform is a sink that encodes each delivery's JSON body with the HTTP client's own encoder, in
its batches, so serialisation is counted but no socket (bench/platform_deliver.py measures HTTP
delivery). Rows written are counted by transaction id (``xmin``) in the mirror and sync-record
tables. The time the generator alone takes to build the records is measured too and printed
beside the figures: it is the reader's share of a poll, not the engine's.

Between scenarios the tables are vacuumed, as autovacuum would in production: a server running
with autovacuum off would otherwise carry every earlier run's dead rows into the next one.

Run (PostgreSQL on loopback; uses its own database ``bench_imports``):

    .venv/bin/python bench/poll_throughput.py [--records 100000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_imports")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spectrum_sync.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402
import psycopg  # noqa: E402
from figures import figure  # noqa: E402 (bench/ is on the path of a script run from it)


def ensure_database(url: str) -> None:
    """Create the benchmark's own database on first run (never the one the tests or the demo use)."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


ensure_database(os.environ["DATABASE_URL"])
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from connectors.platform.client import _encode as encode_body  # noqa: E402
from connectors.platform.client import batch_delivery_id  # noqa: E402
from connectors.spectrum.records import Customer  # noqa: E402
from spectrum_sync.imports import engine, leases  # noqa: E402
from spectrum_sync.imports.declarations import get, record_hash  # noqa: E402
from spectrum_sync.models import MirrorRecord, PollSchedule, SpectrumConnection, SyncRecord, SyncRun, Tenant  # noqa: E402

SLUG = "bench-poll"


def records(count: int, generation: int) -> Iterator[Customer]:
    """Deterministic customers; a new ``generation`` changes every record's phone number."""
    for i in range(count):
        yield Customer(
            company_code="BC1",
            customer_code=f"C{i:07d}",
            name=f"Customer {i} Construction Services",
            address_1=f"{i % 9000 + 100} Main Street",
            address_2="Suite 100" if i % 3 else "",
            city="Springfield",
            state="IL",
            zip_code=f"{62700 + i % 99:05d}",
            first_name="Pat",
            last_name=f"Lee{i % 500}",
            phone_number=f"217555{(i + generation) % 10000:04d}",
            email=f"ap{i}@example.com",
            price_level_material="1",
            taxable_flag="Taxable",
            status="Active",
        )


class Reader:
    def __init__(self, count: int, generation: int) -> None:
        self.count, self.generation = count, generation

    def iter_records(self, object_type: str, company: str) -> Iterator[Customer]:
        return records(self.count, self.generation)

    def close(self) -> None:
        pass


class EncodingSink:
    """Stands in for the platform client: builds each request body with its encoder, sends nothing."""

    def __init__(self, batch_size: int = 500) -> None:
        self.items = 0
        self.batch_size = batch_size  # the client's default

    def deliver(self, resource: str, items: list[dict[str, Any]], *, delivery_id: str) -> None:
        for index, start in enumerate(range(0, len(items), self.batch_size)):
            batch = items[start : start + self.batch_size]
            encode_body({"delivery_id": batch_delivery_id(delivery_id, index), "resource": resource, "items": batch})
            self.items += len(batch)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def xid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current() % 4294967296")
        return int(cursor.fetchone()[0])


def rows_written_since(table: str, since: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE xmin::text::bigint > %s", [since])  # noqa: S608
        return int(cursor.fetchone()[0])


def reset(tenant: Tenant) -> PollSchedule:
    MirrorRecord.objects.filter(tenant=tenant).delete()
    SyncRecord.objects.filter(tenant=tenant).delete()
    SyncRun.objects.filter(tenant=tenant).delete()
    vacuum()
    schedule, _ = PollSchedule.objects.get_or_create(tenant=tenant, object_type="customer")
    return schedule


def vacuum() -> None:
    """What autovacuum does between polls in production: dead rows of the scenario before are reusable."""
    with connection.cursor() as cursor:
        for model in (MirrorRecord, SyncRecord):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")


def setup() -> tuple[Tenant, PollSchedule]:
    call_command("migrate", verbosity=0)
    tenant, _ = Tenant.objects.get_or_create(slug=SLUG, defaults={"name": "Bench poll"})
    SpectrumConnection.objects.get_or_create(
        tenant=tenant, defaults={"base_url": "http://127.0.0.1:1", "authorization_id": "X", "company_codes": "BC1"}
    )
    return tenant, reset(tenant)


@contextmanager
def measured(label: str, count: int, results: dict[str, dict[str, float]]) -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    tables = {"mirror": MirrorRecord._meta.db_table, "sync_records": SyncRecord._meta.db_table}
    start_xid = xid()
    started = time.perf_counter()
    yield out
    elapsed = time.perf_counter() - started
    out["seconds"] = elapsed
    out["records_per_s"] = count / elapsed
    for name, table in tables.items():
        out[f"{name}_rows_written"] = rows_written_since(table, start_xid)
    results[label] = out


def poll(schedule: PollSchedule, count: int, generation: int, sink: EncodingSink) -> SyncRun:
    token = leases.start(schedule.pk, leases.take(schedule.pk, "bench") or -1, "bench")
    assert token is not None, "lease busy"
    schedule.refresh_from_db()
    reader = Reader(count, generation)

    @contextmanager
    def factory(tenant: Any, declaration: Any) -> Iterator[Reader]:
        yield reader

    run = engine.run_poll(schedule, token, platform=sink, reader_factory=factory)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    return run


def baseline_reupsert(tenant: Tenant, count: int, generation: int) -> None:
    """Re-upsert every record every poll (hash computed, compared with nothing)."""
    declaration = get("customer")
    now = timezone.now()
    batch: list[MirrorRecord] = []
    with transaction.atomic():
        for rec in records(count, generation):
            batch.append(
                MirrorRecord(
                    tenant=tenant,
                    object_type="customer",
                    key=rec.key,
                    company_code=rec.company_code,
                    row_hash=record_hash(declaration, rec).hex(),
                    data=rec.as_dict(),
                    changed_at=now,
                )
            )
            if len(batch) == 2000:
                MirrorRecord.objects.bulk_create(
                    batch,
                    update_conflicts=True,
                    unique_fields=["tenant", "object_type", "key"],
                    update_fields=["row_hash", "data", "changed_at", "company_code"],
                )
                batch = []
        if batch:
            MirrorRecord.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["tenant", "object_type", "key"],
                update_fields=["row_hash", "data", "changed_at", "company_code"],
            )


def generator_seconds(count: int) -> float:
    """How long building the records alone takes (what a reader costs a poll before the engine sees them)."""
    started = time.perf_counter()
    for _ in records(count, 1):
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    count = parser.parse_args().records

    tenant, schedule = setup()
    results: dict[str, dict[str, float]] = {}
    rss_before = current_rss_mb()
    peak_before = rss_mb()

    sink = EncodingSink()
    with measured("initial load (all new)", count, results):
        first = poll(schedule, count, 0, sink)
    vacuum()
    with measured("unchanged poll", count, results) as unchanged:
        run = poll(schedule, count, 0, sink)
        unchanged["unchanged"] = run.unchanged_count
    vacuum()
    with measured("changed poll (every record)", count, results) as changed:
        run = poll(schedule, count, 1, sink)
        changed["updated"] = run.updated_count
    peak_after = rss_mb()

    vacuum()
    with measured("baseline: re-upsert every record, nothing changed", count, results):
        baseline_reupsert(tenant, count, 1)
    generating = generator_seconds(count)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nPoll engine, {count:,} customers, PostgreSQL {connection.pg_version}, load average {load}")  # type: ignore[attr-defined]
    print(f"{'scenario':<52} {'records/s':>10} {'seconds':>8} {'mirror rows':>12} {'sync records':>13}")
    for label, out in results.items():
        print(
            f"{label:<52} {out['records_per_s']:>10,.0f} {out['seconds']:>8.2f} "
            f"{out['mirror_rows_written']:>12,.0f} {out['sync_records_rows_written']:>13,.0f}"
        )
    growth = peak_after - max(peak_before, rss_before)
    print(f"\npeak RSS growth during the three polls: {max(growth, 0):.1f} MB (RSS before {rss_before:.0f} MB)")
    print(f"items handed to the platform sink: {sink.items:,} (initial {first.created_count:,} + changed)")
    print(f"building the {count:,} records alone (the generator standing in for a reader): {generating:.2f} s")
    unchanged_rate = results["unchanged poll"]["records_per_s"]
    changed_rate = results["changed poll (every record)"]["records_per_s"]
    baseline_rate = results["baseline: re-upsert every record, nothing changed"]["records_per_s"]
    written = results["unchanged poll"]["mirror_rows_written"] + results["unchanged poll"]["sync_records_rows_written"]
    print("\nTargets:")
    print(f"  unchanged ≥ 100,000/s: {unchanged_rate:,.0f}/s ({unchanged_rate / baseline_rate:.1f}× the baseline) "
          f"{'OK' if unchanged_rate >= 100_000 else 'MISSED'}")  # fmt: skip
    print(f"  unchanged writes 0 rows besides its run: {written:.0f} {'OK' if written == 0 else 'MISSED'}")
    print(f"  changed ≥ 15,000/s: {changed_rate:,.0f}/s ({changed_rate / baseline_rate:.1f}× the baseline, which "
          f"writes only the mirror) {'OK' if changed_rate >= 15_000 else 'MISSED'}")  # fmt: skip
    print(f"  peak memory growth ≤ 100 MB: {max(growth, 0):.1f} MB {'OK' if growth <= 100 else 'MISSED'}")
    print()
    figure("changed-record poll", changed_rate, "records/s", 15_000, "target", 0)
    figure("changed-record poll beside the re-upsert", changed_rate, "records/s", baseline_rate, "baseline", 0)
    figure("unchanged poll", unchanged_rate, "records/s", 100_000, "target", 0)
    figure("unchanged poll beside the re-upsert", unchanged_rate, "records/s", baseline_rate, "baseline", 0)
    # The same polls with the generator's own time taken out: what the engine costs.
    for label, name, target in (
        ("changed poll (every record)", "changed", 15_000),
        ("unchanged poll", "unchanged", 100_000),
    ):
        engine_rate = count / max(results[label]["seconds"] - generating, 1e-9)
        figure(f"{name} poll, engine alone (generator taken out)", engine_rate, "records/s", target, "target", 0)
    figure("peak memory growth of the polls", max(growth, 0), "MB", 100, "ceiling")
    reset(tenant)


if __name__ == "__main__":
    main()
