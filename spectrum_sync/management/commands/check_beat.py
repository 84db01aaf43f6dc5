"""Is Celery beat alive? Exit code 0 if its heartbeat is recent, 1 if not (for monitoring).

Beat schedules the checks that would notice that polls stopped, so a dead beat cannot report
itself. Its scheduler (spectrum_sync/beat.py) records a heartbeat every ``BEAT_HEARTBEAT_SECONDS``;
this command prints when beat last ticked and fails when that is longer ago than
``BEAT_OVERDUE_SECONDS`` (or never happened). Reads only the database: works on any broker.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from spectrum_sync import beat


class Command(BaseCommand):
    help = "Show when Celery beat last ticked; exit 1 when that is overdue."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--overdue", type=int, default=None, help="seconds after which beat counts as dead (BEAT_OVERDUE_SECONDS)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        overdue = options["overdue"] or int(beat.overdue_after().total_seconds())
        heartbeat = beat.last_tick()
        if heartbeat is None:
            raise CommandError(
                "Celery beat has never ticked: start exactly one `celery -A spectrum_sync beat`.", returncode=1
            )
        age = (timezone.now() - heartbeat.last_tick_at).total_seconds()
        where = f"{heartbeat.hostname or '?'} (pid {heartbeat.pid})"
        if age > overdue:
            raise CommandError(
                f"Celery beat is overdue: last tick {age:.0f}s ago on {where}, more than {overdue}s. No poll, sweep "
                "or health check is being scheduled; restart `celery -A spectrum_sync beat`.",
                returncode=1,
            )
        self.stdout.write(f"beat: last tick {age:.0f}s ago on {where}")
