"""A threaded HTTP/1.1 server for the simulator's WSGI app, from the standard library only.

``wsgiref.simple_server`` answers one request per connection (HTTP/1.0); the client under test
keeps connections alive in a pool, so this small adapter on :mod:`http.server` speaks HTTP/1.1
keep-alive instead. It reads the whole request body (bounded) before calling the app, and turns
:class:`~connectors.platform.simulator.app.AbortConnection` into a TCP reset.
"""

from __future__ import annotations

import io
import logging
import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from connectors.platform.simulator.app import MAX_BODY_BYTES, AbortConnection, PlatformSimulatorApp

logger = logging.getLogger("connectors.platform.simulator")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PlatformSimulator/1.0"
    # Headers and body go out in separate writes; with Nagle on, a kept-alive connection then
    # waits for the client's delayed ACK (~40 ms) on every answer.
    disable_nagle_algorithm = True
    server: SimulatorHTTPServer

    def do_GET(self) -> None:
        self._run()

    do_POST = do_GET
    do_PUT = do_GET
    do_DELETE = do_GET

    def _run(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self.send_error(413, "body too large")
            return
        body = self.rfile.read(length) if length > 0 else b""
        environ = self._environ(body)
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"], captured["headers"] = status, headers

        try:
            payload = b"".join(self.server.app(environ, start_response))
        except AbortConnection:
            self._reset()
            return
        except Exception:  # a simulator bug must still answer, as a platform's 500 would
            logger.exception("platform simulator failed on %s %s", self.command, self.path)
            payload = b'{"error": "simulator error"}'
            captured["status"] = "500 Internal Server Error"
            captured["headers"] = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        code, _, reason = captured["status"].partition(" ")
        try:
            self.send_response(int(code), reason)
            for name, value in captured["headers"]:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. after an injected timeout): nothing left to tell it.
            self.close_connection = True

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "sim.body": body,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = value
        return environ

    def _reset(self) -> None:
        """Close with RST (linger 0), the way a crashed proxy drops a connection."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.client_address[0], *args)


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: PlatformSimulatorApp) -> None:
        self.app = app
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"


class RunningSimulator:
    """A simulator serving in a background thread (tests, benchmarks). Use as a context manager."""

    def __init__(self, app: PlatformSimulatorApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.server = SimulatorHTTPServer((host, port), app)
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="platform-simulator", daemon=True
        )

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> RunningSimulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> RunningSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
