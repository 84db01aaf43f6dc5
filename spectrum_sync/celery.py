"""The Celery app. Queues: ``exports`` (latency-sensitive), ``polls`` (bulk), ``notifications``.

Each worker also consumes its own direct queue (``<hostname>.dq2``), where its liveness watchdog
sends canaries to itself (spectrum_sync/liveness.py).

Worker: ``celery -A spectrum_sync worker -Q exports,polls,notifications``
Beat:   ``celery -A spectrum_sync beat`` (django-celery-beat's database scheduler)
"""

import os

from celery import Celery
from kombu import Exchange, Queue

from spectrum_sync.liveness import LivenessStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spectrum_sync.settings")

app = Celery("spectrum_sync")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = tuple(
    Queue(name, Exchange(name), routing_key=name) for name in ("exports", "polls", "notifications")
)
app.conf.task_routes = {
    "spectrum_sync.tasks.export_*": {"queue": "exports"},
    "spectrum_sync.tasks.sweep_*": {"queue": "exports"},
    "spectrum_sync.tasks.poll_*": {"queue": "polls"},
    "spectrum_sync.tasks.dispatch_*": {"queue": "polls"},
    "spectrum_sync.tasks.notify_*": {"queue": "notifications"},
}
# A queue per worker, for the canaries of its liveness watchdog.
app.conf.worker_direct = True
app.steps["worker"].add(LivenessStep)
app.autodiscover_tasks()
