"""Security notices: a secret now goes somewhere else. Told to whoever hears about the tenant's failures.

A secret typed again for a new destination is legitimate most of the time (a server moved), but it
is also how a stored secret would be sent to a host of someone's choice; the people responsible
for the tenant hear of it at once, with who did it and what changed (never the secret).
"""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from spectrum_sync.models import Tenant
from spectrum_sync.notifications.api import create_delivery, enqueue_delivery, failure_recipients
from spectrum_sync.notifications.models import EmailDelivery, NotificationRule

HEADLINE = "a secret was sent to a new destination"


def secrets_moved(tenant: Tenant, user: Any, moves: list[str]) -> bool:
    """Email the tenant's failure recipients about ``moves``; False when nobody is to be told."""
    rules = list(NotificationRule.objects.filter(tenant=tenant, active=True))
    context = {
        "headline": HEADLINE,
        "moves": moves,
        "who": getattr(user, "get_username", lambda: "")() or "system",
        "at": timezone.now().strftime("%Y-%m-%d %H:%M UTC"),
    }
    key = f"security:{tenant.pk}:{secrets.token_hex(8)}"
    if not create_delivery(tenant, EmailDelivery.Kind.SECURITY, key, failure_recipients(rules), context=context):
        return False
    delivery_id = EmailDelivery.objects.get(key=key).pk
    transaction.on_commit(partial(enqueue_delivery, delivery_id), robust=True)
    return True
