"""The platform client against the platform simulator over loopback."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from connectors.platform.client import PlatformClient, RetryPolicy, delete, upsert
from connectors.platform.errors import PlatformConfigurationError, PlatformRejected, PlatformRetryableError
from tests.fixtures_platform import ACME_SECRET, PlatformSimulatorHandle
from tests.platform.helpers import recorder

FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, budget=30)


def make_client(sim: PlatformSimulatorHandle, **kwargs: Any) -> PlatformClient:
    options: dict[str, Any] = {"retry": FAST, "timeout": (2.0, 5.0), "tenant": "acme"}
    options.update(kwargs)
    secret = options.pop("secret", ACME_SECRET)
    return PlatformClient(sim.tenant_url("acme"), secret, **options)


def customers(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [upsert(f"AC1:C{i:04d}", {"code": f"C{i:04d}", "name": f"Customer {i}"}) for i in range(start, start + n)]


def test_signed_delivery_is_verified_and_applied(platform_simulator: PlatformSimulatorHandle) -> None:
    with make_client(platform_simulator) as client:
        result = client.deliver("customers", customers(3), delivery_id="poll-1-customer")

    assert result.status == 200
    assert result.attempts == 1
    assert result.delivery_ids == ["poll-1-customer.0"]
    state = platform_simulator.state("acme", "customers")
    assert state["AC1:C0001"] == {"code": "C0001", "name": "Customer 1"}
    assert len(state) == 3
    [request] = platform_simulator.requests("acme")
    assert (request["status"], request["delivery_id"]) == (200, "poll-1-customer.0")


def test_wrong_secret_is_refused_with_401(platform_simulator: PlatformSimulatorHandle) -> None:
    with (
        make_client(platform_simulator, secret="not-the-tenant-secret") as client,
        pytest.raises(PlatformRejected) as caught,
    ):
        client.deliver("customers", customers(1), delivery_id="d")

    assert caught.value.status == 401
    assert "signature does not match" in caught.value.body
    assert caught.value.attempts == 1  # a permanent refusal is not retried
    assert platform_simulator.deliveries("acme") == []


class TamperingAdapter(HTTPAdapter):
    """Changes one byte of every request body after it was signed, like a meddling proxy."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        assert isinstance(request.body, bytes)
        request.body = request.body.replace(b"Customer 0", b"Customer X")
        return super().send(request, *args, **kwargs)


def test_tampered_body_is_refused_and_nothing_stored(platform_simulator: PlatformSimulatorHandle) -> None:
    session = requests.Session()
    session.mount("http://", TamperingAdapter())
    with make_client(platform_simulator, session=session) as client, pytest.raises(PlatformRejected) as caught:
        client.deliver("customers", customers(1), delivery_id="d")

    assert caught.value.status == 401
    assert "signature" in caught.value.body
    assert platform_simulator.state("acme", "customers") == {}


def test_items_go_in_batches_with_derived_delivery_ids(platform_simulator: PlatformSimulatorHandle) -> None:
    with make_client(platform_simulator, batch_size=3) as client:
        result = client.deliver("customers", customers(7), delivery_id="run-9")

    assert result.delivery_ids == ["run-9.0", "run-9.1", "run-9.2"]
    assert [b.items for b in result.batches] == [3, 3, 1]
    stored = {d["delivery_id"]: d["item_count"] for d in platform_simulator.deliveries("acme", "customers")}
    assert stored == {"run-9.0": 3, "run-9.1": 3, "run-9.2": 1}
    assert [item["key"] for item in platform_simulator.items("acme", "customers")] == [
        f"AC1:C{i:04d}" for i in range(7)
    ]


def test_redelivery_with_the_same_id_stores_nothing_twice(platform_simulator: PlatformSimulatorHandle) -> None:
    with make_client(platform_simulator, batch_size=2) as client:
        first = client.deliver("customers", customers(3), delivery_id="run-1")
        again = client.deliver("customers", customers(3), delivery_id="run-1")

    assert first.duplicates == 0
    assert again.duplicates == 2
    assert again.delivery_ids == first.delivery_ids
    assert len(platform_simulator.deliveries("acme")) == 2
    assert len(platform_simulator.items("acme", "customers")) == 3
    assert len(platform_simulator.requests("acme")) == 4  # both calls reached the platform


def test_delete_removes_the_record_from_the_platform(platform_simulator: PlatformSimulatorHandle) -> None:
    with make_client(platform_simulator) as client:
        client.deliver(
            "classes",
            [upsert("DC1:100", {"name": "Service"}), upsert("DC1:200", {"name": "Projects"})],
            delivery_id="a",
        )
        client.deliver("classes", [delete("DC1:100"), upsert("DC1:200", {"name": "Construction"})], delivery_id="b")

    assert platform_simulator.state("acme", "classes") == {"DC1:200": {"name": "Construction"}}
    latest = platform_simulator.deliveries("acme", "classes")[0]
    assert (latest["deleted"], latest["updated"], latest["created"]) == (1, 1, 0)


def test_503_is_retried_until_it_succeeds(platform_simulator: PlatformSimulatorHandle) -> None:
    platform_simulator.fail(2, 503)
    with make_client(platform_simulator) as client:
        result = client.deliver("vendors", [upsert("DC1:V1", {"name": "Supply"})], delivery_id="v")

    assert result.attempts == 3
    assert [r["status"] for r in reversed(platform_simulator.requests("acme"))] == [503, 503, 200]
    assert platform_simulator.state("acme", "vendors") == {"DC1:V1": {"name": "Supply"}}


def test_retry_after_is_honoured(platform_simulator: PlatformSimulatorHandle) -> None:
    waits: list[float] = []
    platform_simulator.fail(1, 429, retry_after=2)
    with make_client(platform_simulator, sleep=waits.append) as client:
        result = client.deliver("vendors", [upsert("DC1:V1", {})], delivery_id="v")

    assert result.attempts == 2
    assert waits and waits[0] >= 2  # waited at least what the platform asked, not the short back-off


def test_retry_after_beyond_the_budget_is_left_to_the_caller(platform_simulator: PlatformSimulatorHandle) -> None:
    waits: list[float] = []
    platform_simulator.fail(1, 503, retry_after=3600)
    with make_client(platform_simulator, sleep=waits.append) as client, pytest.raises(PlatformRetryableError) as caught:
        client.deliver("vendors", [upsert("DC1:V1", {})], delivery_id="v")

    assert caught.value.attempts == 1
    assert caught.value.retry_after == 3600
    assert waits == []


def test_retries_are_bounded_then_retryable_error(platform_simulator: PlatformSimulatorHandle) -> None:
    platform_simulator.fail(10, 502)
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, budget=30)
    with make_client(platform_simulator, retry=policy) as client, pytest.raises(PlatformRetryableError) as caught:
        client.deliver("vendors", [upsert("DC1:V1", {})], delivery_id="v")

    assert caught.value.attempts == 3
    assert caught.value.delivery_id == "v.0"
    assert "HTTP 502" in str(caught.value)
    assert len(platform_simulator.requests("acme")) == 3
    assert platform_simulator.state("acme", "vendors") == {}


def test_timeout_is_retried_and_the_platform_keeps_one_copy(platform_simulator: PlatformSimulatorHandle) -> None:
    # The platform stores the first request but answers too late: the retry must be a harmless duplicate.
    platform_simulator.fail(1, "timeout", delay=1.5)
    with make_client(platform_simulator, timeout=(2.0, 0.5)) as client:
        result = client.deliver("customers", customers(2), delivery_id="slow")

    assert result.attempts == 2
    assert result.duplicates == 1
    assert len(platform_simulator.deliveries("acme")) == 1
    assert len(platform_simulator.state("acme", "customers")) == 2


def test_connection_reset_is_retried(platform_simulator: PlatformSimulatorHandle) -> None:
    platform_simulator.fail(1, "reset")
    with make_client(platform_simulator) as client:
        result = client.deliver("customers", customers(1), delivery_id="r")

    assert result.attempts == 2
    assert result.duplicates == 0  # a reset before the platform read it stored nothing


def test_refused_connection_is_retryable() -> None:
    with recorder() as rec:
        url = rec.url  # a port that was open and is now closed
    client = PlatformClient(f"{url}/deliveries/acme", ACME_SECRET, retry=RetryPolicy(2, 0.01, 0.01, 5))
    with pytest.raises(PlatformRetryableError) as caught:
        client.deliver("customers", customers(1), delivery_id="x")
    assert caught.value.attempts == 2
    assert "connection failed" in str(caught.value)


def test_a_rejected_batch_reports_what_was_already_delivered(platform_simulator: PlatformSimulatorHandle) -> None:
    items = [*customers(2), {"action": "merge", "key": "AC1:BAD"}, *customers(1, start=5)]
    with make_client(platform_simulator, batch_size=2) as client, pytest.raises(PlatformRejected) as caught:
        client.deliver("customers", items, delivery_id="mixed")

    assert caught.value.status == 400
    assert "action" in caught.value.body
    assert caught.value.delivery_id == "mixed.1"
    assert [b.delivery_id for b in caught.value.delivered] == ["mixed.0"]
    assert caught.value.delivered_items == 2
    assert sorted(platform_simulator.state("acme", "customers")) == ["AC1:C0000", "AC1:C0001"]


def test_hosts_outside_allowed_hosts_are_refused_before_any_request(
    platform_simulator: PlatformSimulatorHandle,
) -> None:
    with (
        make_client(platform_simulator, allowed_hosts=("platform.example.com",)) as client,
        pytest.raises(PlatformConfigurationError) as caught,
    ):
        client.deliver("customers", customers(1), delivery_id="x")

    assert "not in the allowed outbound hosts" in str(caught.value)
    assert platform_simulator.requests() == []
    with make_client(platform_simulator, allowed_hosts=("127.0.0.1",)) as client:
        assert client.deliver("customers", customers(1), delivery_id="x").status == 200


def test_no_secret_means_no_delivery(platform_simulator: PlatformSimulatorHandle) -> None:
    with make_client(platform_simulator, secret="") as client, pytest.raises(PlatformConfigurationError):
        client.deliver("customers", customers(1), delivery_id="x")
    assert platform_simulator.requests() == []


def test_the_secret_never_reaches_logs_or_errors(
    platform_simulator: PlatformSimulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    platform_simulator.fail(1, 503)
    with make_client(platform_simulator) as client:
        client.deliver("customers", customers(2), delivery_id="ok")
        text = repr(client)
    with (
        make_client(platform_simulator, secret="a-wrong-secret-value") as wrong,
        pytest.raises(PlatformRejected) as caught,
    ):
        wrong.deliver("customers", customers(1), delivery_id="bad")

    messages = [record.getMessage() for record in caplog.records]
    assert any("ok.0: HTTP 503; retry 1" in m for m in messages)  # retries and outcomes are logged...
    assert any("ok.0: HTTP 200" in m for m in messages)
    for secret in (ACME_SECRET, "a-wrong-secret-value"):
        assert secret not in caplog.text
        assert secret not in str(caught.value) + caught.value.body + text  # ...but never the secret


def test_a_rejection_answer_is_redacted_and_cut_short() -> None:
    secret = "echoed-secret-1234"
    answer = (
        '{"error": "bad", "echo": "' + secret + '", "sig": "sha256=' + "ab" * 32 + '", "pad": "' + "x" * 5000 + '"}'
    ).encode()
    with recorder(status=422, answer=answer) as rec:
        client = PlatformClient(f"{rec.url}/deliveries/acme", secret)
        with pytest.raises(PlatformRejected) as caught:
            client.deliver("customers", customers(1), delivery_id="x")

    assert caught.value.status == 422
    assert secret not in caught.value.body
    assert "ab" * 32 not in caught.value.body
    assert len(caught.value.body) <= 1001


def test_the_sent_request_follows_the_contract() -> None:
    with recorder(status=200, answer=b'{"duplicate": false}') as rec:
        client = PlatformClient(f"{rec.url}/deliveries/acme/", ACME_SECRET)
        client.deliver("gl-accounts", [upsert("DC1:4000", {"title": "Revenue"})], delivery_id="gl-1")

    [sent] = rec.requests
    assert sent["path"] == "/deliveries/acme/gl-accounts"
    assert sent["headers"]["Idempotency-Key"] == "gl-1.0"
    assert sent["headers"]["X-Spectrum-Sync-Signature"].startswith("sha256=")
    assert sent["headers"]["X-Spectrum-Sync-Timestamp"].isdigit()
    assert sent["body"].startswith(b'{"delivery_id":"gl-1.0","resource":"gl-accounts","items":[')


def test_tenant_glue_builds_a_client_that_delivers(tenant: Any, platform_simulator: PlatformSimulatorHandle) -> None:
    from spectrum_sync.connections import platform_client

    platform_simulator.use_for(tenant)
    with platform_client(tenant) as client:
        result = client.deliver("customers", customers(1), delivery_id="glue")

    assert result.status == 200
    assert list(platform_simulator.state("acme", "customers")) == ["AC1:C0000"]
