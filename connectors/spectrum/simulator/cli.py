"""Command line of the Spectrum simulator (wrapped by ``python manage.py spectrum_simulator``).

``--store`` names the shared store (``sqlite:///var/spectrum-simulator.sqlite3`` by default, or a
PostgreSQL URL); the schema is created when the store is empty, and ``--seed demo|large`` seeds it
only when it has no customers yet, so restarting keeps what the Puts wrote.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from connectors.spectrum.simulator.seed import seed
from connectors.spectrum.simulator.server import SpectrumSimulator, demo_identities
from connectors.spectrum.simulator.state import SimulatorState
from connectors.spectrum.simulator.store import Store

READY_LINE = "spectrum simulator listening on"
DEFAULT_STORE = "sqlite:///var/spectrum-simulator.sqlite3"

_HAS_SCHEMA = {
    "sqlite": "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'CR_CUSTOMER_MASTER_MC'",
    "postgresql": "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'cr_customer_master_mc'",
}


def build_parser(parser: argparse.ArgumentParser | Any) -> Any:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback by default)")
    parser.add_argument("--port", type=int, default=8482, help="port (Spectrum's default is 8482; 0 = any free)")
    parser.add_argument("--store", default=DEFAULT_STORE, help="sqlite:///path or postgresql://... store URL")
    parser.add_argument("--seed", choices=("demo", "large"), default=None, help="seed profile, used only when empty")
    parser.add_argument("--customers", type=int, default=None, help="customers for --seed large (100000)")
    parser.add_argument("--row-cap", type=int, default=None, help="rows per Get answer before the W row (0 = none)")
    return parser


def open_store(url: str, profile: str | None, customers: int | None) -> Store:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(url)
    if int(store.query(_HAS_SCHEMA[store.dialect])[0]["n"]) == 0:
        store.create_schema()
    if profile and store.count("CR_CUSTOMER_MASTER_MC") == 0:
        seed(store, profile, customers)
    return store


def run(options: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    store = open_store(options.store, options.seed, options.customers)
    state = SimulatorState(demo_identities())
    if options.row_cap is not None:
        state.set_config(row_cap=options.row_cap)
    sim = SpectrumSimulator(store, state, host=options.host, port=options.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"{READY_LINE} {sim.url} (store {store.dialect})", flush=True)
    try:
        sim.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        sim.httpd.server_close()
        store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(build_parser(argparse.ArgumentParser(description="Spectrum Data Exchange simulator")).parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
