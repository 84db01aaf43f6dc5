"""Celery beat's own heartbeat, so a dead beat is noticed by monitoring, not by missing work.

Beat schedules every periodic check, including the ones that would notice that polls stopped, so
it cannot report its own death. :class:`HeartbeatScheduler` is django-celery-beat's database
scheduler that also writes the time of its latest tick to :class:`~spectrum_sync.models.BeatHeartbeat`
(at most every ``BEAT_HEARTBEAT_SECONDS``); ``manage.py check_beat`` reads it and fails when it
is older than ``BEAT_OVERDUE_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, close_old_connections
from django.utils import timezone
from django_celery_beat.schedulers import DatabaseScheduler

from spectrum_sync.models import BeatHeartbeat

logger = logging.getLogger(__name__)


def heartbeat_seconds() -> float:
    return float(getattr(settings, "BEAT_HEARTBEAT_SECONDS", 30))


def overdue_after() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "BEAT_OVERDUE_SECONDS", 180)))


def record_tick(now: datetime | None = None) -> None:
    """Write beat's latest tick (one row, whichever beat process runs)."""
    BeatHeartbeat.objects.update_or_create(
        name=BeatHeartbeat.BEAT,
        defaults={"last_tick_at": now or timezone.now(), "hostname": socket.gethostname()[:100], "pid": os.getpid()},
    )


def last_tick() -> BeatHeartbeat | None:
    return BeatHeartbeat.objects.filter(name=BeatHeartbeat.BEAT).first()


class HeartbeatScheduler(DatabaseScheduler):
    """The database scheduler, plus a heartbeat written from its loop (every tick runs here)."""

    _last_heartbeat: float | None = None

    def tick(self, *args: Any, **kwargs: Any) -> float:
        delay: float = super().tick(*args, **kwargs)
        self.beat_heartbeat()
        return min(delay, heartbeat_seconds())

    def beat_heartbeat(self) -> None:
        now = time.monotonic()
        if self._last_heartbeat is not None and now - self._last_heartbeat < heartbeat_seconds():
            return
        try:
            close_old_connections()  # beat holds its connection for ever; the database may have dropped it
            record_tick()
        except (DatabaseError, InterfaceError):
            # A database blip must not stop beat; a heartbeat that stays missing is the alarm.
            logger.warning("beat could not record its heartbeat; trying again at the next tick", exc_info=True)
            return
        self._last_heartbeat = now
