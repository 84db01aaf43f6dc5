"""How deliveries to the platform are signed, and how the platform checks them.

The scheme (version 1), for every POST this service makes to a tenant's platform URL:

1. ``timestamp`` = the current Unix time in whole seconds, as ASCII digits.
2. ``signed material`` = ``timestamp`` + ``"."`` + the exact raw body bytes as sent on the wire
   (no re-serialisation: the receiver must verify the bytes it read, before parsing them).
3. ``signature`` = lowercase hex of HMAC-SHA256(key = the tenant's signing secret as UTF-8,
   message = signed material).
4. Headers: ``X-Spectrum-Sync-Timestamp: <timestamp>`` and
   ``X-Spectrum-Sync-Signature: sha256=<signature>``.

The receiver recomputes the HMAC over the timestamp header and the raw body, compares in constant
time, and refuses a timestamp more than ``tolerance`` seconds (default 300) away from its own clock,
so a captured request cannot be replayed later. Each retry is signed afresh with a new timestamp;
the body (and so its ``delivery_id``) stays the same, which is what makes retries idempotent.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Spectrum-Sync-Signature"
TIMESTAMP_HEADER = "X-Spectrum-Sync-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SCHEME = "sha256"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """Why a signature was refused, in words a platform developer can act on."""


def compute_signature(secret: str, timestamp: str, body: bytes) -> str:
    material = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), material, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The two headers that sign ``body`` with ``secret`` at ``now`` (default: the current time)."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: f"{SCHEME}={compute_signature(secret, timestamp, body)}",
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    # Header names are case-insensitive; WSGI and plain dicts spell them differently.
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value.strip()
    return ""


def verify(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Raise :class:`SignatureError` unless ``headers`` sign ``body`` with ``secret`` within ``tolerance``."""
    signature = _header(headers, SIGNATURE_HEADER)
    timestamp = _header(headers, TIMESTAMP_HEADER)
    if not signature:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    if not timestamp:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} header")
    if not timestamp.isdigit():
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix seconds")
    scheme, _, digest = signature.partition("=")
    if scheme != SCHEME or not digest:
        raise SignatureError(f"{SIGNATURE_HEADER} must look like '{SCHEME}=<hex>'")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        raise SignatureError(f"timestamp is more than {tolerance} s away from the receiver's clock")
    expected = compute_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected, digest.lower()):
        raise SignatureError("signature does not match the body (wrong secret, or the body was changed)")
