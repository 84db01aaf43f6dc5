"""The approvers' daily digest: per tenant, what waits for approval this morning.

Approvers of a tenant are the active users with an email address who hold the approve permission
(the Accountant role, or given to them) and serve the tenant or see every tenant. From the
tenant's local digest hour (NOTIFY_DIGEST_HOUR) one email per tenant and local day lists what
waits, oldest first; ``approvals:<tenant>:<day>`` is the delivery key, so running the task every
hour still makes one email a day. Nothing waiting, or nobody to tell: no email.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Count, Min, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from spectrum_sync.models import Direction, SyncRecord, SyncStatus, Tenant
from spectrum_sync.notifications.api import create_delivery
from spectrum_sync.notifications.digest import SECTION_LIMIT, digest_hour
from spectrum_sync.notifications.emails import object_type_label, record_admin_url
from spectrum_sync.notifications.models import EmailDelivery

# The marker in the delivery's context that tells emails.compose this digest from the daily one.
KIND = "approvals"


def _permission(codename: str) -> Permission | None:
    return Permission.objects.filter(content_type__app_label="spectrum_sync", codename=codename).first()


def approver_emails(tenant: Tenant) -> list[str]:
    """Who approves this tenant's exports, by email address (each once, in username order)."""
    approve = _permission("approve_syncrecord")
    if approve is None:
        return []
    holds = Q(groups__permissions=approve) | Q(user_permissions=approve)
    every_tenant = _permission("access_all_tenants")
    sees = Q(served_tenants=tenant)
    if every_tenant is not None:
        sees |= Q(groups__permissions=every_tenant) | Q(user_permissions=every_tenant)
    users = get_user_model().objects.filter(holds, is_active=True).filter(sees).exclude(email="")
    return list(dict.fromkeys(users.order_by("username").values_list("email", flat=True)))


def waiting_for(tenant: Tenant) -> Any:
    return SyncRecord.objects.filter(tenant=tenant, direction=Direction.EXPORT, status=SyncStatus.AWAITING_APPROVAL)


def queue_link(tenant: Tenant) -> str:
    try:
        path = reverse("admin:spectrum_sync_approval_queue")
    except NoReverseMatch:
        path = "/admin/spectrum_sync/approvalrule/queue/"
    return f"{settings.SITE_URL}{path}?tenant={tenant.pk}"


def digest_context(tenant: Tenant, day: str) -> dict[str, Any]:
    """What waits: the full count, per type, the oldest, and the first lines (stored on the delivery)."""
    records = waiting_for(tenant)
    per_type = records.values("object_type").annotate(n=Count("pk"), oldest=Min("created_at")).order_by("object_type")
    rows = [
        {
            "label": str(record),
            "object_type": object_type_label(record.object_type),
            "company_code": record.company_code,
            "waiting_since": record.created_at.isoformat(),
            "url": record_admin_url(record.pk),
        }
        for record in records.order_by("created_at", "pk")[:SECTION_LIMIT]
    ]
    return {
        "kind": KIND,
        "day": day,
        "timezone": tenant.timezone,
        "count": records.count(),
        "per_type": [
            {"object_type": object_type_label(t["object_type"]), "count": t["n"], "oldest": t["oldest"].isoformat()}
            for t in per_type
        ],
        "rows": rows,
        "limit": SECTION_LIMIT,
        "queue_url": queue_link(tenant),
    }


def build_approval_digests(now: datetime | None = None) -> list[int]:
    """Create today's approval digests that are due and not made yet; returns the ids to send."""
    now = now or timezone.now()
    created: list[int] = []
    tenants = Tenant.objects.filter(
        active=True, sync_records__status=SyncStatus.AWAITING_APPROVAL, sync_records__direction=Direction.EXPORT
    ).distinct()
    for tenant in tenants:
        local_now = now.astimezone(ZoneInfo(tenant.timezone or "UTC"))
        if local_now.hour < digest_hour():
            continue
        key = f"approvals:{tenant.pk}:{local_now.date().isoformat()}"
        if EmailDelivery.objects.filter(key=key).exists():
            continue
        recipients = approver_emails(tenant)
        if not recipients:
            continue
        context = digest_context(tenant, local_now.date().isoformat())
        create_delivery(tenant, EmailDelivery.Kind.DIGEST, key, recipients, context=context)
        created.extend(
            EmailDelivery.objects.filter(key=key, status=EmailDelivery.Status.PENDING).values_list("pk", flat=True)
        )
    return created
