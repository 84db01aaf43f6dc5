"""Keep secrets out of logs and stored payloads.

Two layers: every secret that the encrypted fields decrypt is registered here, so its exact value
is masked wherever it appears; and patterns catch the places a secret travels by shape
(the SOAP ``Authorization_ID`` element, HTTP ``Authorization`` headers, OAuth ``client_secret``
fields), even for a value this process never decrypted.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "********"

_known: set[str] = set()
_lock = threading.Lock()

# Values shorter than this are not masked by value (masking "1" everywhere would ruin logs);
# the patterns below still cover them in the places secrets actually travel.
_MIN_SECRET_LENGTH = 4

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


def register_secret(value: str | None) -> None:
    """Remember a secret value so it is masked wherever it shows up later."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _known.add(value)


def redact(text: str, extra: list[str] | tuple[str, ...] = ()) -> str:
    """Return ``text`` with every known secret and every secret-shaped field masked."""
    if not text:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    with _lock:
        values = sorted(_known.union(v for v in extra if v and len(v) >= _MIN_SECRET_LENGTH), key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Logging filter attached to every handler: masks secrets in the final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
