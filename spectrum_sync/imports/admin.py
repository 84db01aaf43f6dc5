"""Admin actions on poll schedules: sync now, full resync, reset state.

For the ADMIN engineer's ``PollScheduleAdmin`` (spectrum_sync/admin.py)::

    from spectrum_sync.imports.admin import POLL_SCHEDULE_ACTIONS
    actions = [*POLL_SCHEDULE_ACTIONS]

Each action works on the selected (tenant, object type) rows, grouped per tenant, through the
stable functions of :mod:`spectrum_sync.imports.actions`, and needs the "change poll schedule"
permission.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from spectrum_sync.imports import actions
from spectrum_sync.models import PollSchedule, Tenant


def _by_tenant(queryset: QuerySet[PollSchedule]) -> dict[Tenant, list[str]]:
    grouped: dict[Tenant, list[str]] = defaultdict(list)
    for schedule in queryset.select_related("tenant"):
        grouped[schedule.tenant].append(schedule.object_type)
    return grouped


def _request(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[PollSchedule],
    start: Callable[[Tenant, list[str]], actions.PollRequest],
) -> None:
    for tenant, object_types in _by_tenant(queryset).items():
        result = start(tenant, object_types)
        level = messages.SUCCESS if result.started else messages.WARNING
        modeladmin.message_user(request, f"{tenant}: {result}", level)


@admin.action(description="Sync now", permissions=["change"])
def sync_now(modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[PollSchedule]) -> None:
    _request(modeladmin, request, queryset, actions.sync_now)


@admin.action(description="Full resync (re-deliver every record)", permissions=["change"])
def full_resync(modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[PollSchedule]) -> None:
    _request(modeladmin, request, queryset, actions.full_resync)


@admin.action(description="Reset state (forget what was seen; next poll delivers all)", permissions=["change"])
def reset_state(modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[PollSchedule]) -> None:
    for tenant, object_types in _by_tenant(queryset).items():
        forgotten = actions.reset_state(tenant, object_types)
        modeladmin.message_user(
            request, f"{tenant}: forgot {forgotten} mirrored record(s) of {', '.join(object_types)}.", messages.SUCCESS
        )


POLL_SCHEDULE_ACTIONS = (sync_now, full_resync, reset_state)
