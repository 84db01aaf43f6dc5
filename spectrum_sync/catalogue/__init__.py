"""The catalogue of exported document types: one module per type, read by the engine, the writer,
the pre-flight, the API, the health check and the screens instead of branching on a type's name.

A module of this package that sets ``EXPORT`` (an :class:`~spectrum_sync.catalogue.base.ExportType`)
is an exported type: :func:`discover` imports each module and registers what it declares, so adding
a type is adding its module. Modules without ``EXPORT`` (``base``, ``registry``) are the machinery.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

from spectrum_sync.catalogue.registry import EXPORTS, export_choices, export_type, register, unregister

if TYPE_CHECKING:
    from spectrum_sync.catalogue.base import RestPost


def discover() -> None:
    """Register the ``EXPORT`` of every module of the catalogue (again is harmless)."""
    for found in pkgutil.iter_modules(__path__):
        declared = getattr(importlib.import_module(f"{__name__}.{found.name}"), "EXPORT", None)
        if declared is not None:
            register(declared)


def rest_post_for(service: str) -> RestPost | None:
    """The REST sender of the type that calls ``service``; None if no type sends it over REST."""
    for declared in EXPORTS.values():
        if declared.rest_post is not None and service in declared.services:
            return declared.rest_post
    return None


__all__ = ["EXPORTS", "discover", "export_choices", "export_type", "register", "rest_post_for", "unregister"]
