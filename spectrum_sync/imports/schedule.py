"""The import engine's one beat entry: the dispatcher, every minute, for every tenant.

Reference it from settings (LEAD)::

    from spectrum_sync.imports.schedule import BEAT_SCHEDULE as IMPORTS_BEAT_SCHEDULE
    CELERY_BEAT_SCHEDULE = {**IMPORTS_BEAT_SCHEDULE, ...}

django-celery-beat's DatabaseScheduler copies ``CELERY_BEAT_SCHEDULE`` into its table at start,
so this stays a single static row however many tenants there are; per-tenant cadence lives in
``PollSchedule`` (reliability-performance.md 1.7).
"""

from __future__ import annotations

from typing import Any

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "imports-dispatch-polls": {
        "task": "spectrum_sync.tasks.dispatch_polls",
        "schedule": 60.0,
        # A tick that waited longer than a minute is useless: the next one does the same work.
        "options": {"queue": "polls", "expires": 55},
    },
}
