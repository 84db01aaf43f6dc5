"""Memory of reading Spectrum tables over ODBC: streamed (keyset pages + fetchmany) vs whole fetch.

    .venv/bin/python bench/odbc_read.py [--rows 100000] [--keep]

Seeds a PostgreSQL database (``bench_odbc_spectrum`` on DATABASE_URL's server, default
127.0.0.1:5432) with the simulator's "large" profile, then reads customers through the real stack
(pyodbc -> unixODBC -> "PostgreSQL Unicode" -> PostgreSQL) into typed records, in a fresh child
process per measurement so peak RSS is clean (VmHWM, reset after connecting; it includes the ODBC
driver's own C buffers):

- ``SpectrumDatabase.iter_records`` (the reader: keyset pagination, fetchmany, records discarded as
  they are consumed, as the poll engine does), for 10k and for 100k rows;
- the baseline beside it: one ``SELECT`` of the same rows with ``fetchall()`` and a list of records.

Target: the streamed reader's memory growth stays flat as rows grow (10k vs 100k within 20 MB).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from itertools import islice
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from figures import figure  # noqa: E402 (bench/ is on the path of a script run from it)

DB_NAME = "bench_odbc_spectrum"
TARGET_MB = 20.0


def _server() -> tuple[str, int, str]:
    parsed = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/spectrum_sync"))
    return "127.0.0.1", parsed.port or 5432, parsed.username or "postgres"  # loopback only


def _config() -> object:
    from connectors.spectrum.config import DatabaseConfig

    host, port, user = _server()
    return DatabaseConfig(driver="PostgreSQL Unicode", host=host, port=port, database=DB_NAME, user=user)


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> float:
    """Current RSS, with the kernel's high-water mark reset to it (ru_maxrss survives fork+exec)."""
    # If the reset is refused, VmHWM may include the start-up peak: still an upper bound.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def _peak_mb() -> float:
    return _status_mb("VmHWM")


def seed_database(rows: int) -> float:
    import psycopg

    from connectors.spectrum.simulator.seed import seed
    from connectors.spectrum.simulator.store import Store

    host, port, user = _server()
    admin = f"postgresql://{user}@{host}:{port}/postgres"
    started = time.perf_counter()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    with Store.open(f"postgresql://{user}@{host}:{port}/{DB_NAME}") as store:
        store.create_schema()
        seed(store, "large", customers=rows)
    return time.perf_counter() - started


def child(mode: str, rows: int) -> None:
    """One measurement; prints JSON with the RSS growth over the connected-but-idle baseline."""
    from connectors.spectrum import records
    from connectors.spectrum.database import SpectrumDatabase, connection_string

    config = _config()
    if mode == "stream":
        db = SpectrumDatabase(config)  # type: ignore[arg-type]
        db.test()  # connect first: the driver's own footprint is not what we measure
        base = _reset_peak()
        started = time.perf_counter()
        count = sum(1 for _ in islice(db.iter_records("customer", "DC1"), rows))
        db.close()
    else:
        import pyodbc

        conn = pyodbc.connect(connection_string(config), autocommit=True)  # type: ignore[arg-type]
        base = _reset_peak()
        started = time.perf_counter()
        cursor = conn.execute(
            "SELECT Customer_Code, Name, Address_1, Address_2, City, State, Zip_Code, Contact_First_Name, "
            "Contact_Last_Name, Contact_Phone, Customer_Email, Price_Level_Material, Taxable_Flag, Status "
            "FROM CR_CUSTOMER_MASTER_MC WHERE Company_Code = ? ORDER BY Customer_Code "
            "OFFSET 0 ROWS FETCH NEXT ? ROWS ONLY",
            ["DC1", rows],
        )
        fetched = cursor.fetchall()
        recs = [records.Customer("DC1", *[("" if v is None else str(v).strip()) for v in row]) for row in fetched]
        count = len(recs)
        conn.close()
    elapsed = time.perf_counter() - started
    print(json.dumps({"rows": count, "growth_mb": _peak_mb() - base, "seconds": elapsed}))


def measure(mode: str, rows: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--rows", str(rows)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", choices=("stream", "fetchall"))
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the seeded database")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return 0

    small = max(args.rows // 10, 1)
    print(f"seeding {args.rows:,} customers into {DB_NAME} ...", flush=True)
    print(f"  seeded in {seed_database(args.rows):.1f} s")
    results = {(mode, n): measure(mode, n) for mode in ("stream", "fetchall") for n in (small, args.rows)}

    print()
    print(f"{'reader':<34} {'rows':>9} {'RSS growth':>11} {'rows/s':>9}")
    for (mode, _rows), r in results.items():
        label = "SpectrumDatabase.iter_records" if mode == "stream" else "baseline: one SELECT + fetchall()"
        print(f"{label:<34} {int(r['rows']):>9,} {r['growth_mb']:>8.1f} MB {r['rows'] / r['seconds']:>9,.0f}")
    flat = results[("stream", args.rows)]["growth_mb"] - results[("stream", small)]["growth_mb"]
    whole = results[("fetchall", args.rows)]["growth_mb"] - results[("fetchall", small)]["growth_mb"]
    verdict = "OK" if flat <= TARGET_MB else "OVER TARGET"
    print()
    print(f"streamed growth {small:,} -> {args.rows:,} rows: {flat:+.1f} MB (target <= {TARGET_MB:.0f} MB) {verdict}")
    print(f"baseline growth {small:,} -> {args.rows:,} rows: {whole:+.1f} MB\n")
    figure(f"streamed read memory growth {small:,} -> {args.rows:,} rows", flat, "MB", TARGET_MB, "ceiling")
    figure("streamed read memory growth beside fetchall", flat, "MB", whole, "baseline")

    if not args.keep:
        import psycopg

        host, port, user = _server()
        with psycopg.connect(f"postgresql://{user}@{host}:{port}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return 0 if flat <= TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
