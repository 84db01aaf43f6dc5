"""One dispatcher tick over 2,000 tenants × 10 object types, beside a row-by-row baseline.

Target (tenants on one beat): a tick over 2,000 tenants × 10 object types in ≤ 1 s.
The tick is the real one (``dispatch_due``): one ``UPDATE … FROM (SELECT … FOR UPDATE SKIP LOCKED)``
that leases every due row, then one poll task published per claimed row to the real Redis broker.

Scenarios:
- steady state: 30-minute intervals spread evenly, so a tick finds ~1/30 of the rows due;
- worst case: every row due at once (after an outage or a bulk import of tenants); the tick takes
  at most ``MAX_PER_TICK`` rows and leaves the rest to the next minute.
Beside it, the same claim publishing one message per poll from the tick (what the fan-out tasks do
on the workers, so its time is the total publishing work, spread over workers in production).
Baseline, same run: the obvious ORM loop — for each due row, ``select_for_update`` it, take the lease,
save it and publish (what one would write without the set-based claim).
Published messages go to a throw-away queue name and are purged, so no worker runs them.

Run (PostgreSQL and Redis on loopback; uses its own database ``bench_imports``):

    CELERY_BROKER_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/dispatch_tick.py [--tenants 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_imports")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/6")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spectrum_sync.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402
import psycopg  # noqa: E402
from figures import figure  # noqa: E402 (bench/ is on the path of a script run from it)


def ensure_database(url: str) -> None:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


ensure_database(os.environ["DATABASE_URL"])
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from spectrum_sync.celery import app  # noqa: E402
from spectrum_sync.imports import dispatcher, leases  # noqa: E402
from spectrum_sync.models import PollSchedule, Tenant  # noqa: E402

OBJECT_TYPES = [
    "customer", "vendor", "gl_account", "gl_department", "sales_tax",
    "purchase_tax", "job", "phase", "cost_type", "budget",
]  # fmt: skip
QUEUE = "bench-dispatch-sink"
PREFIX = "bench-dispatch-"


def publish(claimed: dispatcher.Claimed, trigger: str) -> None:
    """The tick's real publishing path (direct, or fan-out tasks above FANOUT_SIZE), to a queue nobody consumes."""
    dispatcher.enqueue_fanned_out(claimed, trigger, queue=QUEUE)


def publish_each(claimed: dispatcher.Claimed, trigger: str) -> None:
    """One message per poll from the tick itself: the baseline's way, and the fan-out tasks' work."""
    dispatcher.enqueue_polls(claimed, trigger, queue=QUEUE)


def purge() -> None:
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(QUEUE)


def build(tenants: int) -> None:
    call_command("migrate", verbosity=0)
    if Tenant.objects.filter(slug__startswith=PREFIX).count() == tenants:
        return
    Tenant.objects.filter(slug__startswith=PREFIX).delete()
    Tenant.objects.bulk_create([Tenant(name=f"T{i}", slug=f"{PREFIX}{i}") for i in range(tenants)], batch_size=2000)
    ids = list(Tenant.objects.filter(slug__startswith=PREFIX).values_list("pk", flat=True))
    PollSchedule.objects.bulk_create(
        [PollSchedule(tenant_id=tid, object_type=ot) for tid in ids for ot in OBJECT_TYPES], batch_size=5000
    )


def spread(now: object, all_due: bool) -> None:
    """Reset leases; next due times evenly over 30 minutes (or all in the past)."""
    schedules = PollSchedule.objects.filter(tenant__slug__startswith=PREFIX)
    schedules.update(lease_expires_at=None, lease_owner="", interval_minutes=30)
    if all_due:
        schedules.update(next_due_at=now - timedelta(seconds=1))  # type: ignore[operator]
        return
    rows = list(schedules.values_list("pk", flat=True))
    for index in range(30):  # 30 buckets, one per minute of the interval
        PollSchedule.objects.filter(pk__in=rows[index::30]).update(
            next_due_at=now + timedelta(minutes=index) - timedelta(seconds=1)  # type: ignore[operator]
        )


def naive_tick(now: object) -> int:
    """Baseline: lease each due row on its own with the ORM, then publish."""
    claimed = []
    due = PollSchedule.objects.filter(enabled=True, tenant__active=True, next_due_at__lte=now).exclude(
        lease_expires_at__gte=now
    )
    for pk in due.values_list("pk", flat=True)[: dispatcher.MAX_PER_TICK]:
        with transaction.atomic():
            row = PollSchedule.objects.select_for_update().get(pk=pk)
            row.fencing_token += 1
            row.lease_owner = "naive"
            row.lease_expires_at = now + timedelta(seconds=leases.lease_seconds())  # type: ignore[operator]
            row.next_due_at = now + timedelta(minutes=row.interval_minutes)  # type: ignore[operator]
            row.save()
        claimed.append((row.pk, row.fencing_token))
    publish_each(claimed, "schedule")
    return len(claimed)


def timed(label: str, fn: object) -> tuple[float, int]:
    started = time.perf_counter()
    count = fn()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    purge()
    return elapsed, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=2000)
    tenants = parser.parse_args().tenants
    build(tenants)
    purge()
    rows = tenants * len(OBJECT_TYPES)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nDispatcher tick, {tenants:,} tenants × {len(OBJECT_TYPES)} object types = {rows:,} schedules "
          f"(load average {load})")  # fmt: skip
    print(f"{'scenario':<76} {'claimed':>8} {'seconds':>8}")
    results = {}
    for all_due in (False, True):
        name = "all due at once" if all_due else "steady state (30-min intervals)"
        now = timezone.now()
        spread(now, all_due)
        results[("tick", all_due)] = timed(name, lambda now=now: len(dispatcher.dispatch_due(now, enqueue=publish)))
        spread(now, all_due)
        spread(now, all_due)
        results[("direct", all_due)] = timed(
            name, lambda now=now: len(dispatcher.dispatch_due(now, enqueue=publish_each))
        )
        spread(now, all_due)
        results[("naive", all_due)] = timed(name, lambda now=now: naive_tick(now))
        for kind, what in (
            ("tick", "dispatch_due"),
            ("direct", "dispatch_due, one message per poll"),
            ("naive", "baseline: row-by-row ORM"),
        ):
            seconds, count = results[(kind, all_due)]
            label = f"{what} — {name}"
            print(f"{label:<76} {count:>8,} {seconds:>8.3f}")
    steady = results[("tick", False)][0]
    worst = results[("tick", True)][0]
    print(f"\nTarget: a tick over {rows:,} schedules ≤ 1 s: steady {steady:.3f} s "
          f"{'OK' if steady <= 1 else 'MISSED'}; all due {worst:.3f} s {'OK' if worst <= 1 else 'MISSED'}")  # fmt: skip
    spread(timezone.now() + timedelta(days=365), all_due=False)  # park them so nothing else dispatches them
    print()
    figure(f"dispatcher tick over {rows:,} schedules, steady", steady, "s", 1.0, "ceiling", 3)
    figure(f"dispatcher tick over {rows:,} schedules, all due", worst, "s", 1.0, "ceiling", 3)


if __name__ == "__main__":
    main()
