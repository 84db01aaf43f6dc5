"""The real Celery app, with poison injected: ``celery -A tests.faults.poison_app worker``.

Pool processes are forked from the worker's main process after this module is imported, so the
patches below are in every one of them. An invoice whose number is listed kills the pool process
working on it with SIGKILL, as a segfault in a C library or the kernel's out-of-memory killer would:

- ``POISON_AFTER_CLAIM``: after the record was claimed, before anything is sent to Spectrum;
- ``POISON_BEFORE_CLAIM``: as soon as the task starts, before the record is claimed.

Comma-separated document numbers in the environment; the real code runs for every other document.
"""

from __future__ import annotations

import os
import signal
from typing import Any

import django

from spectrum_sync.celery import app

django.setup()  # the models must be loaded before the engine is imported and patched

from spectrum_sync.exports import engine  # noqa: E402

__all__ = ["app"]

AFTER_CLAIM = {n for n in os.environ.get("POISON_AFTER_CLAIM", "").split(",") if n}
BEFORE_CLAIM = {n for n in os.environ.get("POISON_BEFORE_CLAIM", "").split(",") if n}

_real_export = engine._export
_real_process = engine.process


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _number(payload: dict[str, Any]) -> str:
    return str(payload.get("invoice_number", ""))


def _export(record: Any, token: str, *rest: Any) -> str:
    if _number(record.payload) in AFTER_CLAIM:
        _die()
    return _real_export(record, token, *rest)


def _process(record_id: int) -> str:
    from spectrum_sync.models import SyncRecord

    payload = SyncRecord.objects.filter(pk=record_id).values_list("payload", flat=True).first()
    if payload and _number(payload) in BEFORE_CLAIM:
        _die()
    return _real_process(record_id)


engine._export = _export  # type: ignore[assignment]
engine.process = _process  # type: ignore[assignment]
