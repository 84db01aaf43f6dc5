"""Benchmark: parse a 100k-customer GetCustomers reply with this client's streaming parser and with
zeep, on the same bytes, in one run. Prints records/s and peak memory growth side by side.

    .venv/bin/python bench/parse_customers.py [--customers 100000]

The reply is rendered by the simulator's own row writer (``nis:`` prefix, returnArray/returnData,
the ``getCustomers`` wrapper, self-closing empty elements). Each parser runs in a fresh forked child
that builds the reply bytes, then resets its peak RSS (``/proc/self/clear_refs``); "growth" is the
peak RSS (``VmHWM``) during the parse minus the RSS with the reply already in memory. The client
parser is fed in 256 KB chunks, as it reads from the network; zeep gets the whole body, as its
transport gives it. zeep's WSDL is the simulator's, loaded from a local file, and its parse goes
through ``binding.process_reply`` (no network). Both turn every row into a ``Customer`` record.

Targets: at least 5× zeep's records/s, and under 100 MB growth.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from figures import figure

from connectors.spectrum.layouts import GET_CUSTOMERS
from connectors.spectrum.readers import _customer, parse_customers
from connectors.spectrum.simulator.server import ENVELOPE_HEAD, ENVELOPE_TAIL, render_row
from connectors.spectrum.simulator.wsdl import wsdl
from connectors.spectrum.soap import PROIV_NS

CHUNK = 256 * 1024


def reply_bytes(count: int) -> bytes:
    rng = random.Random(482)
    head = f'<nis:GetCustomersResponse xmlns:nis="{PROIV_NS}">\n<returnArray>\n<returnData>\n<getCustomers>\n'
    parts = [ENVELOPE_HEAD + head]
    for i in range(count):
        row = {
            "Company_Code": "DC1",
            "Customer_Code": f"L{i + 1:06d}",
            "Name": f"Customer {i} {rng.choice(('Builders', 'Holdings', 'Partners'))}",
            "Address_1": f"{rng.randint(100, 9999)} Main St",
            "Address_2": "" if i % 3 else "Suite 200",
            "City": rng.choice(("Austin", "Dallas", "Waco")),
            "State": "TX",
            "Zip_Code": f"78{rng.randint(100, 999)}",
            "First_Name": rng.choice(("Maria", "James", "Linda")),
            "Last_Name": rng.choice(("Garcia", "Smith", "Nguyen")),
            "Phone_Number": f"512{rng.randint(1000000, 9999999)}",
            "Email1": f"ap{i}@example.com" if i % 5 else "",
            "Price_Level_Material": rng.choice(("1", "2", "")),
            "Taxable_Flag": rng.choice(("Taxable", "Non-Taxable", "No Default")),
            "Status": "Active" if i % 11 else "Inactive",
        }
        parts.append(render_row(GET_CUSTOMERS.returns, row))
    parts.append(f"</getCustomers>\n</returnData>\n</returnArray>\n</nis:GetCustomersResponse>\n{ENVELOPE_TAIL}")
    return "".join(parts).encode()


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> None:
    """Forget the peak RSS reached while building the reply (Linux >= 4.0: "5" to clear_refs)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def run_ours(data: bytes) -> int:
    chunks: Iterator[bytes] = (data[i : i + CHUNK] for i in range(0, len(data), CHUNK))
    return sum(1 for _ in parse_customers(chunks))


def run_zeep(data: bytes) -> int:
    import zeep

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "GetCustomers.wsdl"
        path.write_text(wsdl(GET_CUSTOMERS, "http://127.0.0.1:8482"))
        client = zeep.Client(str(path), settings=zeep.Settings(strict=True, forbid_dtd=True, forbid_external=True))
    binding = client.service._binding
    operation = binding._operations["GetCustomers"]

    class Reply:
        status_code = 200
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        content = data
        encoding = "utf-8"

    result: Any = binding.process_reply(client, operation, Reply())
    rows = result["getCustomers"]["response"]
    return sum(1 for row in rows if _customer({k: row[k] or "" for k in row}, "DC1"))


def _child(fn: Callable[[bytes], int], count: int, out: Any) -> None:
    data = reply_bytes(count)
    gc.collect()
    reset_peak()
    baseline = _status_mb("VmRSS")
    started = time.perf_counter()
    records = fn(data)
    seconds = time.perf_counter() - started
    out.send((records, seconds, _status_mb("VmHWM") - baseline, len(data)))


def measure(fn: Callable[[bytes], int], count: int) -> tuple[int, float, float, int]:
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(fn, count, child))
    proc.start()
    result: tuple[int, float, float, int] = parent.recv()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    ours = measure(run_ours, args.customers)
    theirs = measure(run_zeep, args.customers)
    print(f"GetCustomers reply: {args.customers} customers, {ours[3] / 1e6:.1f} MB")
    print(f"{'parser':<28}{'records':>10}{'seconds':>10}{'records/s':>12}{'peak growth MB':>16}")
    for name, (records, seconds, growth, _size) in (
        ("spectrum client (iterparse)", ours),
        ("zeep 4.3.3 (baseline)", theirs),
    ):
        print(f"{name:<28}{records:>10}{seconds:>10.2f}{records / seconds:>12.0f}{growth:>16.1f}")
    speedup = (ours[0] / ours[1]) / (theirs[0] / theirs[1])
    print(f"speed-up over zeep: {speedup:.1f}x (target >= 5x); client growth {ours[2]:.1f} MB (target < 100 MB)\n")
    figure("GetCustomers parse", ours[0] / ours[1], "records/s", theirs[0] / theirs[1], "baseline zeep", 0)
    figure("GetCustomers parse memory growth", ours[2], "MB", 100, "ceiling")


if __name__ == "__main__":
    main()
