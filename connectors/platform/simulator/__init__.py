"""The operations platform simulator: receives, verifies and shows deliveries; posts documents.

Run it with ``python manage.py platform_simulator --port 8600`` (or ``python -m
connectors.platform.simulator``, which needs no Django). :mod:`.app` documents the routes,
:mod:`connectors.platform.client` the delivery contract it implements.
"""

from __future__ import annotations

from connectors.platform.simulator.app import InboundSettings, PlatformSimulatorApp, TenantSecrets
from connectors.platform.simulator.cli import build_parser, main
from connectors.platform.simulator.server import RunningSimulator, SimulatorHTTPServer
from connectors.platform.simulator.store import SimulatorStore

__all__ = [
    "InboundSettings",
    "PlatformSimulatorApp",
    "RunningSimulator",
    "SimulatorHTTPServer",
    "SimulatorStore",
    "TenantSecrets",
    "build_parser",
    "main",
]
