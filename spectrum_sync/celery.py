"""The Celery app. Queues: ``exports`` (latency-sensitive), ``polls`` (bulk), ``notifications``.

Worker: ``celery -A spectrum_sync worker -Q exports,polls,notifications``
Beat:   ``celery -A spectrum_sync beat`` (django-celery-beat's database scheduler)
"""

import os

from celery import Celery
from kombu import Exchange, Queue

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
app.autodiscover_tasks()
