"""The daily digest: per rule, what succeeded and failed on the tenant's previous local day, and what is held.

The content is computed once, when the delivery row is created, and stored on it, so a retried
send says exactly the same thing. ``digest:<rule>:<day>`` is the delivery key: running the digest
task twice, or every hour, still makes one email per rule and day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from spectrum_sync.models import SyncRecord, SyncRun, SyncStatus
from spectrum_sync.notifications.api import create_delivery
from spectrum_sync.notifications.emails import object_type_label, record_row
from spectrum_sync.notifications.models import EmailDelivery, NotificationRule

# How many lines each section lists; the counts are always complete.
SECTION_LIMIT = 100


def digest_hour() -> int:
    """Local hour from which the previous day's digest goes out (setting NOTIFY_DIGEST_HOUR, default 7)."""
    return int(getattr(settings, "NOTIFY_DIGEST_HOUR", 7))


def local_day_window(tz_name: str, now: datetime) -> tuple[date, datetime, datetime] | None:
    """The tenant's previous local day as (day, start, end), or None before the digest hour."""
    tz = ZoneInfo(tz_name or "UTC")
    local_now = now.astimezone(tz)
    if local_now.hour < digest_hour():
        return None
    day = local_now.date() - timedelta(days=1)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return day, start, start + timedelta(days=1)


def build_digests(now: datetime | None = None) -> list[int]:
    """Create today's digest deliveries that do not exist yet; returns the ids to send."""
    now = now or timezone.now()
    created: list[int] = []
    rules = NotificationRule.objects.filter(
        active=True, delivery=NotificationRule.Delivery.DIGEST, tenant__active=True
    ).select_related("tenant")
    for rule in rules:
        window = local_day_window(rule.tenant.timezone, now)
        if window is None:
            continue
        day, start, end = window
        key = f"digest:{rule.pk}:{day.isoformat()}"
        if EmailDelivery.objects.filter(key=key).exists():
            continue
        context = digest_context(rule, day, start, end)
        if not any(context["counts"].values()):
            continue  # nothing happened and nothing is waiting: no email
        create_delivery(rule.tenant, EmailDelivery.Kind.DIGEST, key, rule.recipient_list, rule=rule, context=context)
        created.extend(
            EmailDelivery.objects.filter(key=key, status=EmailDelivery.Status.PENDING).values_list("pk", flat=True)
        )
    return created


def rule_records(rule: NotificationRule) -> QuerySet[SyncRecord]:
    records = SyncRecord.objects.filter(tenant=rule.tenant)
    if rule.object_types:
        records = records.filter(object_type__in=rule.object_types)
    return records


def section(records: QuerySet[SyncRecord]) -> tuple[int, list[dict[str, Any]]]:
    return records.count(), [record_row(r) for r in records.order_by("-updated_at")[:SECTION_LIMIT]]


def digest_context(rule: NotificationRule, day: date, start: datetime, end: datetime) -> dict[str, Any]:
    """Which sections the rule asked for (by its events), each with its full count and first lines."""
    records = rule_records(rule)
    in_window = {"finished_at__gte": start, "finished_at__lt": end}
    counts: dict[str, int] = {}
    sections: dict[str, list[dict[str, Any]]] = {}
    if "succeeded" in rule.events:
        counts["succeeded"], sections["succeeded"] = section(records.filter(status=SyncStatus.SUCCEEDED, **in_window))
    if "failed" in rule.events:
        counts["failed"], sections["failed"] = section(records.filter(status=SyncStatus.FAILED, **in_window))
    if "held" in rule.events:
        counts["held"], sections["held"] = section(records.filter(status=SyncStatus.HELD))
    if "poll_failed" in rule.events:
        runs = SyncRun.objects.filter(tenant=rule.tenant, status=SyncRun.Status.FAILED, started_at__gte=start)
        runs = runs.filter(started_at__lt=end)
        if rule.object_types:
            runs = runs.filter(object_type__in=rule.object_types)
        counts["poll_failed"] = runs.count()
        sections["poll_failed"] = [
            {"label": object_type_label(r.object_type), "when": r.started_at.isoformat(), "error": r.error}
            for r in runs.order_by("-started_at")[:SECTION_LIMIT]
        ]
    return {
        "day": day.isoformat(),
        "timezone": rule.tenant.timezone,
        "rule_name": rule.name,
        "object_types": [object_type_label(t) for t in rule.object_types],
        "counts": counts,
        "sections": sections,
        "limit": SECTION_LIMIT,
    }
