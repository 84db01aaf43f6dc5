"""A burst of 1,000 AR invoices through the export engine to the Spectrum simulator (200 ms per call).

The invoices are stored the way the API stores them (``intake.accept``, in one transaction, so all
of them are enqueued the moment it commits: one burst), then one worker with 4 slots, and then one
with 16 (``--concurrency 4,16``), sends them, reads each back through Info-Link and tells the
platform simulator. The API's own intake is measured by ``bench/api_intake.py`` under gunicorn.

Per concurrency it prints:

- throughput: invoices per second from the burst's commit to the last platform result, beside the
  ceiling, slots ÷ the simulator's latency (no engine can send faster);
- our overhead once a worker took an invoice (``sent_at``) until the platform was told
  (``platform_notified_at``), minus the time inside Spectrum's calls (the attempts' ``remote_ms``):
  claiming, pre-flight, mapping, bookkeeping, reading back, telling the platform. p95 beside 50 ms;
- the CPU the worker, the simulators and PostgreSQL used for the run, per invoice, and how busy the
  machine's cores were: what limits a run that stays under its ceiling.

Then, counted on a sample run in this process: the ledger queries of one export (its own, with its
outcome) beside 8, and on a line of its own the queries reading it back adds.

Baseline in the same run: the same invoices posted straight to the simulator with the Spectrum
client, one after another, no engine, no ledger, no platform (a script an integrator might write).

Everything runs on loopback, in processes of its own: a throwaway PostgreSQL database for our
ledger (``bench_exports``), a seeded Spectrum store (``bench_exports_spectrum``), our own
redis-server on a free port (the shared one is never touched), the two simulators and the worker.
The worker runs with the production database setting (``DATABASE_CONN_MAX_AGE`` 60 s).

Run:  .venv/bin/python bench/export_throughput.py [--invoices 1000] [--latency-ms 200] [--concurrency 4,16]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from figures import figure  # noqa: E402 (bench/ itself is on the path of a script run from it)
from local import PG, free_port, fresh_database, wait_port  # noqa: E402

LEDGER_DB = "bench_exports"
SECRET = "bench-export-signing-secret-0001"  # noqa: S105 (throwaway key for a loopback simulator)


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
    parser.add_argument("--concurrency", default="4,16", help="worker slots, one run each (a comma list)")
    parser.add_argument("--baseline", type=int, default=100, help="invoices for the direct-client baseline")
    parser.add_argument("--query-sample", type=int, default=20, help="invoices whose queries are counted")
    parser.add_argument("--profile", type=int, default=0, help="also profile this many exports run here (cProfile)")
    parser.add_argument("--profile-file", default="", help="write that profile here too (pstats format)")
    args = parser.parse_args()
    slots = [int(part) for part in str(args.concurrency).split(",") if part.strip()]

    workdir = tempfile.mkdtemp(prefix="bench-exports-")
    redis, redis_port = start_redis(workdir)
    os.environ.update(
        {
            "DATABASE_URL": f"{PG}/{LEDGER_DB}",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
            "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "spectrum_sync.settings",
            "LOG_LEVEL": "WARNING",
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
        report(args, slots, spectrum_db, spectrum_url, platform_url, procs)
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


# --- CPU of the processes taking part (from /proc: user + system time, in seconds) -------------


def _ticks(stat: str) -> tuple[int, float]:
    """(parent pid, CPU seconds) from the text of /proc/<pid>/stat."""
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_group(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process and its descendants, and by PostgreSQL's."""
    table: dict[int, tuple[int, float, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        parent, seconds = _ticks(stat)
        table[int(entry.name)] = (parent, seconds, name)
    out = dict.fromkeys([*roots, "postgres"], 0.0)
    for pid, (_parent, seconds, name) in table.items():
        ancestor, group = pid, ""
        while ancestor in table and not group:
            group = next((g for g, root in roots.items() if root == ancestor), "")
            ancestor = table[ancestor][0]
        if group:
            out[group] += seconds
        elif name.startswith("postgres"):
            out["postgres"] += seconds
    return out


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (every core)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8]) / os.sysconf("SC_CLK_TCK")
    return total - idle / os.sysconf("SC_CLK_TCK"), total


def burst(tenant: Any, customer: str, run: str, count: int) -> Any:
    """Store ``count`` invoices as the API does, in one transaction: all enqueued when it commits.
    Returns the moment it commits (the burst's start)."""
    from django.db import transaction
    from django.utils import timezone

    with transaction.atomic():
        for i in range(count):
            store(tenant, invoice(i, customer, run))
        started = timezone.now()
    return started


def store(tenant: Any, body: dict[str, Any]) -> int:
    """One invoice validated and stored as the API does it (its serializer, then ``intake.accept``)."""
    from spectrum_sync.catalogue import EXPORTS
    from spectrum_sync.exports import intake

    serializer = EXPORTS["ar_invoice"].serializer(data=body, context={"companies": tenant.connection.companies})
    serializer.is_valid(raise_exception=True)
    document = dict(serializer.data)
    return intake.accept(tenant, "ar_invoice", document["document_id"], document["version"], document)[0].pk


def one_run(args: Any, slots: int, tenant: Any, customer: str, cpu_roots: dict[str, int]) -> dict[str, Any]:
    """One worker with ``slots`` slots takes a burst of invoices; what it measured."""
    from spectrum_sync.models import SyncRecord
    from tests.workers import WorkerProcess

    run = f"C{slots}"
    worker = WorkerProcess(
        "exports,notifications",
        concurrency=slots,
        extra_env={"LOG_LEVEL": "WARNING", "DATABASE_CONN_MAX_AGE": "60"},
    )
    worker.start()
    try:
        assert worker.proc is not None
        roots = {**cpu_roots, "worker": worker.proc.pid}
        cpu_before, busy_before = cpu_by_group(roots), machine_busy()
        started = burst(tenant, customer, run, args.invoices)
        mine = SyncRecord.objects.filter(tenant=tenant, platform_id__startswith=f"bench-{run}-")
        deadline = time.monotonic() + max(600, args.invoices)
        while mine.filter(platform_notified_at__isnull=True).exists():
            if time.monotonic() > deadline:
                raise SystemExit("not every invoice finished; see the worker log " + str(worker.log_path))
            time.sleep(0.2)
        cpu_after, busy_after = cpu_by_group(roots), machine_busy()
    finally:
        worker.stop()
    records = list(mine.prefetch_related("attempts"))
    overhead, waits, remotes, told = [], [], [], []
    for r in records:
        assert r.platform_notified_at is not None and r.sent_at is not None  # every one finished above
        remote = sum(a.remote_ms for a in r.attempts.all()) / 1000
        remotes.append(remote)
        # Once a worker took the record: our own work around Spectrum's call, queueing excluded.
        overhead.append((r.platform_notified_at - r.sent_at).total_seconds() - remote)
        waits.append((r.sent_at - started).total_seconds())
        told.append(r.platform_notified_at)
    span = (max(told) - started).total_seconds()
    cpu = {group: cpu_after[group] - cpu_before.get(group, 0.0) for group in cpu_after}
    busy, total = busy_after[0] - busy_before[0], busy_after[1] - busy_before[1]
    return {
        "slots": slots,
        "records": records,
        "statuses": sorted({r.status for r in records}),
        "throughput": len(records) / span,
        "ceiling": slots / (args.latency_ms / 1000),
        "overhead": overhead,
        "waits": waits,
        "remotes": remotes,
        "cpu": cpu,
        "busy": busy / total if total else 0.0,
        "cores": os.cpu_count() or 1,
    }


def report(
    args: Any, slots: list[int], spectrum_db: Any, spectrum_url: str, platform_url: str, procs: list[Any]
) -> None:
    tenant, _key, customer, gl = setup_tenant(spectrum_db, spectrum_url, platform_url)
    from spectrum_sync.models import Tenant

    tenant = Tenant.objects.select_related("connection").get(pk=tenant.pk)
    roots = {"Spectrum simulator": procs[1].pid, "platform simulator": procs[2].pid}
    runs = [one_run(args, n, tenant, customer, roots) for n in slots]
    base_times = direct_baseline(args, spectrum_url, customer, gl)
    base_over = [t - args.latency_ms / 1000 for t in base_times]

    for run in runs:
        n = len(run["records"])
        print(
            f"\nExport benchmark: {n:,} AR invoices in one burst, simulator latency {args.latency_ms} ms, "
            f"1 worker x {run['slots']} slots; outcomes: {run['statuses']}\n"
        )
        print(f"{'':<44} {'p50 s':>8} {'p95 s':>8} {'max s':>8}")
        for label, values in (
            ("engine: overhead once a worker took it", run["overhead"]),
            ("engine: waiting in the queue for a worker", run["waits"]),
            ("Spectrum call (simulator, incl. latency)", run["remotes"]),
        ):
            print(f"{label:<44} {percentile(values, 0.5):>8.3f} {percentile(values, 0.95):>8.3f} {max(values):>8.3f}")
        per_doc = ", ".join(f"{group} {seconds * 1000 / n:.1f}" for group, seconds in run["cpu"].items())
        print(
            f"CPU per invoice, ms: {per_doc}; the machine's {run['cores']} cores were "
            f"{run['busy'] * 100:.0f} % busy (other work on the machine included)"
        )
    print(
        f"\nbaseline: direct client, sequential: {percentile(base_over, 0.5) * 1000:.0f} ms p50 beyond the latency, "
        f"{len(base_times) / sum(base_times):.1f} docs/s"
    )
    readback = readback_cost([r for run in runs for r in run["records"]])
    counts = queries_per_export(args, tenant, customer)
    if args.profile:
        profile_exports(args.profile, tenant, customer, args.profile_file)
    print()
    for run in runs:
        figure(f"burst throughput at {run['slots']} slots", run["throughput"], "docs/s", run["ceiling"], "ceiling")
        p95 = percentile(run["overhead"], 0.95) * 1000
        figure(f"overhead once a worker took it p95 at {run['slots']} slots", p95, "ms", 50, "ceiling", 0)
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
            connection.queries_log.clear()  # a full log (9,000 queries) would count none
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


def queries_per_export(args: Any, tenant: Any, customer: str) -> dict[str, float]:
    """The ledger queries of one export, counted on a sample run here, in this process, against the
    same simulators (tests/exports/querycount.py splits the read-back's own from the rest)."""
    from spectrum_sync.exports import engine
    from tests.exports.querycount import export_queries

    ids = [store(tenant, invoice(i, customer, "Q")) for i in range(args.query_sample + 1)]
    engine.process(ids[0])  # the first one warms this process, as a worker is warm
    totals: dict[str, float] = {}
    for record_id in ids[1:]:
        counts, _sql = export_queries(record_id)
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


def profile_exports(count: int, tenant: Any, customer: str, path: str = "") -> None:
    """Where one export's own time goes: ``count`` exports run here under cProfile (no Celery)."""
    import cProfile
    import pstats

    from spectrum_sync.exports import engine

    ids = [store(tenant, invoice(i, customer, "P")) for i in range(count)]
    engine.process(ids.pop())
    profiler = cProfile.Profile()
    started = time.monotonic()
    profiler.enable()
    for record_id in ids:
        engine.process(record_id)
    profiler.disable()
    elapsed = (time.monotonic() - started) / max(len(ids), 1)
    print(f"\nProfile of {len(ids)} exports run here: {elapsed * 1000:.1f} ms each (Spectrum's latency included)")
    if path:
        profiler.dump_stats(path)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def direct_baseline(args: Any, spectrum_url: str, customer: str, gl: str) -> list[float]:
    """The same invoices sent one by one with the client: no ledger, no queue, no platform."""
    from connectors.spectrum.client import SpectrumClient
    from connectors.spectrum.config import DataExchangeConfig
    from connectors.spectrum.simulator.server import DEMO_AUTH_ID
    from mappings.rules import GLRule, Known, MappingRules
    from spectrum_sync.catalogue.ar_invoice import map_ar_invoice

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
