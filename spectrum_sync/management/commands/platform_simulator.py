"""``python manage.py platform_simulator --port 8600``: the operations platform simulator.

Without ``--tenant`` / ``--secret-file`` it serves the demo tenant with the secret `make run`
keeps in ``var/demo-signing-secret.txt``, and posts documents with ``var/demo-api-key.txt`` to
``SITE_URL``. The simulator itself is Django-free (``connectors/platform/simulator``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from connectors.platform.simulator.cli import build_parser, run


class Command(BaseCommand):
    help = "Run the operations platform simulator (receives signed deliveries, posts sample documents)."

    def add_arguments(self, parser: CommandParser) -> None:
        build_parser(parser)
        parser.set_defaults(sync_url=settings.SITE_URL)

    def handle(self, *args: Any, **options: Any) -> None:
        var = Path(settings.VAR_DIR)
        if not options["tenant"] and not options["secret_file"]:
            options["secret_file"] = [f"demo={var / 'demo-signing-secret.txt'}"]
        if not options["api_key"] and not options["api_key_file"]:
            options["api_key_file"] = str(var / "demo-api-key.txt")
        code = run(argparse.Namespace(**options))
        if code:
            raise SystemExit(code)
