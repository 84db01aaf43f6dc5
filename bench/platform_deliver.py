"""Deliver 100,000 imported records to the platform simulator: batched, against one request per item.

What it measures: the platform client end to end (JSON encoding, HMAC signing, a pooled keep-alive
session) plus the simulator storing every item in SQLite, both on this machine. The simulator runs
as its own process (in-memory store), as in the flow tests, so client and server do not share a GIL.

Baseline in the same run: the same client with ``batch_size=1``, i.e. one signed request per item,
which is what a naive "POST each changed record" integration does. It runs on a sample (default
2,000 items; 100k single requests would take minutes) and its rate is extrapolated to 100k.

Run:  .venv/bin/python bench/platform_deliver.py [--items 100000] [--batch-size 500] [--baseline-items 2000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from figures import figure  # noqa: E402 (bench/ is on the path of a script run from it)

from connectors.platform.client import PlatformClient, upsert  # noqa: E402
from connectors.platform.simulator.cli import READY_LINE  # noqa: E402
from connectors.platform.simulator.control import SimulatorControl  # noqa: E402

SECRET = "bench-signing-secret-0123456789"  # noqa: S105 (a throwaway key for a loopback simulator)


def customer(i: int) -> dict[str, Any]:
    """A customer as the import engine delivers it (about 400 bytes of JSON)."""
    return upsert(
        f"DC1:C{i:07d}",
        {
            "company_code": "DC1",
            "customer_code": f"C{i:07d}",
            "name": f"Customer number {i} Construction LLC",
            "address_1": f"{100 + i % 900} Main Street",
            "city": "Austin",
            "state": "TX",
            "zip_code": f"{78700 + i % 99}",
            "phone": f"512555{i % 10000:04d}",
            "email": f"ap{i}@example.com",
            "terms_code": "1",
            "sales_tax_code": "AUSTIN",
            "taxable": True,
            "status": "A",
            "credit_limit": "25000.00",
        },
    )


def start_simulator() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "connectors.platform.simulator", "--port", "0", "--tenant", f"bench={SECRET}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith(READY_LINE):
        proc.kill()
        raise SystemExit(f"simulator did not start: {line!r}")
    return proc, line.split()[len(READY_LINE.split())]


def run(client: PlatformClient, items: list[dict[str, Any]], delivery_id: str) -> tuple[float, int]:
    started = time.perf_counter()
    result = client.deliver("customers", items, delivery_id=delivery_id)
    elapsed = time.perf_counter() - started
    assert result.items == len(items)
    return elapsed, len(result.batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--baseline-items", type=int, default=2_000)
    args = parser.parse_args()

    proc, url = start_simulator()
    control = SimulatorControl(url)
    try:
        items = [customer(i) for i in range(args.items)]
        batched = PlatformClient(control.tenant_url("bench"), SECRET, batch_size=args.batch_size, tenant="bench")
        single = PlatformClient(control.tenant_url("bench"), SECRET, batch_size=1, tenant="bench")

        rows = []
        seconds, requests = run(batched, items, "bench-batched")
        rows.append((f"batched ({args.batch_size}/request)", args.items, requests, seconds))
        stored = len(control.state("bench", "customers"))
        assert stored == args.items, f"simulator holds {stored} records, expected {args.items}"
        seconds, requests = run(batched, items, "bench-batched")
        rows.append(("same delivery again (all duplicates)", args.items, requests, seconds))
        control.reset()
        sample = items[: args.baseline_items]
        seconds, requests = run(single, sample, "bench-single")
        rows.append(("baseline: one request per item", len(sample), requests, seconds))
    finally:
        control.close()
        proc.terminate()
        proc.wait(timeout=10)

    baseline_rate = rows[-1][1] / rows[-1][3]
    print(f"\nPlatform delivery benchmark: {args.items:,} customers, signed, to the simulator on loopback\n")
    print(f"{'mode':<40} {'items':>9} {'requests':>9} {'seconds':>9} {'items/s':>10} {'vs baseline':>12}")
    for label, count, requests, seconds in rows:
        rate = count / seconds
        print(f"{label:<40} {count:>9,} {requests:>9,} {seconds:>9.2f} {rate:>10,.0f} {rate / baseline_rate:>11.1f}x")
    print(
        f"\nbaseline extrapolated to {args.items:,} items: {args.items / baseline_rate:,.0f} s "
        f"(batched took {rows[0][3]:.1f} s)"
    )
    print()
    figure(f"platform delivery, {rows[0][0]}", rows[0][1] / rows[0][3], "items/s", baseline_rate, "baseline", 0)


if __name__ == "__main__":
    main()
