"""The simulator's wire: envelopes, the faults' bodies, and the request plumbing every route uses
(docs/spectrum.md#soap-envelope, docs/spectrum.md#replies-and-codes). ``server.py`` routes SOAP,
``rest_routes.py`` the REST services, Enhanced Authentication and the test knobs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from xml.sax.saxutils import escape

from connectors.spectrum.errors import SpectrumMessage
from connectors.spectrum.simulator.state import SimulatorState
from connectors.spectrum.simulator.store import Store
from connectors.spectrum.soap import PROIV_NS, SOAP_ENV_NS

logger = logging.getLogger("connectors.spectrum.simulator")

MAX_REQUEST_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024
# The wording of the help pages' examples (docs/spectrum.md#replies-and-codes): Put, then Get.
NOT_AUTHORIZED = "The Web Service is not authorized. Authorization ID is not setup in the system."
GET_NOT_AUTHORIZED = "The web service is not Authorized"
FAULT_TEXT = "Error executing Web Service"  # docs/spectrum.md#soap-envelope

ENVELOPE_HEAD = (
    f'<SOAP-ENV:Envelope SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" '
    f'xmlns:SOAP-ENV="{SOAP_ENV_NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<SOAP-ENV:Header/>\n<SOAP-ENV:Body>\n'
)
ENVELOPE_TAIL = "</SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n"


def local_name(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def element(name: str, value: str) -> str:
    # Empty values come back as self-closing elements (docs/spectrum.md#soap-envelope).
    return f"<{name}>{escape(value)}</{name}>" if value else f"<{name}/>"


def render_row(names: Iterable[str], row: Mapping[str, str]) -> str:
    return "<response>\n" + "".join(element(n, row.get(n, "")) for n in names) + "\n</response>\n"


def put_envelope(method: str, messages: list[SpectrumMessage], *, truncate: str = "") -> bytes:
    """A Put reply: lower-case error_code / desc / column per message (docs/spectrum.md#replies-and-codes)."""
    rows = "".join(
        render_row(("error_code", "desc", "column"), {"error_code": m.code, "desc": m.message, "column": m.column})
        for m in messages
    )
    head = f'{ENVELOPE_HEAD}<nis:{method}Response xmlns:nis="{PROIV_NS}">\n<returnArray>\n<returnData>\n'
    if truncate == "truncate":
        return (head + rows).encode()
    if truncate == "truncate_mid":
        return (head + rows + "<response>\n<error_code>G</err").encode()
    return (head + rows + f"</returnData>\n</returnArray>\n</nis:{method}Response>\n{ENVELOPE_TAIL}").encode()


def fault_envelope(code: str, text: str) -> bytes:
    return (
        f"{ENVELOPE_HEAD}<SOAP-ENV:Fault>\n<faultcode>SOAP-ENV:{code}</faultcode>\n"
        f"<faultstring>{escape(text)}</faultstring>\n</SOAP-ENV:Fault>\n{ENVELOPE_TAIL}"
    ).encode()


HOSTILE_XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n'
    + ENVELOPE_HEAD.encode()
    + b"<returnArray><returnData><response><Name>&x;</Name></response></returnData></returnArray>"
    + ENVELOPE_TAIL.encode()
)
HOSTILE_BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9))
    + b"]>\n"
    + ENVELOPE_HEAD.encode()
    + b"<returnArray><returnData><response><Name>&j;</Name></response></returnData></returnArray>"
    + ENVELOPE_TAIL.encode()
)
GARBAGE = b"<html><head><title>502 Proxy Error</title></head><body><h1>Proxy Error</h1><p>upstream"


def hostile_huge(size_mb: int = 200) -> Iterator[bytes]:
    yield (ENVELOPE_HEAD + "<returnArray><returnData><response><Name>").encode()
    block = b"A" * (1024 * 1024)
    for _ in range(size_mb):
        yield block
    yield ("</Name></response></returnData></returnArray>" + ENVELOPE_TAIL).encode()


class DripWriter:
    """Stands in for the handler's ``wfile`` during a "drip" fault: every write goes out a few
    bytes at a time with a pause after each piece, after ``fast`` bytes at full speed."""

    def __init__(self, raw: Any, piece: int, pause: float, fast: int) -> None:
        self.raw, self.piece, self.pause, self.fast = raw, max(1, piece), pause, fast
        self.sent = 0
        self.started = time.monotonic()

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            part = view[: self.fast - self.sent] if self.sent < self.fast else view[: self.piece]
            self.raw.write(part)  # raises BrokenPipe / ConnectionReset once the client hung up
            self.sent += len(part)
            view = view[len(part) :]
            if self.sent > self.fast:
                time.sleep(self.pause)
        return len(data)

    def flush(self) -> None:
        self.raw.flush()


class Reply(Exception):
    """Short-circuit a handler with a complete HTTP answer."""

    def __init__(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type


def json_reply(status: int, payload: Any) -> Reply:
    return Reply(status, json.dumps(payload).encode(), "application/json")


class Simulated(Protocol):
    """What a request handler reads of the simulator (``server.SpectrumSimulator``)."""

    store: Store
    state: SimulatorState
    write_lock: threading.Lock

    @property
    def url(self) -> str: ...


class HandlerBase(BaseHTTPRequestHandler):
    """Reading the request, sending the reply, and the faults that replace or slow a reply."""

    sim: Simulated
    protocol_version = "HTTP/1.1"
    server_version = "SpectrumSimulator/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def handle(self) -> None:
        try:
            super().handle()
        except ConnectionError:
            # The client hung up (reset) between two requests of a kept-alive connection, e.g. after
            # closing a reply it stopped reading: nothing to answer, nothing to report.
            self.close_connection = True

    # -- plumbing ---------------------------------------------------------------------------------

    def _read_body(self) -> None:
        # Read the whole request body before any answer, or a refused request would leave its body
        # on a kept-alive connection to be misread as the next request.
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True
            raise json_reply(413, {"error": "request too large"})
        self._raw_body = self.rfile.read(length) if length else b""

    def _body(self) -> bytes:
        return self._raw_body

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_chunks(self, status: int, chunks: Iterable[bytes], content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in chunks:
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def _start_drip(self) -> None:
        f = self.sim.state.faults
        self.wfile = DripWriter(self.wfile, f.drip_bytes, f.drip_seconds, f.drip_after_bytes)  # type: ignore[assignment]

    def _end_drip(self, path: str, *, completed: bool) -> None:
        writer = self.wfile
        if isinstance(writer, DripWriter):
            self.wfile = writer.raw
            seconds = time.monotonic() - writer.started
            self.sim.state.count_drip(path, seconds, writer.sent, completed=completed)

    def _before_fault(self, fault: str) -> None:
        if fault == "fault":
            self._send(500, fault_envelope("Server", FAULT_TEXT), "text/xml; charset=utf-8")
        elif fault == "http503":
            self._send(503, b"Service Unavailable", "text/plain")
        else:
            self._send(500, b"<html><body>Internal Server Error</body></html>", "text/html")

    def _check_bearer(self) -> None:
        header = self.headers.get("Authorization", "")
        if header.lower().startswith("bearer ") and not self.sim.state.identity_for_token(header[7:].strip()):
            raise json_reply(401, {"error": "invalid_token"})

    def _after_fault(self, fault: str, head: str) -> bool:
        """Faults that replace the reply once the work is done; True when the reply was sent."""
        if fault == "timeout":
            time.sleep(self.sim.state.faults.timeout_seconds)
            self.close_connection = True
            return True
        if fault == "drop":
            self.close_connection = True
            return True
        if fault == "drip":
            self._start_drip()
            return False  # the usual reply follows, slowly
        if fault == "garbage":
            self._send(200, GARBAGE, "text/html")
            return True
        if fault == "reset_mid":
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            part = (head or ENVELOPE_HEAD).encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part) + 100, part))  # announces more than it sends
            self.close_connection = True
            return True
        if fault == "hostile_xxe":
            self._send(200, HOSTILE_XXE, "text/xml")
            return True
        if fault == "hostile_bomb":
            self._send(200, HOSTILE_BOMB, "text/xml")
            return True
        if fault == "hostile_huge":
            self.close_connection = True
            self._send_chunks(200, hostile_huge(), "text/xml")
            return True
        return False
