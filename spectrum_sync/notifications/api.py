"""The one entry point the engine calls: :func:`notify_event`.

It writes the event and the emails it causes inside a savepoint of the caller's transaction and
enqueues the sending after that transaction commits. Whatever goes wrong here (a bad rule, the
broker down, a template error later on) is logged and swallowed: a notification problem must
never fail, block or roll back an export or a poll.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from spectrum_sync import enqueue
from spectrum_sync.models import SyncRecord, SyncRun, Tenant
from spectrum_sync.notifications.models import (
    EVENT_VALUES,
    EmailDelivery,
    Escalation,
    Event,
    NotificationEvent,
    NotificationRule,
)
from spectrum_sync.plain_words import problem_source
from spectrum_sync.redaction import redact

logger = logging.getLogger(__name__)

FAILURE_EVENTS = (Event.FAILED, Event.POLL_FAILED)
CLEARING_EVENTS = (Event.SUCCEEDED, Event.RECOVERED)


def escalation_threshold() -> int:
    """Failures within the window that make a tenant "keep failing" (setting NOTIFY_ESCALATION_FAILURES)."""
    return int(getattr(settings, "NOTIFY_ESCALATION_FAILURES", 5))


def escalation_window() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "NOTIFY_ESCALATION_WINDOW_MINUTES", 60)))


def notify_event(tenant: Tenant, event: str, *, record: SyncRecord | None = None, run: SyncRun | None = None) -> None:
    """Record ``event`` for ``tenant`` and send the emails its rules ask for once the caller commits.

    ``event`` is one of "succeeded", "failed", "held", "recovered", "poll_failed". Never raises.
    A record read with :func:`listening_annotations` whose tenant has no active rule and nothing
    this event could open or close has only its event written: one INSERT, no savepoint.
    """
    try:
        if event not in EVENT_VALUES:
            logger.warning("notify_event: unknown event %r for tenant %s ignored", event, tenant.pk)
            return
        if record is not None and run is None and nobody_listens(record, event):
            detail = snapshot(record, None)  # before the INSERT: a fault here touches no row
            NotificationEvent.objects.create(
                tenant=tenant, event=event, object_type=record.object_type, record=record, detail=detail
            )
            return
        # A savepoint: if anything here fails, only our rows roll back, the caller's work stays.
        with transaction.atomic():
            delivery_ids = record_event(tenant, event, record=record, run=run)
    except Exception:
        logger.exception("notify_event failed for tenant %s, event %s; the sync itself is unaffected", tenant.pk, event)
        return
    for delivery_id in delivery_ids:
        transaction.on_commit(partial(enqueue_delivery, delivery_id), robust=True)


def listening_annotations() -> dict[str, Exists]:
    """For the query that reads a sync record: whether its tenant has an active rule, and an open
    escalation. Read with the record, they spare :func:`notify_event` its own reads when nobody
    listens (a rule added while the record is exported hears of the next one)."""
    tenant = OuterRef("tenant_id")
    return {
        "notify_rules_": Exists(NotificationRule.objects.filter(tenant_id=tenant, active=True)),
        "open_escalation_": Exists(
            Escalation.objects.filter(tenant_id=tenant, reason="failures", closed_at__isnull=True)
        ),
    }


def nobody_listens(record: SyncRecord, event: str) -> bool:
    """The record was read with :func:`listening_annotations` and the event needs only its own row:
    no rule to match, no failure to count towards an escalation, no open escalation to close."""
    if getattr(record, "notify_rules_", True) or event in FAILURE_EVENTS:
        return False
    return not (event in CLEARING_EVENTS and getattr(record, "open_escalation_", True))


def enqueue_delivery(delivery_id: int) -> None:
    """Hand one delivery to the notifications queue; if the broker is down the sweeper sends it later."""
    try:
        enqueue.send(enqueue.NOTIFY_SEND, delivery_id)
    except Exception:
        logger.warning("could not enqueue email delivery %s; notify_sweep will retry it", delivery_id, exc_info=True)


def record_event(
    tenant: Tenant, event: str, *, record: SyncRecord | None = None, run: SyncRun | None = None
) -> list[int]:
    """Write the event and its deliveries; returns the ids of deliveries still to send."""
    object_type = record.object_type if record is not None else (run.object_type if run is not None else "")
    stored = NotificationEvent.objects.create(
        tenant=tenant, event=event, object_type=object_type, record=record, run=run, detail=snapshot(record, run)
    )
    keys: list[str] = []
    rules = list(NotificationRule.objects.filter(tenant=tenant, active=True))
    for rule in rules:
        if rule.delivery == NotificationRule.Delivery.IMMEDIATE and rule.matches(event, object_type):
            keys.append(
                create_delivery(
                    tenant,
                    EmailDelivery.Kind.EVENT,
                    event_key(stored, rule),
                    rule.recipient_list,
                    rule=rule,
                    event=stored,
                )
            )
    if event in FAILURE_EVENTS:
        keys.append(maybe_escalate(tenant, rules))
    elif event in CLEARING_EVENTS:
        keys.append(maybe_clear(tenant, rules, stored))
    return list(
        EmailDelivery.objects.filter(key__in=[k for k in keys if k], status=EmailDelivery.Status.PENDING).values_list(
            "pk", flat=True
        )
    )


def event_key(stored: NotificationEvent, rule: NotificationRule) -> str:
    """The same outcome reported twice (a task run twice) must make one email, so key on the outcome."""
    if stored.record_id is not None:
        attempt = stored.detail.get("attempt_count", 0)
        return f"record:{stored.record_id}:{stored.event}:{attempt}:rule:{rule.pk}"
    if stored.run_id is not None:
        return f"run:{stored.run_id}:{stored.event}:rule:{rule.pk}"
    return f"event:{stored.pk}:rule:{rule.pk}"


def create_delivery(
    tenant: Tenant,
    kind: str,
    key: str,
    recipients: list[str],
    *,
    rule: NotificationRule | None = None,
    event: NotificationEvent | None = None,
    context: dict[str, Any] | None = None,
) -> str:
    """Insert the delivery unless its key exists already; returns the key ("" when nobody is to be told)."""
    if not recipients:
        return ""
    EmailDelivery.objects.bulk_create(
        [
            EmailDelivery(
                key=key[:200],
                tenant=tenant,
                kind=kind,
                rule=rule,
                event=event,
                recipients=", ".join(recipients),
                context=context or {},
            )
        ],
        ignore_conflicts=True,
    )
    return key[:200]


def failure_recipients(rules: list[NotificationRule]) -> list[str]:
    """Who hears that a tenant keeps failing: everyone who asked for failures, digest or not."""
    found: dict[str, None] = {}
    for rule in rules:
        if rule.active and any(e in rule.events for e in FAILURE_EVENTS):
            for address in rule.recipient_list:
                found.setdefault(address, None)
    return list(found)


def clear_recipients(rules: list[NotificationRule]) -> list[str]:
    """Who hears that it cleared: those told it was failing, and those who asked for recoveries."""
    found = dict.fromkeys(failure_recipients(rules))
    for rule in rules:
        if rule.active and Event.RECOVERED in rule.events:
            for address in rule.recipient_list:
                found.setdefault(address, None)
    return list(found)


def maybe_escalate(tenant: Tenant, rules: list[NotificationRule]) -> str:
    """Open an escalation when failures in the window reach the threshold; one open at a time."""
    if Escalation.objects.filter(tenant=tenant, reason="failures", closed_at__isnull=True).exists():
        return ""
    since = timezone.now() - escalation_window()
    last_closed = (
        Escalation.objects.filter(tenant=tenant, reason="failures", closed_at__isnull=False)
        .order_by("-closed_at")
        .values_list("closed_at", flat=True)
        .first()
    )
    # Count only failures after the last recovery, so one success amid failures cannot make it flap.
    if last_closed and last_closed > since:
        since = last_closed
    failures = NotificationEvent.objects.filter(tenant=tenant, event__in=FAILURE_EVENTS, created_at__gte=since).count()
    if failures < escalation_threshold():
        return ""
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(tenant=tenant, reason="failures", failure_count=failures)
    except IntegrityError:
        return ""  # another worker opened it at the same moment
    context = {"failures": failures, "window_minutes": int(escalation_window().total_seconds() // 60)}
    return create_delivery(
        tenant,
        EmailDelivery.Kind.ESCALATION,
        f"escalation:{escalation.pk}:opened",
        failure_recipients(rules),
        context=context,
    )


def still_failing(tenant: Tenant, since: datetime) -> list[str]:
    """Object types whose latest outcome since ``since`` is a failure.

    A tenant has recovered only when every kind of work that failed has since gone through: an
    invoice that succeeds while every job export still fails is not a recovery.
    """
    events = NotificationEvent.objects.filter(tenant=tenant, created_at__gte=since)
    failed_types = set(events.filter(event__in=FAILURE_EVENTS).values_list("object_type", flat=True).distinct())
    failing = []
    for object_type in sorted(failed_types):
        latest = (
            events.filter(object_type=object_type, event__in=(*FAILURE_EVENTS, *CLEARING_EVENTS))
            .order_by("-created_at", "-pk")
            .values_list("event", flat=True)
            .first()
        )
        if latest in FAILURE_EVENTS:
            failing.append(object_type)
    return failing


def maybe_clear(tenant: Tenant, rules: list[NotificationRule], stored: NotificationEvent) -> str:
    """Close the open escalation, if any, and say that it has cleared."""
    escalation = Escalation.objects.filter(tenant=tenant, reason="failures", closed_at__isnull=True).first()
    if escalation is None or still_failing(tenant, escalation.opened_at - escalation_window()):
        return ""
    now = timezone.now()
    closed = Escalation.objects.filter(pk=escalation.pk, closed_at__isnull=True).update(closed_at=now)
    if not closed:
        return ""
    failures = NotificationEvent.objects.filter(
        tenant=tenant, event__in=FAILURE_EVENTS, created_at__gte=escalation.opened_at, created_at__lte=now
    ).count()
    context = {
        "opened_at": escalation.opened_at.isoformat(),
        "closed_at": now.isoformat(),
        "failures_while_open": failures + escalation.failure_count,
    }
    return create_delivery(
        tenant,
        EmailDelivery.Kind.RECOVERED,
        f"escalation:{escalation.pk}:cleared",
        clear_recipients(rules),
        event=stored,
        context=context,
    )


def snapshot(record: SyncRecord | None, run: SyncRun | None) -> dict[str, Any]:
    """What the email should say even if the record changes before it is sent (secrets masked)."""
    detail: dict[str, Any] = {}
    if record is not None:
        detail.update(
            label=str(record),
            object_type=record.object_type,
            direction=record.direction,
            status=record.status,
            document_number=record.document_number,
            platform_id=record.platform_id,
            spectrum_key=record.spectrum_key,
            company_code=record.company_code,
            error_code=record.error_code,
            error_message=redact(record.error_message),
            error_column=record.error_column,
            held_reason=redact(record.held_reason),
            attempt_count=record.attempt_count,
            # Who found the problem (our pre-flight, Spectrum, the platform), as the record page says it.
            problem_source=problem_source(record) if record.error_code or record.error_message else "",
        )
    if run is not None:
        detail.update(
            run_id=run.pk,
            object_type=run.object_type,
            run_status=run.status,
            run_error=redact(run.error),
            run_started_at=run.started_at.isoformat() if run.started_at else "",
            run_failed_count=run.failed_count,
        )
        detail.setdefault("label", str(run))
    return detail
