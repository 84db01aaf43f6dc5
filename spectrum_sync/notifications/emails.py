"""Turning a delivery row into an email, and sending it exactly once when all goes well.

Sending claims the row by a conditional update (pending → sending, with a lease) before talking to
SMTP, so a task delivered twice sends once. If a worker dies after the SMTP server accepted the
message but before the row says "sent", the lease runs out and the sweeper sends it again: email is
at-least-once in that narrow window, never in the ordinary "task ran twice" case.
"""

from __future__ import annotations

import logging
import random
import smtplib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from spectrum_sync.models import SyncRecord, type_label
from spectrum_sync.notifications.models import EmailDelivery, Event, NotificationEvent
from spectrum_sync.plain_words import SPECTRUM_ANSWERED, explain, problem_source
from spectrum_sync.redaction import redact

logger = logging.getLogger(__name__)

SEND_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6
SUBJECT_PREFIX = "[Spectrum Sync]"


class RetryableEmailError(Exception):
    """The SMTP server could not take the message now; the task retries after ``delay``."""

    def __init__(self, message: str, delay: timedelta) -> None:
        super().__init__(message)
        self.delay = delay


def record_admin_url(record_id: int) -> str:
    """Absolute link to the sync record's page in the admin."""
    try:
        path = reverse("admin:spectrum_sync_syncrecord_change", args=[record_id])
    except NoReverseMatch:
        path = f"/admin/spectrum_sync/syncrecord/{record_id}/change/"
    return settings.SITE_URL + path


def connection_admin_url(tenant_id: int) -> str:
    try:
        path = reverse("admin:spectrum_sync_tenant_change", args=[tenant_id])
    except NoReverseMatch:
        path = f"/admin/spectrum_sync/tenant/{tenant_id}/change/"
    return settings.SITE_URL + path


def plain_error(code: str, message: str, column: str, held_reason: str = "") -> str:
    """Spectrum's error in words an accountant can act on (the words the admin's record page shows)."""
    try:
        explanation = explain(code, message, column, held_reason)
        if explanation is not None and explanation.plain:
            return explanation.plain
    except Exception:  # a rule that cannot format this message must never stop an email
        logger.debug("no plain-words explanation available", exc_info=True)
    return held_reason or message


def spectrum_said(code: str, message: str, column: str) -> str:
    """Spectrum's own words, as "[I] Invalid customer (field Customer_Code)", for those who know them."""
    if not (code or message):
        return ""
    text = f"[{code}] {message}" if code else message
    return f"{text} (field {column})" if column else text


def object_type_label(value: str) -> str:
    return type_label(value)


# --- Claiming and sending ------------------------------------------------------------------------


def claim(delivery_id: int) -> EmailDelivery | None:
    """Take the delivery for sending, or None when it is sent, failed or being sent by someone else."""
    now = timezone.now()
    claimable = Q(status=EmailDelivery.Status.PENDING) | Q(
        status=EmailDelivery.Status.SENDING, lease_expires_at__lt=now
    )
    taken = EmailDelivery.objects.filter(claimable, pk=delivery_id).update(
        status=EmailDelivery.Status.SENDING, lease_expires_at=now + SEND_LEASE, attempt_count=F("attempt_count") + 1
    )
    if not taken:
        return None
    return EmailDelivery.objects.select_related("tenant", "event", "rule").get(pk=delivery_id)


def send_delivery(delivery_id: int) -> bool:
    """Send one delivery if nobody has; True when this call sent it.

    Raises :class:`RetryableEmailError` when the SMTP server failed and attempts remain.
    """
    delivery = claim(delivery_id)
    if delivery is None:
        return False
    try:
        message = build_message(delivery)
    except Exception as exc:
        # A template or data problem will not fix itself by retrying.
        logger.exception("email delivery %s could not be built", delivery_id)
        finish(delivery, EmailDelivery.Status.FAILED, error=f"could not build the email: {exc}")
        return False
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        error = redact(f"{type(exc).__name__}: {exc}")
        if delivery.attempt_count >= MAX_ATTEMPTS:
            logger.error("email delivery %s given up after %s attempts: %s", delivery_id, delivery.attempt_count, error)
            finish(delivery, EmailDelivery.Status.FAILED, error=error)
            return False
        finish(delivery, EmailDelivery.Status.PENDING, error=error, retry_in=retry_delay(delivery.attempt_count))
        raise RetryableEmailError(error, retry_delay(delivery.attempt_count)) from exc
    finish(delivery, EmailDelivery.Status.SENT, subject=str(message.subject))
    logger.info("email delivery %s sent to %d recipient(s): %s", delivery_id, len(message.to), message.subject)
    return True


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the n-th failed attempt, with jitter: about 30 s, 1, 2, 4, 8 minutes."""
    base = 30 * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=base + random.randint(0, base // 2))


def finish(
    delivery: EmailDelivery, status: str, *, error: str = "", subject: str = "", retry_in: timedelta | None = None
) -> None:
    changes: dict[str, Any] = {"status": status, "lease_expires_at": None, "last_error": error}
    changes["next_attempt_at"] = timezone.now() + retry_in if retry_in is not None else None
    if status == EmailDelivery.Status.SENT:
        changes["sent_at"] = timezone.now()
    if subject:
        changes["subject"] = subject[:255]
    EmailDelivery.objects.filter(pk=delivery.pk, status=EmailDelivery.Status.SENDING).update(**changes)


# --- Building messages ---------------------------------------------------------------------------


def build_message(delivery: EmailDelivery) -> EmailMultiAlternatives:
    template, subject, context = compose(delivery)
    context.update(tenant=delivery.tenant, site_url=settings.SITE_URL, subject=subject)
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=delivery.recipient_list,
        headers={"X-Spectrum-Sync-Delivery": delivery.key},
    )
    message.attach_alternative(html, "text/html")
    return message


def compose(delivery: EmailDelivery) -> tuple[str, str, dict[str, Any]]:
    """(template name, subject, context) for each kind of email."""
    tenant = delivery.tenant
    if delivery.kind == EmailDelivery.Kind.EVENT and delivery.event is not None:
        return compose_event(delivery.event)
    if delivery.kind == EmailDelivery.Kind.DIGEST:
        return compose_digest(delivery)
    if delivery.kind == EmailDelivery.Kind.ESCALATION:
        ctx = dict(delivery.context)
        ctx["recent"] = recent_failures(delivery)
        subject = (
            f"{SUBJECT_PREFIX} {tenant} keeps failing: {ctx.get('failures', 0)} failures "
            f"in the last {ctx.get('window_minutes', 0)} minutes"
        )
        return "escalation", subject, ctx
    if delivery.kind == EmailDelivery.Kind.RECOVERED:
        ctx = dict(delivery.context)
        what = "the connection to Spectrum is healthy again" if ctx.get("health") else "syncs go through again"
        return "recovered", f"{SUBJECT_PREFIX} {tenant} has recovered: {what}", ctx
    if delivery.kind == EmailDelivery.Kind.HEALTH:
        ctx = dict(delivery.context)
        ctx["connection_url"] = connection_admin_url(tenant.pk)
        problems = ctx.get("problems", [])
        noun = "problem" if len(problems) == 1 else "problems"
        return "health", f"{SUBJECT_PREFIX} {tenant}: connection check found {len(problems)} {noun}", ctx
    if delivery.kind == EmailDelivery.Kind.SECURITY:
        ctx = dict(delivery.context)
        ctx["connection_url"] = connection_admin_url(tenant.pk)
        return "security", f"{SUBJECT_PREFIX} {tenant}: {ctx.get('headline', 'a security setting changed')}", ctx
    if delivery.kind == EmailDelivery.Kind.DELETIONS:
        ctx = dict(delivery.context)
        ctx["object_type_label"] = object_type_label(ctx.get("object_type", ""))
        ctx["review_url"] = f"{settings.SITE_URL}/admin/spectrum_sync/pendingdeletion/{ctx.get('batch_id')}/change/"
        subject = f"{SUBJECT_PREFIX} {tenant}: {ctx.get('count', 0)} {ctx['object_type_label']} deletions wait for you"
        return "deletions", subject, ctx
    raise ValueError(f"delivery {delivery.pk} of kind {delivery.kind!r} has nothing to say")


def compose_digest(delivery: EmailDelivery) -> tuple[str, str, dict[str, Any]]:
    """The daily digest of a rule, or the approvers' digest of what waits (notifications/approvals.py)."""
    ctx = dict(delivery.context)
    tenant = delivery.tenant
    if ctx.get("kind") == "approvals":
        count = ctx.get("count", 0)
        noun = "document waits" if count == 1 else "documents wait"
        return "approvals", f"{SUBJECT_PREFIX} {tenant}: {count} {noun} for your approval ({ctx.get('day', '')})", ctx
    counts = ctx.get("counts", {})
    subject = (
        f"{SUBJECT_PREFIX} {tenant}: daily digest for {ctx.get('day', '')}: "
        f"{counts.get('succeeded', 0)} succeeded, {counts.get('failed', 0)} failed, "
        f"{counts.get('held', 0)} held"
    )
    return "digest", subject, ctx


RECORD_SUBJECTS = {
    Event.SUCCEEDED: "{label} is in Spectrum",
    Event.FAILED: "{label} failed in Spectrum",
    Event.HELD: "{label} is held",
    Event.RECOVERED: "{label} went through after failing",
}
POLL_SUBJECTS = {Event.POLL_FAILED: "{label} failed", Event.RECOVERED: "{label} works again"}


def compose_event(event: NotificationEvent) -> tuple[str, str, dict[str, Any]]:
    """Three shapes: about a record, about a poll run, or about the tenant (exports resumed)."""
    detail = dict(event.detail)
    ctx: dict[str, Any] = {
        "event": event.event,
        "event_label": event.get_event_display(),
        "detail": detail,
        "object_type_label": object_type_label(event.object_type),
        "happened_at": event.created_at,
    }
    prefix = f"{SUBJECT_PREFIX} {event.tenant}: "
    if event.record_id is not None or "document_number" in detail:
        label = detail.get("label") or event.get_event_display()
        ctx["label"] = label
        if event.record_id is not None:
            ctx["record_url"] = record_admin_url(event.record_id)
        ctx["plain_error"] = plain_error(
            detail.get("error_code", ""),
            detail.get("error_message", ""),
            detail.get("error_column", ""),
            detail.get("held_reason", ""),
        )
        # Events recorded before the source was kept in the snapshot came from Spectrum's answers.
        ctx["problem_source"] = detail.get("problem_source") or SPECTRUM_ANSWERED
        subject = RECORD_SUBJECTS.get(Event(event.event), "{label}: " + event.get_event_display())
        return "record_event", prefix + subject.format(label=label), ctx
    if event.run_id is not None or "run_id" in detail:
        label = f"{object_type_label(event.object_type)} poll"
        ctx.update(label=label, plain_error=detail.get("run_error", ""))
        subject = POLL_SUBJECTS.get(Event(event.event), "{label}: " + event.get_event_display())
        return "poll_event", prefix + subject.format(label=label), ctx
    ctx["label"] = "Exports"
    if event.event == Event.RECOVERED:
        return "tenant_event", prefix + "exports to Spectrum resumed", ctx
    return "tenant_event", prefix + f"{event.get_event_display().lower()}", ctx


def recent_failures(delivery: EmailDelivery, limit: int = 10) -> list[dict[str, Any]]:
    """The latest failures, to show what "keeps failing" means."""
    events = NotificationEvent.objects.filter(
        tenant=delivery.tenant, event__in=[Event.FAILED, Event.POLL_FAILED], created_at__lte=delivery.created_at
    ).order_by("-created_at")[:limit]
    rows = []
    for event in events:
        detail = event.detail
        rows.append(
            {
                "label": detail.get("label", ""),
                "when": event.created_at,
                "error": plain_error(
                    detail.get("error_code", ""),
                    detail.get("error_message", "") or detail.get("run_error", ""),
                    detail.get("error_column", ""),
                ),
                "url": record_admin_url(event.record_id) if event.record_id else "",
            }
        )
    return rows


def record_row(record: SyncRecord) -> dict[str, Any]:
    """One line of a digest, as plain JSON (stored on the delivery so a retry sends the same text)."""
    return {
        "label": str(record),
        "object_type": object_type_label(record.object_type),
        "company_code": record.company_code,
        "url": record_admin_url(record.pk),
        "error": plain_error(record.error_code, redact(record.error_message), record.error_column),
        "spectrum_said": spectrum_said(record.error_code, redact(record.error_message), record.error_column),
        "problem_source": problem_source(record) if record.error_code or record.error_message else "",
        "held_reason": redact(record.held_reason),
        "when": (record.finished_at or record.updated_at).isoformat(),
    }
