"""Small loopback HTTP helpers for the platform tests (standard library only)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def http(method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """One request; returns (status, parsed JSON or text) without raising on 4xx/5xx."""
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode()


@dataclass
class Recorder:
    """A loopback HTTP server that records each request and answers a fixed status and body."""

    status: int = 202
    answer: bytes = b'{"id": 1, "status": "pending", "status_url": "/api/v1/sync-records/1/"}'
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@contextmanager
def recorder(status: int = 202, answer: bytes | None = None) -> Iterator[Recorder]:
    rec = Recorder(status=status) if answer is None else Recorder(status=status, answer=answer)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rec.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
            self.send_response(rec.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(rec.answer)))
            self.end_headers()
            self.wfile.write(rec.answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(Handler) as rec.url:
        yield rec


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port for the block; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
