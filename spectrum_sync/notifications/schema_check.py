"""Info-Link schema discovery for one tenant: run it, keep what it found, switch polls off and on again.

The connection test and the daily health check (:func:`health.check_database`) call :func:`run` with
the object types the tenant reads from the database. Discovery (``connectors/spectrum/schema.py``,
docs/spectrum.md#info-link-schema) resolves each table and column those types and the exported
documents read; the result goes to ``SpectrumConnection.schema_report`` (the names the reader then
uses, per object type "ready" or what is missing, the polls switched off) and ``schema_checked_at``.

A poll whose object type does not resolve would fail, or read nothing and look like success, so it
is switched off (``PollSchedule.enabled = False``; the report names it and says why). Once its
names resolve (the database changed, or staff entered an override) the next check switches it on
again. Only polls switched off here are switched on again; one staff switched off stays off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from connectors.spectrum.schema import SchemaReport, discover
from spectrum_sync.models import PollSchedule, SpectrumConnection, Tenant, type_label

SWITCHED_OFF = "switched_off"


@dataclass
class Outcome:
    report: SchemaReport
    switched_off: list[str] = field(default_factory=list)  # by this check
    switched_on: list[str] = field(default_factory=list)  # by this check
    still_off: list[str] = field(default_factory=list)  # every poll discovery keeps off


def label(object_type: str) -> str:
    return type_label(object_type)


def switched_off(connection: SpectrumConnection) -> list[str]:
    """The polls an earlier check switched off (they are checked again even though disabled)."""
    report = connection.schema_report if isinstance(connection.schema_report, dict) else {}
    return [str(t) for t in report.get(SWITCHED_OFF) or []]


def run(tenant: Tenant, connection: SpectrumConnection, database: Any, object_types: Iterable[str]) -> Outcome:
    """Discover, store the report, switch the polls that do not resolve off and those that do on."""
    overrides = connection.schema_overrides if isinstance(connection.schema_overrides, dict) else {}
    report = discover(database, sorted(set(object_types)), overrides=overrides)
    database.schema = report.schema  # the checks that follow read with the names just found
    outcome = Outcome(report)
    unresolved = set(report.unresolved)
    before = set(switched_off(connection))
    schedules = PollSchedule.objects.filter(tenant=tenant)
    outcome.switched_off = sorted(
        schedules.filter(enabled=True, object_type__in=unresolved).values_list("object_type", flat=True)
    )
    schedules.filter(object_type__in=outcome.switched_off).update(enabled=False)
    outcome.switched_on = sorted(
        schedules.filter(enabled=False, object_type__in=before - unresolved).values_list("object_type", flat=True)
    )
    schedules.filter(object_type__in=outcome.switched_on).update(enabled=True, next_due_at=timezone.now())
    outcome.still_off = sorted((before & unresolved) | set(outcome.switched_off))
    stored = {**report.as_json(), SWITCHED_OFF: outcome.still_off}
    checked_at = timezone.now()
    SpectrumConnection.objects.filter(pk=connection.pk).update(schema_report=stored, schema_checked_at=checked_at)
    connection.schema_report, connection.schema_checked_at = stored, checked_at
    return outcome


def problems(outcome: Outcome) -> list[str]:
    """One problem per poll kept off, naming what is missing, in words for the health report."""
    found = []
    for object_type in outcome.still_off:
        missing = "; ".join(outcome.report.objects[object_type].missing)
        found.append(
            f"The {label(object_type)} poll is switched off until the Spectrum database has what it reads: "
            f"{missing}. Ask for Info-Link read access to the table, or enter the name this Spectrum uses in "
            "the connection's schema overrides; the next connection test switches the poll on again."
        )
    return found


def notes(outcome: Outcome) -> list[str]:
    """Document kinds whose read-back tables are missing, and polls switched on again."""
    found = [
        f"Exported {kind.replace('_', ' ')}s cannot be looked up in the database: {'; '.join(r.missing)}."
        for kind, r in outcome.report.documents.items()
        if not r.ready
    ]
    found += [
        f"The {label(t)} poll is switched on again: every table and column it reads was found."
        for t in outcome.switched_on
    ]
    return found


def summary(connection: SpectrumConnection) -> list[tuple[str, bool, str]]:
    """Per object type in the stored report: (label, ready, what is missing or the tables found)."""
    report = connection.schema_report if isinstance(connection.schema_report, dict) else {}
    rows = []
    for object_type, entry in sorted((report.get("objects") or {}).items()):
        ready = bool(entry.get("ready"))
        found = ", ".join(entry.get("tables", {}).values())
        detail = f"ready ({found})" if ready else "missing: " + "; ".join(entry.get("missing") or [])
        if object_type in (report.get(SWITCHED_OFF) or []):
            detail += " — its poll is switched off"
        rows.append((label(object_type), ready, detail))
    return rows
