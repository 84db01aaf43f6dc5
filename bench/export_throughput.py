"""1,000 AR invoices through the inbound API to the Spectrum simulator (200 ms per call) and back.

What it measures, per invoice: from the API's 202 (the record's ``created_at``) to the moment the
platform simulator stored the outcome (``platform_notified_at``), minus the time spent inside
Spectrum's calls (the attempts' ``remote_ms``, which include the simulator's 200 ms). That is our
overhead: queueing, claiming, pre-flight, mapping, bookkeeping, telling the platform. p50 / p95, and
throughput with one worker of concurrency 4 on the exports queue.

Baseline in the same run: the same invoices posted straight to the simulator with the Spectrum
client, one after another, no engine, no ledger, no platform (a script an integrator might write):
its per-invoice time beyond the 200 ms and its throughput.

Everything runs on loopback, in processes of its own: a throwaway PostgreSQL database for our
ledger (``bench_exports``), a seeded Spectrum store (``bench_exports_spectrum``), our own
redis-server on a free port (the shared one is never touched), the two simulators and the worker.

With the default burst, 1,000 invoices arrive faster than 4 workers can send them at 200 ms each, so
the end-to-end figures are mostly waiting in line; ``--rate`` posts at a steady rate instead, which
shows the latency a platform sees when the workers keep up. Both runs print the split.

Run:  .venv/bin/python bench/export_throughput.py [--invoices 1000] [--latency-ms 200] [--concurrency 4] [--rate 8]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from figures import figure  # noqa: E402 (bench/ itself is on the path of a script run from it)

PG = "postgres://postgres@127.0.0.1:5432"
LEDGER_DB = "bench_exports"
SECRET = "bench-export-signing-secret-0001"  # noqa: S105 (throwaway key for a loopback simulator)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listening on {port}")


def fresh_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_redis(workdir: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    binary = shutil.which("redis-server") or "redis-server"
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
    )
    wait_port(port)
    return proc, port


def start_spectrum(store_url: str, latency_ms: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    code = (
        "import sys\n"
        "from connectors.spectrum.simulator.server import SpectrumSimulator\n"
        "from connectors.spectrum.simulator.store import Store\n"
        "sim = SpectrumSimulator(Store.open(sys.argv[1]), port=int(sys.argv[2]))\n"
        "sim.serve_forever()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, store_url, str(port)], cwd=ROOT)
    wait_port(port)
    url = f"http://127.0.0.1:{port}"
    post_json(f"{url}/_sim/faults", {"latency_ms": latency_ms})
    return proc, url


def start_platform() -> tuple[subprocess.Popen[str], str]:
    from connectors.platform.simulator.cli import READY_LINE

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
        raise SystemExit(f"platform simulator did not start: {line!r}")
    return proc, line.split()[len(READY_LINE.split())]


def post_json(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 (loopback URLs built here)
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.status, json.loads(response.read() or b"{}")


def serve_api() -> int:
    """Our WSGI app (with the API urls) on a threaded loopback server in this process."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Threaded(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    port = free_port()
    server = make_server("127.0.0.1", port, get_wsgi_application(), server_class=Threaded, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return port


def invoice(i: int, customer: str, run: str) -> dict[str, Any]:
    return {
        "document_id": f"bench-{run}-{i}",
        "version": "1",
        "invoice_number": f"B{run}{i:05d}"[:10],
        "customer_code": customer,
        "invoice_date": time.strftime("%Y-%m-%d"),
        "lines": [
            {"kind": "labor", "description": "Technician", "amount": "240.00", "taxable": False},
            {"kind": "material", "description": "Parts", "amount": "60.00", "taxable": False},
        ],
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--baseline", type=int, default=100, help="invoices for the direct-client baseline")
    parser.add_argument("--query-sample", type=int, default=20, help="invoices whose queries are counted")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="post at this many invoices per second (default: as fast as possible)"
    )
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-exports-")
    redis, redis_port = start_redis(workdir)
    os.environ.update(
        {
            "DATABASE_URL": f"{PG}/{LEDGER_DB}",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
            "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "spectrum_sync.settings",
            "LOG_LEVEL": "WARNING",
            # One connection per request, closed after it: the API server makes a thread per request
            # and PostgreSQL is shared with other work on this machine.
            "DATABASE_CONN_MAX_AGE": "0",
            # The per-tenant API throttle would answer most of a burst with 429: not what is measured.
            "API_THROTTLE_RATE": "1000000/min",
        }
    )
    fresh_database(LEDGER_DB)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from tests.fixtures_spectrum_db import make_spectrum_db

    spectrum_db = make_spectrum_db("bench_exports_spectrum")
    spectrum, spectrum_url = start_spectrum(spectrum_db.url, args.latency_ms)
    platform, platform_url = start_platform()
    procs: list[subprocess.Popen[Any]] = [redis, spectrum, platform]
    try:
        report(args, spectrum_db, spectrum_url, platform_url, procs)
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)
        spectrum_db.store.close()
        shutil.rmtree(workdir, ignore_errors=True)


def setup_tenant(spectrum_db: Any, spectrum_url: str, platform_url: str) -> tuple[Any, str, str, str]:
    from connectors.spectrum.simulator.server import DEMO_AUTH_ID
    from mappings.models import GLAccountMapping
    from spectrum_sync.models import MirrorRecord, SpectrumConnection, Tenant

    rows = spectrum_db.seed_rows
    customer = next(r["Customer_Code"] for r in rows["CR_CUSTOMER_MASTER_MC"] if r["Company_Code"] == "DC1")
    gl = next(
        r["GL_Account"]
        for r in rows["GL_ACCOUNT_MASTER_MC"]
        if r["Company_Code"] == "DC1" and r["GL_Account"].endswith("4000") and r["Status"] == "A"
    )
    tenant = Tenant.objects.create(name="Bench", slug="bench", platform_url=f"{platform_url}/deliveries/bench")
    tenant.platform_signing_secret = SECRET
    key = tenant.generate_api_key()
    tenant.save()
    odbc = spectrum_db.odbc_config  # Info-Link over the real ODBC stack: every export is read back
    SpectrumConnection.objects.create(
        tenant=tenant,
        base_url=spectrum_url,
        authorization_id=DEMO_AUTH_ID,
        company_codes="DC1",
        db_enabled=True,
        db_driver=odbc.driver,
        db_host=odbc.host,
        db_port=odbc.port,
        db_name=odbc.database,
        db_user=odbc.user,
        db_password=odbc.password,
    )
    GLAccountMapping.objects.create(tenant=tenant, line_kind="", gl_account=gl)
    MirrorRecord.objects.create(tenant=tenant, object_type="customer", key=f"DC1|{customer}", row_hash="bench")
    return tenant, key, customer, gl


def report(args: Any, spectrum_db: Any, spectrum_url: str, platform_url: str, procs: list[Any]) -> None:
    from spectrum_sync.models import SyncRecord
    from tests.workers import WorkerProcess

    tenant, key, customer, gl = setup_tenant(spectrum_db, spectrum_url, platform_url)
    api_port = serve_api()
    worker = WorkerProcess("exports,notifications", concurrency=args.concurrency, extra_env={"LOG_LEVEL": "WARNING"})
    worker.start()
    try:
        headers = {"Authorization": f"Bearer {key}"}
        api = f"http://127.0.0.1:{api_port}/api/v1/ar-invoices/"
        started = time.monotonic()

        def submit(i: int) -> int:
            if args.rate:  # a steady arrival rate instead of one burst
                time.sleep(max(0.0, started + i / args.rate - time.monotonic()))
            return post_json(api, invoice(i, customer, "E"), headers)[0]

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(submit, range(args.invoices)))
        assert set(statuses) == {202}, set(statuses)
        posted = time.monotonic() - started
        deadline = time.monotonic() + max(600, args.invoices)
        while SyncRecord.objects.filter(tenant=tenant, platform_notified_at__isnull=True).exists():
            if time.monotonic() > deadline:
                raise SystemExit("not every invoice finished; see the worker log " + str(worker.log_path))
            time.sleep(0.5)
    finally:
        worker.stop()

    records = list(SyncRecord.objects.filter(tenant=tenant).prefetch_related("attempts"))
    statuses_seen = {r.status for r in records}
    overhead, totals, service, waits, remotes = [], [], [], [], []
    for r in records:
        attempts = list(r.attempts.all())
        total = (r.platform_notified_at - r.created_at).total_seconds()
        remote = sum(a.remote_ms for a in attempts) / 1000
        first = r.sent_at or min(a.started_at for a in attempts)  # the last time a worker took it
        totals.append(total)
        overhead.append(total - remote)
        remotes.append(remote)
        # Once a worker took the record: our own work around Spectrum's call, queueing excluded.
        service.append((r.platform_notified_at - first).total_seconds() - remote)
        waits.append((first - r.created_at).total_seconds())
    span = (max(r.platform_notified_at for r in records) - min(r.created_at for r in records)).total_seconds()

    base_times = direct_baseline(args, spectrum_url, customer, gl)
    base_over = [t - args.latency_ms / 1000 for t in base_times]

    arrival = f"arriving at {args.rate:g}/s" if args.rate else "arriving in one burst"
    print(
        f"\nExport benchmark: {args.invoices:,} AR invoices {arrival}, simulator latency {args.latency_ms} ms, "
        f"1 worker x concurrency {args.concurrency}; outcomes: {sorted(statuses_seen)}\n"
    )
    print(f"{'':<44} {'p50 s':>8} {'p95 s':>8} {'max s':>8} {'docs/s':>8}")
    print(
        f"{'engine: overhead beyond Spectrum time':<44} {percentile(overhead, 0.5):>8.3f} "
        f"{percentile(overhead, 0.95):>8.3f} {max(overhead):>8.3f} {len(records) / span:>8.1f}"
    )
    print(
        f"{'engine: overhead once a worker took it':<44} {percentile(service, 0.5):>8.3f} "
        f"{percentile(service, 0.95):>8.3f} {max(service):>8.3f}"
    )
    print(
        f"{'engine: waiting in the queue for a worker':<44} {percentile(waits, 0.5):>8.3f} "
        f"{percentile(waits, 0.95):>8.3f} {max(waits):>8.3f}"
    )
    print(
        f"{'Spectrum call (simulator, incl. latency)':<44} {percentile(remotes, 0.5):>8.3f} "
        f"{percentile(remotes, 0.95):>8.3f} {max(remotes):>8.3f}"
    )
    print(
        f"{'engine: API 202 -> platform told (total)':<44} {percentile(totals, 0.5):>8.3f} "
        f"{percentile(totals, 0.95):>8.3f} {max(totals):>8.3f}"
    )
    print(
        f"{'baseline: direct client, sequential':<44} {percentile(base_over, 0.5):>8.3f} "
        f"{percentile(base_over, 0.95):>8.3f} {max(base_over):>8.3f} {len(base_times) / sum(base_times):>8.1f}"
    )
    print(f"\nAPI intake: {args.invoices:,} posts in {posted:.1f} s ({args.invoices / posted:.0f}/s, 8 clients)")
    print("targets: throughput >= 90 % of the ceiling; overhead once a worker took it p95 <= 50 ms")
    readback = readback_cost(records)
    counts = queries_per_export(args, tenant, key, customer, api_port)
    ceiling = args.concurrency / (args.latency_ms / 1000)
    print()
    figure("burst throughput", len(records) / span, "docs/s", ceiling, "ceiling")
    figure("overhead once a worker took it p95", percentile(service, 0.95) * 1000, "ms", 50, "ceiling", 0)
    figure("API intake (8 clients)", args.invoices / posted, "docs/s", 300, "target", 0)
    if counts:
        own = counts["export"] + counts["outcome"]
        figure("queries per exported record", own, "", 8, "ceiling")
        figure("read-back queries per export", counts["readback"], "", own, "the export's own")
    for name, value, unit, reference in readback:
        figure(name, value, unit, reference, "ceiling")


def readback_cost(records: list[Any]) -> list[tuple[str, float, str, float]]:
    """What reading an export back costs: the worker's own timing of each read-back, and for a
    sample, re-run here, the ledger queries and the Info-Link statements one read-back makes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from connectors.spectrum.database import SpectrumDatabase
    from spectrum_sync.exports import readback
    from spectrum_sync.models import SyncRecord, SyncStatus

    timed = [float(r.readback["read_ms"]) for r in records if "read_ms" in (r.readback or {})]
    confirmed = sum(1 for r in records if r.verification == "confirmed")
    sample = [r.pk for r in records if r.verification == "confirmed"][:50]
    statements = {"n": 0}
    original = SpectrumDatabase._run

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        statements["n"] += 1
        return original(self, *args, **kwargs)

    SpectrumDatabase._run = counted  # type: ignore[method-assign]
    queries, elapsed = [], []
    readback.queueing.enqueue = lambda *a, **k: None  # nothing to queue here
    try:
        for pk in sample:
            SyncRecord.objects.filter(pk=pk).update(status=SyncStatus.CONFIRMING, platform_notified_at=None)
            started = time.monotonic()
            with CaptureQueriesContext(connection) as ledger:
                readback.confirm(pk)
            elapsed.append((time.monotonic() - started) * 1000)
            queries.append(len(ledger.captured_queries))
    finally:
        SpectrumDatabase._run = original  # type: ignore[method-assign]
    print(f"\nRead-back: {confirmed:,} of {len(records):,} confirmed through Info-Link (ODBC)")
    if timed:
        print(f"  in the worker: {percentile(timed, 0.5):.1f} ms p50, {percentile(timed, 0.95):.1f} ms p95 per export")
    if sample:
        print(
            f"  per export (sample of {len(sample)} re-run here): {sum(queries) / len(sample):.1f} ledger queries, "
            f"{statements['n'] / len(sample):.1f} Info-Link statements, {percentile(elapsed, 0.5):.1f} ms p50 "
            "(the platform delivery it triggers is skipped: nothing commits a callback here)"
        )
    print("ceiling: read-back <= 50 ms p95 and <= 3 Info-Link statements per export")
    out = []
    if timed:
        out.append(("read-back in the worker p95", percentile(timed, 0.95), "ms", 50.0))
    if sample:
        out.append(("read-back Info-Link statements per export", statements["n"] / len(sample), "", 3.0))
    return out


def queries_per_export(args: Any, tenant: Any, key: str, customer: str, api_port: int) -> dict[str, float]:
    """The ledger queries of one export, counted on a sample run here, in this process, against the
    same simulators (tests/exports/querycount.py splits the read-back's own from the rest)."""
    from tests.exports.querycount import export_queries

    headers = {"Authorization": f"Bearer {key}"}
    api = f"http://127.0.0.1:{api_port}/api/v1/ar-invoices/"
    ids = [post_json(api, invoice(i, customer, "Q"), headers)[1]["id"] for i in range(args.query_sample + 1)]
    totals: dict[str, float] = {}
    from spectrum_sync.exports import engine

    engine.process(int(ids[0]))  # the first one warms this process, as a worker is warm
    for record_id in ids[1:]:
        counts, _sql = export_queries(int(record_id))
        for part, n in counts.items():
            totals[part] = totals.get(part, 0) + n
    if not ids[1:]:
        return {}
    per = {part: n / len(ids[1:]) for part, n in totals.items()}
    print(
        f"\nLedger queries per export (sample of {len(ids) - 1} run here): {per['export']:.1f} to send it, "
        f"{per['outcome']:.1f} for its outcome (notification, telling the platform), "
        f"{per['readback']:.1f} more to read it back"
    )
    return per


def direct_baseline(args: Any, spectrum_url: str, customer: str, gl: str) -> list[float]:
    """The same invoices sent one by one with the client: no ledger, no queue, no platform."""
    from connectors.spectrum.client import SpectrumClient
    from connectors.spectrum.config import DataExchangeConfig
    from connectors.spectrum.simulator.server import DEMO_AUTH_ID
    from mappings.mappers import map_ar_invoice
    from mappings.rules import GLRule, Known, MappingRules

    rules = MappingRules(gl=(GLRule("", "", gl),))
    client = SpectrumClient(DataExchangeConfig(spectrum_url, DEMO_AUTH_ID, ("DC1",), allowed_hosts=("127.0.0.1",)))
    known = Known(existing=frozenset({("customer", f"DC1|{customer}")}))
    times = []
    try:
        for i in range(args.baseline):
            mapped = map_ar_invoice(invoice(i, customer, "D"), rules, known, "DC1")
            started = time.monotonic()
            client.post_customer_invoices("DC1", [mapped.calls[0].fields])
            times.append(time.monotonic() - started)
    finally:
        client.close()
    return times


if __name__ == "__main__":
    main()
