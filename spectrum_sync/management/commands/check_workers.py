"""Are the Celery workers alive and consuming? Exit code 0 if so, 1 if not (for monitoring).

Each worker is asked, by broadcast, for its liveness watchdog's view (``celery inspect liveness``):
how long ago its last canary task arrived (spectrum_sync/liveness.py). The reply travels the way a
``celery inspect ping`` does, so it doubles as the ping. A worker whose consumer is dead does not
answer at all, so the command also needs to know how many workers there should be (``--expect``,
1 by default). Needs a broker that can broadcast (Redis); the demo's filesystem broker cannot,
and the command says so. Celery beat is watched by its sibling, ``check_beat``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Ping the Celery workers and show how long ago each one last received its liveness canary."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for replies")
        parser.add_argument("--expect", type=int, default=1, help="how many workers must answer")

    def handle(self, *args: Any, **options: Any) -> None:
        from spectrum_sync.celery import app

        if str(app.conf.broker_url).startswith(("filesystem://", "memory://")):
            raise CommandError("check_workers needs a broker that can broadcast (Redis); this one cannot", returncode=1)
        timeout = options["timeout"]
        views = _merge(app.control.broadcast("liveness", reply=True, timeout=timeout))
        healthy = 0
        for hostname, view in sorted(views.items()):
            age = view.get("last_canary_age")
            canary = "off" if not view.get("enabled") else "none yet" if age is None else f"{age:.0f}s ago"
            stuck = bool(view.get("stuck"))
            healthy += not stuck
            self.stdout.write(
                f"{hostname}: ping ok, last canary {canary}" + (" — found stuck, restarting" if stuck else "")
            )
        if healthy < options["expect"]:
            raise CommandError(
                f"{healthy} healthy worker(s) answered within {timeout:g}s; expected {options['expect']}", returncode=1
            )


def _merge(replies: list[dict[str, Any]] | None) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for reply in replies or []:
        merged.update(reply)
    return merged
