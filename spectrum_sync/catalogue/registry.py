"""The exported types this process knows, by name.

Filled once at start-up by :func:`spectrum_sync.catalogue.discover` (the app's ``ready()``), which
registers the ``EXPORT`` of every module of the catalogue, the way the admin finds each app's
``admin.py``. It imports nothing of the project, so the lowest layers (the models' choices, the
mapping tables' UDF checks) read it without importing the mappers, serializers or engines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spectrum_sync.catalogue.base import ExportType

EXPORTS: dict[str, ExportType] = {}


def register(declared: ExportType) -> ExportType:
    """Add ``declared``; another type under the same name or API name is refused."""
    for other in EXPORTS.values():
        same = other.name == declared.name or other.api_name == declared.api_name
        if same and other is not declared:
            raise ValueError(f"Export type {declared.name!r} (/{declared.api_name}/) is declared twice.")
    EXPORTS[declared.name] = declared
    return declared


def unregister(name: str) -> None:
    """Forget the type ``name`` (a test's own type, once the test is over)."""
    EXPORTS.pop(name, None)


def export_type(name: str) -> ExportType | None:
    """The declaration of ``name`` (a SyncRecord.object_type); None if it is not an exported type."""
    return EXPORTS.get(name)


def export_choices() -> list[tuple[str, str]]:
    """(name, label) of every exported type, for the choices of the fields and forms that name one."""
    return [(name, declared.label) for name, declared in EXPORTS.items()]
