"""The Celery app. Queues: ``exports`` (latency-sensitive), ``polls`` (bulk), ``notifications``.

Each worker also consumes its own direct queue (``<hostname>.dq2``), where its liveness watchdog
sends canaries to itself (spectrum_sync/liveness.py).

Worker: ``celery -A spectrum_sync worker -Q exports,polls,notifications``
Beat:   ``celery -A spectrum_sync beat`` (django-celery-beat's database scheduler)
"""

import logging
import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, task_prerun
from celery.utils.log import get_multiprocessing_logger
from kombu import Exchange, Queue

from connectors.redaction import bind_tenant, mask_handlers
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


@after_setup_logger.connect
@after_setup_task_logger.connect
def _mask_secrets(logger: logging.Logger, **_: object) -> None:
    """Celery gives its worker and beat processes handlers of its own, replacing those of LOGGING:
    mask secrets on them too (connectors/redaction.py), and on the pool processes' logger."""
    mask_handlers(logger)
    pool_logger = get_multiprocessing_logger()
    if pool_logger is not None:
        mask_handlers(pool_logger)


@task_prerun.connect
def _unbind_tenant(**_: object) -> None:
    # A pool process runs one task after another: the last one's tenant is not this one's.
    bind_tenant("")
