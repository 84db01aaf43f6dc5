"""Inbound API intake under gunicorn: 2,000 AR invoices from 8 keep-alive clients, on this machine.

What it measures: documents per second accepted by ``POST /api/v1/ar-invoices/`` and each post's
latency (p50 / p95, as a client sees it), with the production server and its recommended settings
(spectrum_sync/gunicorn_conf.py: gthread workers, one per core, a few threads each). Every answer
must be 202 and every document stored exactly once, queued once on the broker.

Baseline in the same run: the same load against gunicorn with one sync worker (one request at a
time, a new connection for each: gunicorn's default when nothing is configured).

The clients are separate processes (8, one keep-alive connection each), so their CPU is not the
server's; they share the machine's cores with gunicorn and PostgreSQL, so their CPU time is printed
too. Last, in this process through Django's test client: the ledger queries of one post, and with
``--profile`` where one post's time goes (cProfile).

It runs with production settings (DJANGO_DEBUG=false, a Redis cache for the per-tenant throttle)
in its own PostgreSQL database ``bench_intake`` and Redis database 14 (``--redis``), both emptied
first; the throttle's rate is raised so that a burst is measured, not refused.

Run:  .venv/bin/python bench/api_intake.py [--documents 2000] [--clients 8] [--baseline-documents 2000] [--profile]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from figures import figure  # noqa: E402 (bench/ itself is on the path of a script run from it)
from local import PG, free_port, fresh_database, wait_port  # noqa: E402

DATABASE = "bench_intake"
PATH = "/api/v1/ar-invoices/"
CONFIG = ROOT / "spectrum_sync" / "gunicorn_conf.py"
TICKS = os.sysconf("SC_CLK_TCK")


def production_env(redis_url: str) -> dict[str, str]:
    """What a production web process is given (README, "Running in production"), on loopback."""
    return {
        "DJANGO_SETTINGS_MODULE": "spectrum_sync.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; TLS ends at the proxy in front
        "DATABASE_URL": f"{PG}/{DATABASE}",
        "CELERY_BROKER_URL": redis_url,
        "CACHE_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        # A burst from one tenant is what is measured: the per-tenant throttle would answer it with 429.
        "API_THROTTLE_RATE": "1000000/min",
    }


def invoice(i: int, run: str) -> dict[str, Any]:
    """An AR invoice as the platform sends one: a few lines, a tax line, custom fields."""
    return {
        "document_id": f"inv-{run}-{i}",
        "version": "1",
        "invoice_number": f"{run}{i:06d}"[:10],
        "customer_code": "CUST1",
        "invoice_date": time.strftime("%Y-%m-%d"),
        "description": f"Service visit {i}, rooftop unit",
        "lines": [
            {"kind": "labor", "description": "Technician, 2 h", "amount": "240.00", "taxable": False},
            {"kind": "material", "description": "Filter 20x25x1", "amount": "60.00", "taxable": True},
            {"kind": "material", "description": "Refrigerant R-410A", "amount": "95.50", "taxable": True},
        ],
        "custom_fields": {"work_order": f"WO-{i}", "technician": "J. Ortiz"},
    }


def client(port: int, key: str, bodies: list[bytes]) -> dict[str, Any]:
    """One platform sender: posts ``bodies`` in turn over one keep-alive connection (opened again
    whenever the server closes it). Returns statuses, latencies, record ids and its CPU seconds."""
    cpu = time.process_time()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}", "Connection": "keep-alive"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    statuses, latencies, ids, connections = [], [], [], 1
    for body in bodies:
        started = time.perf_counter()
        conn.request("POST", PATH, body, headers)
        response = conn.getresponse()
        data = response.read()
        latencies.append(time.perf_counter() - started)
        statuses.append(response.status)
        if response.status in (201, 202):
            ids.append(json.loads(data)["id"])
        if response.will_close:
            conn.close()
            connections += 1
    conn.close()
    return {
        "statuses": statuses,
        "latencies": latencies,
        "ids": ids,
        "cpu": time.process_time() - cpu,
        "connections": connections,
    }


def _client_star(job: tuple[int, str, list[bytes]]) -> dict[str, Any]:
    return client(*job)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (/proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(p) for p in text)
    return found


class Gunicorn:
    """gunicorn serving our WSGI app on a free loopback port, with extra command-line options."""

    def __init__(self, env: dict[str, str], options: list[str], label: str) -> None:
        self.port = free_port()
        self.label = label
        command = [sys.executable, "-m", "gunicorn", "--config", str(CONFIG), *options]
        # No control socket: its default path is one per machine, shared with any other gunicorn.
        command += ["--bind", f"127.0.0.1:{self.port}", "--no-control-socket", "spectrum_sync.wsgi"]
        self.proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
        wait_port(self.port)

    def cpu(self) -> float:
        """CPU seconds of the master and its workers so far."""
        return cpu_seconds([self.proc.pid, *children(self.proc.pid)])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def queued(redis_url: str) -> int:
    """Messages waiting on the exports queue (no worker runs here, so every post's is still there)."""
    import redis

    r = redis.Redis.from_url(redis_url)
    try:
        return sum(int(r.llen(k)) for k in r.scan_iter("exports*") if r.type(k) == b"list")
    finally:
        r.close()


def load(server: Gunicorn, key: str, run: str, documents: int, clients: int) -> dict[str, Any]:
    """``documents`` posts from ``clients`` processes at once; what the clients and server saw."""
    share = [[json.dumps(invoice(i, run)).encode() for i in range(c, documents, clients)] for c in range(clients)]
    context = multiprocessing.get_context("fork")
    with context.Pool(clients) as pool:
        pool.map(time.sleep, [0.2] * clients)  # every client process exists before the clock starts
        # One post per client first (a new connection and the worker's first request are not the load).
        pool.map(
            _client_star, [(server.port, key, [json.dumps(invoice(c, run + "w")).encode()]) for c in range(clients)]
        )
        server_cpu = server.cpu()
        started = time.perf_counter()
        results = pool.map(_client_star, [(server.port, key, bodies) for bodies in share])
        elapsed = time.perf_counter() - started
        server_cpu = server.cpu() - server_cpu
    latencies = [x for r in results for x in r["latencies"]]
    return {
        "label": server.label,
        "documents": documents,
        "elapsed": elapsed,
        "rate": documents / elapsed,
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "statuses": sorted({s for r in results for s in r["statuses"]}),
        "ids": [i for r in results for i in r["ids"]],
        "client_cpu": sum(r["cpu"] for r in results),
        "server_cpu": server_cpu,
        "connections": sum(r["connections"] for r in results),
        "run": run,
    }


def check_stored(result: dict[str, Any], tenant: Any) -> None:
    """Every post answered 202 and is one record of its own, with the body that was sent."""
    from spectrum_sync.models import SyncRecord

    documents = result["documents"]
    assert result["statuses"] == [202], f"{result['label']}: answers {result['statuses']}"
    ids = result["ids"]
    assert len(ids) == documents and len(set(ids)) == documents, f"{result['label']}: {len(set(ids))} distinct ids"
    stored = SyncRecord.objects.filter(tenant=tenant, platform_id__startswith=f"inv-{result['run']}-")
    assert stored.count() == documents, f"{result['label']}: {stored.count()} records for {documents} posts"
    assert set(stored.values_list("pk", flat=True)) == set(ids)
    sample = stored.order_by("pk").first()
    assert sample is not None
    i = int(sample.platform_id.rsplit("-", 1)[1])
    assert sample.payload["lines"][2]["amount"] == invoice(i, result["run"])["lines"][2]["amount"]


def setup_tenant() -> tuple[Any, str]:
    from mappings.models import GLAccountMapping
    from spectrum_sync.models import MirrorRecord, SpectrumConnection, Tenant

    tenant = Tenant.objects.create(name="Bench intake", slug="bench-intake")
    key = tenant.generate_api_key()
    tenant.save()
    # Connected (so every document is queued, as in production), to a Spectrum nothing calls here.
    SpectrumConnection.objects.create(
        tenant=tenant, base_url="https://spectrum.invalid", authorization_id="bench", company_codes="AC1"
    )
    GLAccountMapping.objects.create(tenant=tenant, line_kind="", gl_account="400000")
    MirrorRecord.objects.create(tenant=tenant, object_type="customer", key="AC1|CUST1", row_hash="bench")
    return tenant, key


def queries_per_post(key: str, samples: int, profile: bool) -> tuple[float, list[str]]:
    """The ledger queries of one post, counted in this process through Django's test client (the
    broker send is not a query); with ``profile``, cProfile's top functions over the same posts."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")
    warm = api.post(PATH, invoice(0, "Qw"), content_type="application/json")
    assert warm.status_code == 202, warm.content
    counts, sql = [], []
    profiler = cProfile.Profile()
    for i in range(samples):
        with CaptureQueriesContext(connection) as captured:
            if profile:
                profiler.enable()
            response = api.post(PATH, invoice(i, "Q"), content_type="application/json")
            if profile:
                profiler.disable()
        assert response.status_code == 202, response.content
        counts.append(len(captured.captured_queries))
        sql = [q["sql"][:110] for q in captured.captured_queries]
    if profile:
        print(f"\ncProfile of {samples} posts in this process (test client), top 25 by cumulative time:")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return sum(counts) / len(counts), sql


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--baseline-documents", type=int, default=2000, help="posts against one sync worker")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="broker and cache (emptied first)")
    parser.add_argument("--query-sample", type=int, default=50, help="posts whose queries are counted")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of one post")
    parser.add_argument("--gunicorn", default="", help="extra gunicorn options for the measured run")
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(args.redis).flushdb()
    env = production_env(args.redis)
    os.environ.update(env)
    fresh_database(DATABASE)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    tenant, key = setup_tenant()
    connections.close_all()  # the client processes are forked from this one

    results = []
    for label, options, documents, run in (
        (
            "gunicorn, one sync worker",
            ["--worker-class", "sync", "--workers", "1", "--threads", "1"],
            args.baseline_documents,
            "B",
        ),
        (f"gunicorn, recommended {args.gunicorn}".strip(), args.gunicorn.split(), args.documents, "G"),
    ):
        if not documents:
            continue
        before = queued(args.redis)
        server = Gunicorn(env, options, label)
        try:
            result = load(server, key, run, documents, args.clients)
        finally:
            server.stop()
        result["queued"] = queued(args.redis) - before - args.clients  # less the warm-up posts
        check_stored(result, tenant)
        assert result["queued"] == documents, f"{label}: {result['queued']} messages queued for {documents} posts"
        results.append(result)
        print(f"{label}: {documents} posts in {result['elapsed']:.1f} s, {result['rate']:.1f}/s", flush=True)

    per_post, sql = queries_per_post(key, args.query_sample, args.profile)
    redis.Redis.from_url(args.redis).flushdb()

    print(f"\nAPI intake: AR invoices from {args.clients} keep-alive clients (processes), on {os.cpu_count()} cores")
    columns = ("posts", "docs/s", "p50 ms", "p95 ms", "server CPU ms/doc", "client CPU ms/doc", "connections")
    print(f"{'':<30} " + " ".join(f"{c:>{max(8, len(c))}}" for c in columns))
    for r in results:
        print(
            f"{r['label']:<30} {r['documents']:>8} {r['rate']:>8.1f} {r['p50'] * 1000:>8.1f} {r['p95'] * 1000:>8.1f} "
            f"{r['server_cpu'] / r['documents'] * 1000:>18.2f} {r['client_cpu'] / r['documents'] * 1000:>18.2f} "
            f"{r['connections']:>12}"
        )
    print("every post answered 202, stored once and queued once (checked)")
    print(f"\nLedger queries per post (mean of {args.query_sample}, test client in this process): {per_post:.1f}")
    for line in sql:
        print(f"  {line}")
    print("\ntarget: >= 300 docs/s from 8 clients under gunicorn on 2 cores")
    measured = results[-1]
    figure(f"API intake, gunicorn ({args.clients} clients)", measured["rate"], "docs/s", 300, "target", 0)
    if len(results) == 2:
        figure("API intake vs one sync worker", measured["rate"], "docs/s", results[0]["rate"], "baseline", 0)
        figure("intake p95 latency", measured["p95"] * 1000, "ms", results[0]["p95"] * 1000, "baseline")
    # Two cores shared by the server, its clients and PostgreSQL: 300 posts a second leave each post
    # at most this much CPU, all of it together.
    budget = (os.cpu_count() or 1) * 1000 / 300
    figure("gunicorn CPU per post", measured["server_cpu"] / measured["documents"] * 1000, "ms", budget, "ceiling")
    # The count tests/api/test_intake_cost.py holds a post to.
    figure("ledger queries per post", per_post, "", 7, "ceiling")


if __name__ == "__main__":
    main()
