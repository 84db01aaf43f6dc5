"""Keep secrets out of logs and stored payloads.

Two layers:

- by value: each tenant's secrets (Authorization ID, Enhanced Authentication client secret and its
  tokens, database password, platform signing secret) are registered under the tenant's slug, and
  a text is masked with the secrets of the tenant it is about: the one named (``tenant=``, a log
  record's ``tenant`` attribute) or else the tenant the current task or request works for
  (:func:`bind_tenant`, a context variable). Another tenant's secrets are not looked at, so the cost
  of masking does not grow with the number of tenants a worker has served. A value registered
  with no tenant known is used only for texts that concern no tenant either.
- by shape: patterns catch the places a secret travels (the SOAP ``Authorization_ID`` element,
  HTTP ``Authorization`` headers, OAuth ``client_secret`` fields), whatever its value.

For logs, :class:`RedactingFormatter` masks the whole formatted line (message, arguments and
traceback) and :class:`RedactingFilter` the message; :func:`mask_handlers` puts both on every
handler of a logger, for the loggers Celery sets up in its worker and beat processes.
"""

from __future__ import annotations

import contextvars
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

MASK = "********"

# Values shorter than this are not masked by value (masking "1" everywhere would ruin logs);
# the patterns below still cover them in the places secrets actually travel.
_MIN_SECRET_LENGTH = 4
_UNSCOPED = ""

_secrets: dict[str, set[str]] = {}
_lock = threading.Lock()
_tenant: contextvars.ContextVar[str] = contextvars.ContextVar("redaction_tenant", default=_UNSCOPED)

_PATTERNS = [
    # <Authorization_ID>X</Authorization_ID>, with or without a namespace prefix.
    (re.compile(r"(<(?:\w+:)?Authorization_ID>)[^<]*(</(?:\w+:)?Authorization_ID>)"), rf"\1{MASK}\2"),
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:basic|bearer)\s+)[A-Za-z0-9+/=._~-]+"), rf"\1{MASK}"),
    (
        re.compile(
            r"(?i)([\"']?(?:client_secret|access_token|password|authorization_id)[\"']?\s*[:=]\s*[\"']?)([^\"'&,\s}]+)"
        ),
        rf"\1{MASK}",
    ),
]


def bind_tenant(tenant: str) -> None:
    """From now on, in this task or request, texts are about ``tenant`` ('' for none)."""
    _tenant.set(tenant or _UNSCOPED)


def current_tenant() -> str:
    return _tenant.get()


@contextmanager
def tenant_scope(tenant: str) -> Iterator[None]:
    token = _tenant.set(tenant or _UNSCOPED)
    try:
        yield
    finally:
        _tenant.reset(token)


def register_secret(value: str | None, tenant: str = _UNSCOPED) -> None:
    """Remember ``value`` as a secret of ``tenant`` (none named: of no tenant)."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.setdefault(tenant, set()).add(value)


def _values(tenant: str, extra: Iterable[str | None]) -> list[str]:
    with _lock:
        known = set(_secrets.get(tenant, ()))
    known.update(v for v in extra if v and len(v) >= _MIN_SECRET_LENGTH)
    return sorted(known, key=len, reverse=True)  # longest first: a secret may contain another


def redact(text: str, extra: Iterable[str | None] = (), tenant: str | None = None) -> str:
    """``text`` with the tenant's secrets, ``extra`` and every secret-shaped field masked."""
    if not text:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    for value in _values(current_tenant() if tenant is None else tenant, extra):
        if value in text:
            text = text.replace(value, MASK)
    return text


def _record_tenant(record: logging.LogRecord) -> str | None:
    named = getattr(record, "tenant", None)
    return named if isinstance(named, str) and named else None


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message (the formatter below covers the rest of the line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            return True
        cleaned = redact(message, tenant=_record_tenant(record))
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter whose every line is masked: message, arguments and traceback alike. Wraps
    another formatter (``inner``) or formats itself like :class:`logging.Formatter`."""

    def __init__(self, *args: object, inner: logging.Formatter | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        line = self.inner.format(record) if self.inner else super().format(record)
        return redact(line, tenant=_record_tenant(record))


def mask_handlers(logger: logging.Logger) -> None:
    """Put the filter and the masking formatter on every handler of ``logger`` (once)."""
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(RedactingFormatter(inner=handler.formatter or logging.Formatter()))


__all__ = [
    "MASK",
    "RedactingFilter",
    "RedactingFormatter",
    "bind_tenant",
    "current_tenant",
    "mask_handlers",
    "redact",
    "register_secret",
    "tenant_scope",
]
