"""The client for the operations platform: signed, batched, idempotent deliveries.

Everything this service tells the platform (imported Spectrum records, export results) goes
through :meth:`PlatformClient.deliver`, the one choke point that owns timeouts, signing, retries,
logging and error translation.

**The delivery contract** (the platform simulator implements the receiving side):

``POST {base_url}/{resource}`` — ``base_url`` is the tenant's platform URL, e.g.
``http://127.0.0.1:8600/deliveries/demo``; ``resource`` a plural noun such as ``customers``,
``vendors``, ``gl-accounts``, ``classes``, ``projects`` or ``export-results``. The body is JSON::

    {"delivery_id": "poll-42-customer.0", "resource": "customers", "items": [ITEM, ...]}

and every ITEM has this shape (the IMPORTS engine builds them; use :func:`upsert` / :func:`delete`)::

    {"action": "upsert", "key": "<stable key of the record>", "data": {...the record...}}
    {"action": "delete", "key": "<stable key of the record>"}

``key`` is what the platform indexes its copy by (for Spectrum records: company code and the
record's own key, e.g. ``"DC1:ACME01"``); an upsert carries the complete current record in
``data`` (not a diff), a delete only the key. For ``export-results`` the key is the sync record's
id and ``data`` is ``{"sync_record_id", "document_type", "platform_id", "status",
"document_number", "error_code", "error_message", "error_column"}``.

Headers: ``Content-Type: application/json``, ``Idempotency-Key: <delivery_id>`` and the signature
headers described in :mod:`connectors.platform.signing`. The platform answers 2xx when it stored the
delivery, or 200 with ``"duplicate": true`` when it had already stored that delivery id.

**Batches.** The caller hands any number of items and one ``delivery_id``; the client sends them in
batches of ``batch_size``, batch ``n`` with delivery id ``f"{delivery_id}.{n}"``
(:func:`batch_delivery_id`). The same call repeated with the same items therefore repeats the same
delivery ids, and the platform stores nothing twice.

**Deadline.** The platform's answer must be complete within ``reply_deadline`` seconds of sending
the batch (connectors/deadline.py): the read timeout bounds each read, not the answer, so one that
drips in a byte at a time would otherwise hold the worker for ever. Cut, it counts as a timeout.

**Retries.** 5xx, 408, 429, timeouts (the deadline included) and connection errors are retried with exponential back-off
and full jitter, waiting at least what ``Retry-After`` asks, within a per-batch budget of attempts
and seconds (:class:`RetryPolicy`); then :class:`PlatformRetryableError`. Any other 4xx is
permanent: :class:`PlatformRejected` with the platform's status and answer (redacted, truncated).
Redirects are not followed (a POST must not silently change its target).
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
import urllib3

from connectors.deadline import DeadlineAdapter, ReplyWatch
from connectors.outbound import OutboundPolicy, OutboundRefused
from connectors.platform.errors import (
    PlatformConfigurationError,
    PlatformError,
    PlatformRejected,
    PlatformRetryableError,
)
from connectors.platform.signing import IDEMPOTENCY_HEADER, sign
from connectors.redaction import redact, register_secret
from connectors.replies import IDENTITY, ReplyTooBig, read_capped, reply_text

__all__ = [
    "BatchResult",
    "DeliveryResult",
    "PlatformClient",
    "RetryPolicy",
    "batch_delivery_id",
    "delete",
    "upsert",
]

logger = logging.getLogger("connectors.platform")

USER_AGENT = "spectrum-sync/0.1 (+platform-delivery)"
ANSWER_LIMIT = 1000  # characters of the platform's answer kept on an error
_RETRYABLE_STATUSES = frozenset({408, 429})
_SIGNATURE_SHAPED = re.compile(r"sha256=[0-9a-fA-F]{16,}")
_RESOURCE_SHAPE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def upsert(key: str, data: dict[str, Any]) -> dict[str, Any]:
    """An item telling the platform the record ``key`` now looks like ``data``."""
    return {"action": "upsert", "key": key, "data": data}


def delete(key: str) -> dict[str, Any]:
    """An item telling the platform the record ``key`` is gone."""
    return {"action": "delete", "key": key}


def batch_delivery_id(delivery_id: str, index: int) -> str:
    """The delivery id of batch ``index`` of a delivery: stable, so a retry reuses it."""
    return f"{delivery_id}.{index}"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one batch is tried before :class:`PlatformRetryableError`.

    Delays follow "full jitter": before retry ``n`` (1-based) the client sleeps a random time in
    ``[0, min(max_delay, base_delay * 2 ** (n - 1))]``, or longer when ``Retry-After`` asks. A batch
    never takes more than ``max_attempts`` requests nor (roughly) ``budget`` seconds; a
    ``Retry-After`` beyond the budget ends the batch at once, the wait left to the caller.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 10.0
    budget: float = 60.0

    def backoff(self, retry: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (retry - 1)))


@dataclass(frozen=True)
class BatchResult:
    """One batch the platform accepted."""

    delivery_id: str
    items: int
    status: int  # the HTTP status of the accepting answer
    attempts: int  # HTTP requests it took, 1 when nothing failed
    duplicate: bool  # the platform already had this delivery id
    duration: float  # seconds, retries and waits included


@dataclass(frozen=True)
class DeliveryResult:
    """Everything :meth:`PlatformClient.deliver` sent, once the platform accepted all of it."""

    resource: str
    delivery_id: str  # the caller's id; batches derive theirs from it
    batches: tuple[BatchResult, ...] = field(default_factory=tuple)
    duration: float = 0.0  # seconds for the whole call

    @property
    def delivery_ids(self) -> list[str]:
        return [batch.delivery_id for batch in self.batches]

    @property
    def status(self) -> int:
        """HTTP status of the last batch (0 when there was nothing to send)."""
        return self.batches[-1].status if self.batches else 0

    @property
    def attempts(self) -> int:
        return sum(batch.attempts for batch in self.batches)

    @property
    def items(self) -> int:
        return sum(batch.items for batch in self.batches)

    @property
    def duplicates(self) -> int:
        """How many batches the platform had already received (a harmless repeat)."""
        return sum(1 for batch in self.batches if batch.duplicate)


@dataclass(frozen=True)
class _Answer:
    """One HTTP attempt's outcome: a status (0 when no answer came) and what to say about it."""

    status: int
    text: str = ""
    retry_after: float | None = None
    problem: str = ""  # network-level failure, when status is 0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return self.status == 0 or self.status >= 500 or self.status in _RETRYABLE_STATUSES


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


def _chunks(items: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _encode(payload: dict[str, Any]) -> bytes:
    # default=str: Decimal amounts and dates travel as their exact text, never as floats.
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


class PlatformClient:
    """Delivers items to one tenant's platform URL. One instance per (worker process, tenant).

    ``timeout`` is ``(connect, read)`` seconds or one number for both; ``reply_deadline`` the
    seconds from sending a batch to the last byte of the answer. ``policy`` says where requests
    may go (connectors/outbound.py); without one, ``allowed_hosts`` when not empty is the only set
    of host names the client will contact, else only this machine. ``sleep`` is there so tests can
    watch the back-off decisions; it defaults to :func:`time.sleep`. A ``session`` passed in should
    mount :class:`~connectors.deadline.DeadlineAdapter`, or a late answer is noticed only once it ends.
    """

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        *,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        reply_deadline: float = 90.0,
        allowed_hosts: Iterable[str] = (),
        policy: OutboundPolicy | None = None,
        batch_size: int = 500,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        tenant: str = "",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.base_url = base_url.rstrip("/")
        self._secret = signing_secret
        self.timeout = timeout if isinstance(timeout, tuple) else (float(timeout), float(timeout))
        self.reply_deadline = float(reply_deadline)
        self.allowed_hosts = frozenset(host.strip().lower() for host in allowed_hosts if host.strip())
        self.policy = policy or (
            OutboundPolicy.build(self.allowed_hosts) if self.allowed_hosts else OutboundPolicy.loopback_only()
        )
        self.batch_size = batch_size
        self.retry = retry or RetryPolicy()
        self.tenant = tenant
        self._sleep = sleep
        self._session = session or self._new_session()
        register_secret(signing_secret, tenant)

    def __repr__(self) -> str:  # never print the secret
        return f"PlatformClient(base_url={self.base_url!r}, tenant={self.tenant!r})"

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # Retries are ours (they must re-sign and respect the budget); urllib3 must not add its own.
        # DeadlineAdapter: an answer still arriving at its deadline can be cut (connectors/deadline.py),
        # and every address connected to is checked against the policy (connectors/outbound.py).
        adapter = DeadlineAdapter(pool_connections=2, pool_maxsize=8, max_retries=0, policy=self.policy)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = USER_AGENT
        session.trust_env = False  # no proxy variables, no ~/.netrc credentials sent to the platform
        return session

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the public call -------------------------------------------------------------------------

    def deliver(self, resource: str, items: Sequence[dict[str, Any]], *, delivery_id: str) -> DeliveryResult:
        """Send ``items`` to ``{base_url}/{resource}`` in signed batches; return when all are accepted.

        Raises :class:`PlatformRetryableError` or :class:`PlatformRejected` (its subclass
        :class:`PlatformConfigurationError` before any I/O); either carries ``delivered``, the
        batches accepted before the failure.
        """
        self._check_configuration(resource, delivery_id)
        started = time.monotonic()
        done: list[BatchResult] = []
        for index, chunk in enumerate(_chunks(items, self.batch_size)):
            try:
                done.append(self._send_batch(resource, chunk, batch_delivery_id(delivery_id, index)))
            except PlatformError as exc:
                exc.delivered = tuple(done)
                raise
        return DeliveryResult(resource, delivery_id, tuple(done), time.monotonic() - started)

    # --- one batch -------------------------------------------------------------------------------

    def _check_configuration(self, resource: str, delivery_id: str) -> None:
        if not _RESOURCE_SHAPE.match(resource):
            raise ValueError(f"resource must be a lowercase slug like 'customers', got {resource!r}")
        if not delivery_id:
            raise ValueError("delivery_id is required: it is what makes a repeated delivery harmless")
        try:
            self.policy.check_url(self.base_url, "platform URL")
        except OutboundRefused as exc:
            raise PlatformConfigurationError(str(exc), resource=resource) from None
        if not self._secret:
            raise PlatformConfigurationError("the tenant has no platform signing secret", resource=resource)

    def _send_batch(self, resource: str, chunk: Sequence[dict[str, Any]], batch_id: str) -> BatchResult:
        url = f"{self.base_url}/{resource}"
        body = _encode({"delivery_id": batch_id, "resource": resource, "items": list(chunk)})
        started = time.monotonic()
        deadline = started + self.retry.budget
        attempt = 0
        while True:
            attempt += 1
            answer = self._post(url, body, batch_id, resource)
            if answer.ok:
                result = BatchResult(
                    batch_id, len(chunk), answer.status, attempt, _is_duplicate(answer.text), time.monotonic() - started
                )
                self._log_accepted(resource, result)
                return result
            if not answer.retryable:
                raise PlatformRejected(
                    answer.status,
                    self._clean(answer.text),
                    resource=resource,
                    delivery_id=batch_id,
                    attempts=attempt,
                )
            wait = self._wait_before_retry(answer, attempt, deadline)
            if wait is None:
                raise PlatformRetryableError(
                    f"gave up after {attempt} attempt(s): {self._describe(answer)}",
                    retry_after=answer.retry_after,
                    resource=resource,
                    delivery_id=batch_id,
                    attempts=attempt,
                )
            logger.warning(
                "platform delivery %s %s %s: %s; retry %d in %.2f s",
                self.tenant,
                resource,
                batch_id,
                self._describe(answer),
                attempt,
                wait,
            )
            self._sleep(wait)

    def _wait_before_retry(self, answer: _Answer, attempt: int, deadline: float) -> float | None:
        """Seconds to wait before the next attempt, or None when the budget does not allow one."""
        if attempt >= self.retry.max_attempts:
            return None
        wait = self.retry.backoff(attempt)
        if answer.retry_after is not None:
            wait = max(wait, answer.retry_after)
        if time.monotonic() + wait > deadline:
            return None
        return wait

    def _post(self, url: str, body: bytes, batch_id: str, resource: str) -> _Answer:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            IDEMPOTENCY_HEADER: batch_id,
            **IDENTITY,  # the answer is read here, at most 1 MB of it (connectors/replies.py)
            **sign(self._secret, body),  # signed afresh per attempt: the timestamp must be current
        }
        watch = ReplyWatch(self.reply_deadline)
        try:
            with watch.sending():
                response = self._session.post(
                    url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False, stream=True
                )
                text = self._read(response, watch)
        except OutboundRefused as exc:
            watch.finish()
            raise PlatformConfigurationError(str(exc), resource=resource) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if not watch.finish():
                return _Answer(0, problem=self._too_slow(watch))
            if isinstance(exc, requests.ConnectTimeout):
                return _Answer(0, problem="connect timeout")
            if isinstance(exc, requests.Timeout | urllib3.exceptions.ReadTimeoutError):
                return _Answer(0, problem="read timeout (the platform may have stored it; the retry is idempotent)")
            return _Answer(0, problem=f"connection failed ({type(exc).__name__})")
        if not watch.finish():  # the answer ended, but perhaps only because we cut it
            response.close()
            return _Answer(0, problem=self._too_slow(watch))
        return _Answer(response.status_code, text, parse_retry_after(response.headers.get("Retry-After")))

    @staticmethod
    def _read(response: requests.Response, watch: ReplyWatch) -> str:
        try:
            return reply_text(read_capped(response, watch))
        except ReplyTooBig as exc:
            return str(exc)  # the status says what happened; the body is not worth a megabyte

    @staticmethod
    def _too_slow(watch: ReplyWatch) -> str:
        return (
            f"the platform's answer was still arriving after {watch.elapsed:.0f} s (the limit is "
            f"{watch.seconds:g} s); the connection was closed (the platform may have stored it; "
            "the retry is idempotent)"
        )

    # --- words for logs and errors ---------------------------------------------------------------

    def _clean(self, text: str) -> str:
        """The platform's answer made safe to store and log: no secret, no signature, bounded."""
        text = redact(text, extra=[self._secret], tenant=self.tenant)
        text = _SIGNATURE_SHAPED.sub("sha256=********", text)
        return text if len(text) <= ANSWER_LIMIT else text[:ANSWER_LIMIT] + "…"

    def _describe(self, answer: _Answer) -> str:
        if answer.status == 0:
            return answer.problem
        suffix = f", Retry-After {answer.retry_after:g} s" if answer.retry_after is not None else ""
        return f"HTTP {answer.status}{suffix}"

    def _log_accepted(self, resource: str, result: BatchResult) -> None:
        logger.info(
            "platform delivery %s %s %s: HTTP %d, %d item(s), %d attempt(s), %.0f ms%s",
            self.tenant,
            resource,
            result.delivery_id,
            result.status,
            result.items,
            result.attempts,
            result.duration * 1000,
            " (duplicate)" if result.duplicate else "",
        )


def _is_duplicate(text: str) -> bool:
    try:
        answer = json.loads(text) if text else {}
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("duplicate") is True
