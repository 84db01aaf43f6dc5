"""Celery tasks: thin, they take ids and call one engine function.

Queues follow the name: ``export_*`` and ``sweep_*`` → exports, ``poll_*`` and ``dispatch_*`` →
polls, ``notify_*`` → notifications (spectrum_sync/celery.py). The engines send them by name
(spectrum_sync/enqueue.py), so this is the only module that imports both engines.
"""

from __future__ import annotations

import logging
from typing import Any

from billiard.exceptions import WorkerLostError
from celery import Task, shared_task
from celery.signals import task_failure

from spectrum_sync.exports import engine, holds, periods, results, sweeper
from spectrum_sync.imports import actions, dispatcher
from spectrum_sync.models import Tenant

logger = logging.getLogger(__name__)

# --- exports (EXPORTS) -------------------------------------------------------------------------------


@shared_task(name="spectrum_sync.tasks.export_record", acks_late=True)
def export_record(record_id: int) -> str:
    """Export one sync record to Spectrum (safe to run twice: the engine claims the row)."""
    return engine.process(record_id)


@shared_task(name="spectrum_sync.tasks.export_result", acks_late=True)
def export_result(record_id: int) -> bool:
    """Tell the platform a record's outcome (when telling it at once failed)."""
    return results.post_result(record_id)


@shared_task(name="spectrum_sync.tasks.export_set_aside", acks_late=True)
def export_set_aside(record_id: int, deliveries: int) -> bool:
    """Fail a record whose task message kept killing workers (see :func:`_dropped_after_worker_lost`)."""
    return sweeper.set_aside_undeliverable(record_id, deliveries)


@shared_task(name="spectrum_sync.tasks.sweep_exports")
def sweep_exports() -> dict[str, int]:
    """Every minute (beat): re-enqueue pending work and expired leases."""
    return sweeper.sweep()


@shared_task(name="spectrum_sync.tasks.export_release_held", acks_late=True)
def export_release_held(tenant_id: int, object_type: str, keys: list[str]) -> int:
    """A poll brought these master records (mirror keys) in: release the exports held for them."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    return holds.release_held_for(tenant, object_type, keys) if tenant else 0


@shared_task(name="spectrum_sync.tasks.export_release_periods", acks_late=True)
def export_release_periods(tenant_id: int | None = None) -> int:
    """After a poll (one tenant) and daily (beat, every tenant): exports held for a closed Spectrum
    period whose window is open now go back to pending (spectrum_sync/exports/periods.py)."""
    tenant = Tenant.objects.filter(pk=tenant_id).first() if tenant_id is not None else None
    if tenant_id is not None and tenant is None:
        return 0
    return periods.release_due(tenant)


# --- imports (IMPORTS) -------------------------------------------------------------------------------


@shared_task(name="spectrum_sync.tasks.dispatch_polls")
def dispatch_polls() -> int:
    """Every minute (beat, one entry for all tenants): start the polls that are due."""
    return len(dispatcher.dispatch_due())


@shared_task(name="spectrum_sync.tasks.poll_object_type", acks_late=True)
def poll_object_type(schedule_id: int, fencing_token: int, trigger: str = "schedule") -> int | None:
    """One poll of one (tenant, object type); a duplicate or stale message does nothing."""
    run = actions.poll_scheduled(schedule_id, fencing_token, trigger)
    return run.pk if run else None


@shared_task(name="spectrum_sync.tasks.dispatch_fanout")
def dispatch_fanout(claims: list[list[int]], trigger: str = "schedule") -> int:
    """Publish the poll tasks of a big tick's share of claims ([schedule id, fencing token] pairs)."""
    dispatcher.enqueue_polls([(int(schedule_id), int(token)) for schedule_id, token in claims], trigger)
    return len(claims)


# --- worker liveness (spectrum_sync/liveness.py) ------------------------------------------------------


@shared_task(name="spectrum_sync.tasks.liveness_canary", acks_late=False)
def liveness_canary(hostname: str) -> None:
    """Nothing to do: the worker's watchdog saw the message arrive, which is all it asks."""


# --- poison messages ------------------------------------------------------------------------------


@task_failure.connect
def _dropped_after_worker_lost(sender: Task | None = None, exception: BaseException | None = None, **info: Any) -> None:
    """In the worker's main process: a message whose worker died on every delivery was dropped.

    With CELERY_TASK_RETRY_ON_WORKER_LOST a message is sent again each time its pool process dies;
    past the task's ``max_retries`` Celery gives up, acknowledges it and reports this failure. A
    dropped export leaves its record pending, to be fed to workers again by the sweeper: set it
    aside as failed instead, where the accountant sees why. Other tasks recover on their own (a
    poll's lease expires and the next dispatch polls again), so they are only logged.
    """
    if sender is None or not isinstance(exception, WorkerLostError):
        return
    request = sender.request
    args = list(info.get("args") or request.args or [])
    deliveries = int(request.retries or 0) + 1
    logger.critical("%s%s dropped: its worker process died on each of %d deliveries", sender.name, args, deliveries)
    if sender.name == export_record.name and args:
        export_set_aside.delay(int(args[0]), deliveries)
