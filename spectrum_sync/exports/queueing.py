"""Handing export records to the exports queue (the sweeper finds what the broker lost)."""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction

from spectrum_sync.enqueue import EXPORT_RECORD
from spectrum_sync.enqueue import send as send_task

logger = logging.getLogger(__name__)


def enqueue(record_id: int, countdown: float | None = None) -> None:
    """Hand a record to the exports queue; if the broker is down the sweeper finds it later."""
    try:
        if countdown:
            send_task(EXPORT_RECORD, record_id, countdown=countdown)
        else:
            send_task(EXPORT_RECORD, record_id)
    except Exception:
        logger.warning("could not enqueue export of record %s; the sweeper will", record_id, exc_info=True)


def enqueue_on_commit(record_id: int, countdown: float | None = None) -> None:
    transaction.on_commit(partial(enqueue, record_id, countdown), robust=True)
