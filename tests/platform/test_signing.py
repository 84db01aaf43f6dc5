"""The signature scheme documented in connectors/platform/signing.py, checked as a platform would."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from connectors.platform.client import PlatformClient, parse_retry_after
from connectors.platform.signing import SignatureError, sign, verify
from tests.fixtures_platform import PlatformSimulatorHandle

BODY = b'{"delivery_id":"d.0","resource":"customers","items":[]}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    headers = sign("k3y-value", BODY, now=1_700_000_000)
    expected = hmac.new(b"k3y-value", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert headers == {"X-Spectrum-Sync-Timestamp": "1700000000", "X-Spectrum-Sync-Signature": f"sha256={expected}"}


def test_verify_accepts_any_header_case_within_tolerance() -> None:
    headers = {k.lower(): v for k, v in sign("k3y-value", BODY, now=1_700_000_000).items()}
    verify("k3y-value", BODY, headers, now=1_700_000_000 + 299)


@pytest.mark.parametrize(
    ("secret", "body", "now", "reason"),
    [
        ("other-key", BODY, 1_700_000_000, "does not match"),
        ("k3y-value", BODY + b" ", 1_700_000_000, "does not match"),
        ("k3y-value", BODY, 1_700_000_000 + 301, "timestamp"),
        ("k3y-value", BODY, 1_700_000_000 - 301, "timestamp"),
    ],
)
def test_verify_refuses(secret: str, body: bytes, now: int, reason: str) -> None:
    headers = sign("k3y-value", BODY, now=1_700_000_000)
    with pytest.raises(SignatureError, match=reason):
        verify(secret, body, headers, now=now)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480) == 10
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_nothing_to_deliver_sends_nothing(platform_simulator: PlatformSimulatorHandle) -> None:
    client = PlatformClient(platform_simulator.tenant_url("acme"), "whatever-secret")
    result = client.deliver("customers", [], delivery_id="empty")
    assert (result.status, result.attempts, result.delivery_ids) == (0, 0, [])
    assert platform_simulator.requests() == []


def test_errors_survive_pickling() -> None:
    import pickle

    from connectors.platform.client import BatchResult
    from connectors.platform.errors import PlatformConfigurationError, PlatformRejected, PlatformRetryableError

    batch = BatchResult("d.0", 2, 200, 1, False, 0.1)
    for error in (
        PlatformRejected(
            401, '{"error": "bad"}', resource="customers", delivery_id="d.1", attempts=1, delivered=[batch]
        ),
        PlatformRetryableError("gave up", retry_after=30, resource="customers", attempts=5),
        PlatformConfigurationError("host refused", resource="customers"),
    ):
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert copy.__dict__ == error.__dict__
