"""Tunables of the export engine.

Read from Django settings (``EXPORT_*``, from the environment; see ``.env.example``), so a test can
give a worker subprocess a short lease through its environment.
"""

from __future__ import annotations

from django.conf import settings


def _int(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def lease_seconds() -> int:
    """How long a worker owns a record it is sending; after that the sweeper reconciles it."""
    return _int("EXPORT_LEASE_SECONDS", 120)


def max_attempts() -> int:
    """Tries for transient faults before the record fails with the last error."""
    return _int("EXPORT_MAX_ATTEMPTS", 8)


def backoff_base_seconds() -> int:
    return _int("EXPORT_BACKOFF_BASE_SECONDS", 2)


def backoff_cap_seconds() -> int:
    return _int("EXPORT_BACKOFF_CAP_SECONDS", 900)


def stale_seconds() -> int:
    """A pending record untouched this long is re-enqueued by the sweeper (its message was lost)."""
    return _int("EXPORT_STALE_SECONDS", 30)


def worker_loss_limit() -> int:
    """Claims in a row lost with their worker before the record is set aside (a poison document)."""
    return _int("EXPORT_WORKER_LOSS_LIMIT", 3)


def confirm_seconds() -> int:
    """How long read-back keeps looking for a document Spectrum accepted before flagging it."""
    return _int("EXPORT_CONFIRM_SECONDS", 600)
