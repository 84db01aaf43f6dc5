"""Command line of the platform simulator, shared by ``manage.py platform_simulator`` and ``python -m``."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from connectors.platform import samples
from connectors.platform.simulator.app import InboundSettings, PlatformSimulatorApp, TenantSecrets
from connectors.platform.simulator.server import SimulatorHTTPServer
from connectors.platform.simulator.store import SimulatorStore

READY_LINE = "Platform simulator listening on"


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="platform_simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8600, help="port (0 picks a free one; default 8600)")
    parser.add_argument(
        "--tenant",
        action="append",
        default=[],
        metavar="SLUG=SECRET",
        help="a tenant and its signing secret; repeat for more",
    )
    parser.add_argument(
        "--secret-file",
        action="append",
        default=[],
        metavar="[SLUG=]PATH",
        help="read a tenant's signing secret from a file (tenant 'demo' when no slug is given)",
    )
    parser.add_argument("--store", default=":memory:", help="SQLite file to keep what arrives (default: memory)")
    parser.add_argument("--sync-url", default="http://127.0.0.1:8000", help="Spectrum Sync's base URL")
    parser.add_argument("--api-key", default="", help="the tenant API key used to post documents")
    parser.add_argument("--api-key-file", default="", help="read the API key from this file")
    parser.add_argument("--signature-tolerance", type=int, default=300, help="seconds of clock skew accepted")
    parser.add_argument(
        "--post-sample",
        choices=sorted(samples.SAMPLES),
        help="post one sample document to Spectrum Sync, print the answer and exit",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def make_app(options: argparse.Namespace) -> PlatformSimulatorApp:
    tenants = TenantSecrets()
    for spec in options.tenant:
        slug, sep, secret = spec.partition("=")
        if not sep or not slug or not secret:
            raise SystemExit(f"--tenant needs SLUG=SECRET, got {spec!r}")
        tenants.add(slug, secret)
    for spec in options.secret_file:
        slug, sep, path = spec.partition("=")
        if not sep:
            slug, path = "demo", spec
        tenants.add_file(slug, Path(path))
    inbound = InboundSettings(
        sync_url=options.sync_url,
        api_key=options.api_key,
        api_key_file=Path(options.api_key_file) if options.api_key_file else None,
    )
    return PlatformSimulatorApp(SimulatorStore(options.store), tenants, inbound, options.signature_tolerance)


def post_one(app: PlatformSimulatorApp, name: str) -> int:
    answer = app.post_sample(name)
    print(json.dumps({"url": answer.url, "status": answer.status, "answer": answer.body}, indent=2))
    return 0 if answer.accepted else 1


def serve(app: PlatformSimulatorApp, host: str, port: int) -> int:
    server = SimulatorHTTPServer((host, port), app)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # Tests read this line to learn the port when started with --port 0.
    print(f"{READY_LINE} {server.url} (tenants: {', '.join(app.tenants.slugs()) or 'none'})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.store.close()
    return 0


def run(options: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.DEBUG if options.verbose else logging.INFO, format="%(asctime)s %(message)s")
    app = make_app(options)
    if options.post_sample:
        return post_one(app, options.post_sample)
    return serve(app, options.host, options.port)


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(sys.argv[1:] if argv is None else list(argv)))
