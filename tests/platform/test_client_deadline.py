"""The platform's answer dripping in a byte at a time: the client's deadline cuts it and retries.

A loopback server answers the first ``drips`` deliveries slowly (status line and headers at once,
then the JSON a byte every 0.1 s, well inside the read timeout) and the rest at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from connectors.platform.client import PlatformClient, RetryPolicy, upsert
from connectors.platform.errors import PlatformRetryableError
from tests.fixtures_platform import ACME_SECRET
from tests.platform.helpers import serving

ANSWER = b'{"stored": true, "duplicate": false, "padding": "' + b"x" * 200 + b'"}'
DEADLINE = 1.0
MARGIN = 0.6


@dataclass
class DripServer:
    drips: int
    url: str = ""
    delivery_ids: list[str] = field(default_factory=list)
    hang_ups: list[float] = field(default_factory=list)  # seconds each drip lasted before the client left


@contextmanager
def drip_server(drips: int) -> Iterator[DripServer]:
    state = DripServer(drips)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.delivery_ids.append(self.headers.get("Idempotency-Key", ""))
            slow = len(state.delivery_ids) <= state.drips
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(ANSWER)))
            self.end_headers()
            if not slow:
                self.wfile.write(ANSWER)
                return
            started = time.monotonic()
            try:
                for i in range(len(ANSWER)):
                    self.wfile.write(ANSWER[i : i + 1])
                    time.sleep(0.1)
            except ConnectionError:
                state.hang_ups.append(time.monotonic() - started)
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(Handler) as state.url:
        yield state


def client(url: str, attempts: int) -> PlatformClient:
    return PlatformClient(
        f"{url}/deliveries/acme",
        ACME_SECRET,
        timeout=(2.0, 5.0),  # each byte comes well within the read timeout
        reply_deadline=DEADLINE,
        retry=RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.01, budget=30),
    )


def wait_hang_ups(server: DripServer, count: int) -> list[float]:
    deadline = time.monotonic() + 5
    while len(server.hang_ups) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return server.hang_ups


def test_a_dripping_answer_is_cut_at_the_deadline_and_reported_in_plain_words() -> None:
    with drip_server(drips=2) as server:
        started = time.monotonic()
        with pytest.raises(PlatformRetryableError) as caught:
            client(server.url, attempts=2).deliver("customers", [upsert("AC1:C1", {"n": 1})], delivery_id="d1")
        elapsed = time.monotonic() - started
        hang_ups = wait_hang_ups(server, 2)
    assert "the platform's answer was still arriving after 1 s (the limit is 1 s)" in str(caught.value)
    assert "the connection was closed" in str(caught.value)
    assert caught.value.attempts == 2
    assert elapsed < 2 * (DEADLINE + MARGIN)  # the drip alone would take 25 s a try
    assert len(hang_ups) == 2 and max(hang_ups) < DEADLINE + MARGIN


def test_the_retry_after_a_cut_answer_repeats_the_same_delivery_id_and_succeeds() -> None:
    with drip_server(drips=1) as server:
        result = client(server.url, attempts=3).deliver("customers", [upsert("AC1:C1", {"n": 1})], delivery_id="d2")
    assert result.attempts == 2
    assert server.delivery_ids == ["d2.0", "d2.0"]  # the platform stores a repeat once
