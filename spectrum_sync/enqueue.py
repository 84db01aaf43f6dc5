"""The one place that hands work to Celery: tasks are named by the string they are registered under.

Nothing here imports a task module, so an engine that enqueues never imports the tasks that call
it (those import the engines). The queue a task goes to follows its name (``task_routes`` in
spectrum_sync/celery.py). A task registered in this process is sent by its own ``apply_async``
(so eager mode and the task's options apply as they would to the task object); any other name
goes out by ``send_task``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from celery.result import AsyncResult
from django.db import transaction

from spectrum_sync.celery import app

# The names Celery registers (spectrum_sync/tasks.py, spectrum_sync/notifications/tasks.py); beat
# rows and the routes depend on them, so they never change.
EXPORT_RECORD = "spectrum_sync.tasks.export_record"
EXPORT_RESULT = "spectrum_sync.tasks.export_result"
EXPORT_RELEASE_HELD = "spectrum_sync.tasks.export_release_held"
EXPORT_RELEASE_PERIODS = "spectrum_sync.tasks.export_release_periods"
POLL_OBJECT_TYPE = "spectrum_sync.tasks.poll_object_type"
DISPATCH_FANOUT = "spectrum_sync.tasks.dispatch_fanout"
NOTIFY_SEND = "spectrum_sync.tasks.notify_send"


def send(name: str, *args: Any, **options: Any) -> AsyncResult:
    """Send task ``name`` with ``args`` now (``options`` as for ``apply_async``: countdown, producer...)."""
    task = app.tasks.get(name)
    if task is None:  # not registered in this process (a process that loads no task modules)
        return app.send_task(name, args, **options)
    return task.apply_async(args, **options)


def send_on_commit(name: str, *args: Any, **options: Any) -> None:
    """Send task ``name`` once the current transaction commits (at once outside one); a broker
    error is logged, never raised into the committed work."""
    transaction.on_commit(partial(send, name, *args, **options), robust=True)


def producer() -> Any:
    """One broker connection for many sends (``with enqueue.producer() as p: send(..., producer=p)``)."""
    return app.producer_or_acquire()
