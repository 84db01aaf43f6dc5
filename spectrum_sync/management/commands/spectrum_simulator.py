"""``python manage.py spectrum_simulator --port 8482 --store sqlite:///var/spectrum-simulator.sqlite3 --seed demo``

The Spectrum Data Exchange simulator (SOAP + REST + Enhanced Authentication) on the shared store;
the simulator itself is Django-free (``connectors/spectrum/simulator``).
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from connectors.spectrum.simulator.cli import build_parser, run


class Command(BaseCommand):
    help = "Run the Spectrum Data Exchange simulator (web services, REST, Enhanced Authentication)."

    def add_arguments(self, parser: CommandParser) -> None:
        build_parser(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        code = run(argparse.Namespace(**options))
        if code:
            raise SystemExit(code)
