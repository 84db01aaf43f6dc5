"""The admin's calls into the engines, in one place.

The engines (exports, imports, notifications) are separate packages; the admin calls one function
of each. When an engine is not installed the call raises :class:`EngineMissing` with a message
that says which, and the screen shows it instead of pretending the action happened.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from spectrum_sync.models import SyncRecord, Tenant


class EngineMissing(RuntimeError):
    """The engine that performs this action is not part of this installation."""


def _function(module: str, name: str) -> Callable[..., Any]:
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise EngineMissing(f"{module}.{name} is not available in this installation ({exc}).") from exc
    return found


def retry(records: Sequence[SyncRecord], user: Any, note: str = "") -> int:
    """How many records were queued again."""
    return int(_function("spectrum_sync.exports.actions", "retry")(list(records), user, note=note))


def bypass(record: SyncRecord, user: Any, reason: str) -> bool:
    """Whether the record is now bypassed (False: it moved meanwhile)."""
    return bool(_function("spectrum_sync.exports.actions", "bypass")(record, user, reason))


def check_connection(tenant: Tenant) -> Any:
    return _function("spectrum_sync.notifications.health", "check_connection")(tenant)


def sync_now(tenant: Tenant, object_types: Sequence[str] = ()) -> Any:
    return _function("spectrum_sync.imports.actions", "sync_now")(tenant, list(object_types))


def full_resync(tenant: Tenant, object_types: Sequence[str] = ()) -> Any:
    return _function("spectrum_sync.imports.actions", "full_resync")(tenant, list(object_types))


def reset_state(tenant: Tenant, object_types: Sequence[str]) -> int:
    """Forget the mirror of these object types; returns how many mirror rows were forgotten."""
    return int(_function("spectrum_sync.imports.actions", "reset_state")(tenant, list(object_types)))


def ensure_schedules(tenant: Tenant) -> list[Any]:
    """A poll schedule for every object type the tenant's connection can read (the import engine decides)."""
    return list(_function("spectrum_sync.imports.actions", "ensure_schedules")(tenant))
