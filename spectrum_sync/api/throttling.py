"""Per-tenant request rate: one tenant's burst cannot crowd out the others."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from spectrum_sync.models import Tenant

logger = logging.getLogger(__name__)


class TenantRateThrottle(SimpleRateThrottle):
    """API_THROTTLE_RATE requests per tenant, counted in the cache; over it DRF answers 429 with
    Retry-After. Keyed on the API key's tenant, so a tenant's several senders share one budget.

    A sliding window, counted: one counter per period (incremented atomically, so concurrent posts
    in several web processes are all counted), the previous period's weighted by how much of it
    still falls within the last period. Each post costs a few small cache calls whatever the rate,
    where a list of every request's time would grow with it. A refused request is not counted.
    """

    scope = "tenant"

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_RATE)

    def allow_request(self, request: Request, view: Any) -> bool:
        key = self.get_cache_key(request, view)
        if key is None or self.num_requests is None or self.duration is None:
            return True
        try:
            return self._within_rate(key, int(self.num_requests), int(self.duration))
        except Exception:  # the cache is down: count nothing rather than refuse every document
            logger.warning("request rate not checked: the cache is unreachable", exc_info=True)
            return True

    def _within_rate(self, key: str, limit: int, duration: int) -> bool:
        now = self.timer()
        period = int(now // duration)
        elapsed = now - period * duration
        current = f"{key}:{period}"
        previous = int(self.cache.get(f"{key}:{period - 1}", 0))
        counted = self._count(current, timeout=2 * duration)  # this request included
        # previous x (1 - elapsed / duration) + counted <= limit, kept in products (no rounding)
        if previous * (duration - elapsed) + counted * duration <= limit * duration:
            return True
        self.cache.decr(current)
        self.retry_after = _seconds_until_room(previous, counted - 1, elapsed, duration, limit)
        return False

    def _count(self, key: str, timeout: int) -> int:
        try:
            return int(self.cache.incr(key))
        except ValueError:  # the period's first request
            if self.cache.add(key, 1, timeout):
                return 1
            return int(self.cache.incr(key))  # another process added it first

    def wait(self) -> float:
        return float(getattr(self, "retry_after", 1.0))

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, Tenant):
            return None  # not a tenant's call (the docs pages): nothing to count
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


def _seconds_until_room(previous: int, current: int, elapsed: float, duration: int, limit: int) -> float:
    """Whole seconds (at least 1) until one more request fits, if none comes meanwhile: ``previous``
    and ``current`` requests counted in the last and this period, ``elapsed`` seconds into this one."""
    room = limit - 1  # requests that may already be counted when one more comes
    if current <= room and previous:
        # The previous period must weigh less: previous x (1 - f) <= room - current.
        seconds = (previous - room + current) * duration / previous - elapsed
    else:
        # This period's count must become the previous one and weigh less: current x (1 - f) <= room.
        seconds = (duration - elapsed) + (current - room) * duration / max(current, 1)
    return float(max(1, math.ceil(seconds)))
