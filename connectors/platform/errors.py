"""What can go wrong when delivering to the operations platform, and what follows (``consequence``).

- :class:`PlatformRetryableError` — 5xx, 408, 429, timeouts, connection refused or reset: the client
  already retried within its budget; the caller may try again later (same delivery id: the
  platform answers a repeat as a duplicate, so nothing is stored twice).
- :class:`PlatformRejected` — the platform answered a permanent 4xx (bad signature, malformed body,
  unknown tenant...): retrying the same bytes cannot succeed; someone has to fix the cause.
- :class:`PlatformConfigurationError` — our side is set up wrong (no URL, no secret, a host not in
  the allowed list): a :class:`PlatformRejected` with status 0, so callers that treat rejections
  as permanent need no extra ``except``.

Each error carries the batches delivered before it happened (``delivered``), so a caller that
hands over many items knows exactly which ones the platform already has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from connectors.errors import Consequence, ConsequenceError

if TYPE_CHECKING:
    from connectors.platform.client import BatchResult


class PlatformError(ConsequenceError):
    """Base of every error the platform client raises."""

    status: int = 0  # the HTTP status of the platform's refusal, when it answered one
    body: str = ""  # its answer, redacted and cut short

    def __init__(
        self,
        message: str,
        *,
        resource: str = "",
        delivery_id: str = "",
        attempts: int = 0,
        delivered: Sequence[BatchResult] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.resource = resource
        self.delivery_id = delivery_id  # the batch's delivery id that failed
        self.attempts = attempts  # HTTP attempts made for that batch
        self.delivered: tuple[BatchResult, ...] = tuple(delivered)  # batches the platform has

    def __str__(self) -> str:
        where = f"{self.resource} {self.delivery_id}".strip()
        return f"{where}: {self.message}" if where else self.message

    @property
    def delivered_items(self) -> int:
        return sum(batch.items for batch in self.delivered)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments defeat Exception's default pickling (Celery pickles task errors).
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[PlatformError], message: str, state: dict[str, Any]) -> PlatformError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class PlatformRetryableError(PlatformError):
    """The platform could not be reached or was busy; try again later with the same delivery id."""

    consequence = Consequence.RETRY

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        resource: str = "",
        delivery_id: str = "",
        attempts: int = 0,
        delivered: Sequence[BatchResult] = (),
    ) -> None:
        super().__init__(message, resource=resource, delivery_id=delivery_id, attempts=attempts, delivered=delivered)
        self.retry_after = retry_after  # seconds the platform asked us to wait, if it said


class PlatformRejected(PlatformError):
    """The platform refused the delivery with a permanent 4xx; ``body`` is its answer, redacted and cut short."""

    consequence = Consequence.REJECT

    def __init__(
        self,
        status: int,
        body: str,
        message: str = "",
        *,
        resource: str = "",
        delivery_id: str = "",
        attempts: int = 0,
        delivered: Sequence[BatchResult] = (),
    ) -> None:
        super().__init__(
            message or f"platform answered HTTP {status}: {body}",
            resource=resource,
            delivery_id=delivery_id,
            attempts=attempts,
            delivered=delivered,
        )
        self.status = status
        self.body = body


class PlatformConfigurationError(PlatformRejected):
    """Refused before sending: missing URL or secret, or a host outside ``allowed_hosts``."""

    consequence = Consequence.CONFIGURATION

    def __init__(self, message: str, *, resource: str = "") -> None:
        super().__init__(0, "", message, resource=resource)
