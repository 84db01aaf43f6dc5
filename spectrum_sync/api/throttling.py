"""Per-tenant request rate: one tenant's burst cannot crowd out the others."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from spectrum_sync.models import Tenant

logger = logging.getLogger(__name__)


class TenantRateThrottle(SimpleRateThrottle):
    """API_THROTTLE_RATE requests per tenant, counted in the cache; over it DRF answers 429 with
    Retry-After. Keyed on the API key's tenant, so a tenant's several senders share one budget."""

    scope = "tenant"

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_RATE)

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache is down: count nothing rather than refuse every document
            logger.warning("request rate not checked: the cache is unreachable", exc_info=True)
            return True

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, Tenant):
            return None  # not a tenant's call (the docs pages): nothing to count
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
