"""A saved or removed mapping row or processing date range gives its tenant a new ``rules_stamp``,
so that every worker reads the tenant's rows again with its next record (mappings.rules.rules_for)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models.signals import post_delete, post_save

from spectrum_sync.models import Tenant


def rules_changed(tenant_id: int) -> uuid.UUID:
    """Give the tenant a new stamp: for writes that send no signal (``QuerySet.update``, SQL)."""
    stamp = uuid.uuid4()
    Tenant.objects.filter(pk=tenant_id).update(rules_stamp=stamp)
    return stamp


def restamp(sender: Any, instance: Any, **kwargs: Any) -> None:
    stamp = rules_changed(instance.tenant_id)
    if instance._meta.get_field("tenant").is_cached(instance):  # the tenant in hand (an admin form's) too
        instance.tenant.rules_stamp = stamp


def connect() -> None:
    from mappings.models import GLAccountMapping, ProcessingDateRange, TaxCodeDefault, UDFMapping

    for model in (GLAccountMapping, UDFMapping, TaxCodeDefault, ProcessingDateRange):
        post_save.connect(restamp, sender=model, dispatch_uid=f"mappings.restamp.saved.{model.__name__}")
        post_delete.connect(restamp, sender=model, dispatch_uid=f"mappings.restamp.removed.{model.__name__}")
