"""The Spectrum Data Exchange simulator's HTTP server (standard library, one thread per request).

Routes (docs/spectrum.md#endpoints, docs/spectrum.md#wsdl):

- ``GET /wsdls/<Name>.jws`` (also ``?wsdl``, and ``/ws/<Name>.jws?wsdl``): the WSDL.
- ``POST /ws/<Name>`` (also ``/ws/<Name>.jws`` and the WSDL URL): SOAP 1.1.
- ``GET /vendors/<Company_Code>``; ``POST /customer/invoice``, ``/vendor/invoice``, ``/purchaseOrders``,
  ``/purchaseOrder/PackingList``: REST with Basic (``Company_Code:Authorization_ID``) or Bearer.
- ``POST /connect/token``, ``POST /secretRotation``: Enhanced Authentication.
- ``/_sim/...``: knobs for tests and benchmarks, never part of Spectrum:
  ``POST /_sim/faults`` (rate, kinds, services, queue, latency_ms, timeout_seconds, seed, and for
  the ``drip`` kind drip_bytes, drip_seconds, drip_after_bytes: after the request is processed the
  whole reply, status line and headers included, goes out ``drip_bytes`` at a time with a pause of
  ``drip_seconds`` after each piece, the first ``drip_after_bytes`` at full speed; read to the end it
  is a valid reply; the thread stops when the client hangs up),
  ``POST /_sim/config`` (row_cap, guid_timeout_seconds, server_version, token_lifetime_seconds,
  rotation_days, ar_window_days_back / ahead, advance_clock_seconds), ``GET /_sim/counters``,
  ``POST /_sim/reset``, ``POST /_sim/auth`` (add or replace an Authorization ID), ``GET /_sim/health``.
  The counters include ``drips``: per dripped reply its path, seconds, bytes sent and whether the
  client read it to the end (``completed``) or hung up first.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from lxml import etree

from connectors.spectrum import layouts
from connectors.spectrum.errors import SpectrumMessage
from connectors.spectrum.simulator import gets, puts, rest
from connectors.spectrum.simulator.state import BEFORE_PROCESSING, AuthIdentity, SimulatorState
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

DEMO_AUTH_ID = "SSYNCDEMO"
DEMO_CLIENT_ID = "ssync-demo-client"
DEMO_CLIENT_SECRET = "ssync-demo-secret-0001"  # noqa: S105 - the demo's published test credential


def demo_identities() -> list[AuthIdentity]:
    """The demo Authorization ID (spectrum_sync/demo.py): both companies, every service, Enhanced
    Authentication credentials."""
    return [AuthIdentity(DEMO_AUTH_ID, ("DC1", "DC2"), client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)]


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _element(name: str, value: str) -> str:
    # Empty values come back as self-closing elements (docs/spectrum.md#soap-envelope).
    return f"<{name}>{escape(value)}</{name}>" if value else f"<{name}/>"


def render_row(names: Iterable[str], row: Mapping[str, str]) -> str:
    return "<response>\n" + "".join(_element(n, row.get(n, "")) for n in names) + "\n</response>\n"


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


class _DripWriter:
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


class _Reply(Exception):
    """Short-circuit a handler with a complete HTTP answer."""

    def __init__(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type


def _json(status: int, payload: Any) -> _Reply:
    return _Reply(status, json.dumps(payload).encode(), "application/json")


class SpectrumSimulator:
    """The simulator: a store, its remembered state, and a threaded HTTP server on loopback."""

    def __init__(
        self, store: Store, state: SimulatorState | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.store = store
        self.state = state or SimulatorState(demo_identities())
        self.write_lock = threading.Lock()  # Puts one at a time: check-then-write stays atomic
        handler = type("Handler", (_Handler,), {"sim": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        """Serve in a background thread; returns the base URL."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="spectrum-simulator", daemon=True)
        self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    sim: SpectrumSimulator
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
            raise _json(413, {"error": "request too large"})
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

    def _dispatch(self, method: str) -> None:  # noqa: C901 — one flat branch per simulated fault and route
        path = urlsplit(self.path).path
        latency = self.sim.state.faults.latency_ms
        if latency and not path.startswith("/_sim/"):
            time.sleep(latency / 1000)
        hung_up = False
        try:
            self._read_body()
            if path.startswith("/_sim/"):
                self._sim_knob(method, path)
            elif method == "GET" and (path.startswith("/wsdls/") or "wsdl" in (urlsplit(self.path).query or "")):
                self._wsdl(path)
            elif method == "POST" and (path.startswith("/ws/") or path.startswith("/wsdls/")):
                self._soap(path)
            elif method == "POST" and path == "/connect/token":
                self._token()
            elif method == "POST" and path == "/secretRotation":
                self._rotation()
            elif method == "GET" and path.startswith("/vendors/"):
                self._rest_vendors(unquote(path[len("/vendors/") :]))
            elif method == "POST" and path.lstrip("/") in rest.REST_POSTS:
                self._rest_post(path.lstrip("/"))
            else:
                raise _json(404, {"error": f"no such service {path}"})
        except _Reply as reply:
            try:
                self._send(reply.status, reply.body, reply.content_type)
            except ConnectionError:
                hung_up = True
        except ConnectionError:  # the client hung up (BrokenPipe, ConnectionReset...): stop quietly
            hung_up = True
        except Exception:
            logger.exception("simulator error on %s", path)
            self._send(500, b'{"error": "simulator error"}', "application/json")
        finally:
            self._end_drip(path, completed=not hung_up)
        if hung_up:
            self.close_connection = True

    def _start_drip(self) -> None:
        f = self.sim.state.faults
        self.wfile = _DripWriter(self.wfile, f.drip_bytes, f.drip_seconds, f.drip_after_bytes)  # type: ignore[assignment]

    def _end_drip(self, path: str, *, completed: bool) -> None:
        writer = self.wfile
        if isinstance(writer, _DripWriter):
            self.wfile = writer.raw
            seconds = time.monotonic() - writer.started
            self.sim.state.count_drip(path, seconds, writer.sent, completed=completed)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # -- WSDL -------------------------------------------------------------------------------------

    def _wsdl(self, path: str) -> None:
        from connectors.spectrum.simulator.wsdl import wsdl

        name = path.rsplit("/", 1)[-1].removesuffix(".jws")
        layout = layouts.SOAP_SERVICES.get(name)
        if layout is None:
            raise _json(404, {"error": f"no WSDL {name}"})
        self._send(200, wsdl(layout, self.sim.url).encode(), "text/xml; charset=utf-8")

    # -- SOAP -------------------------------------------------------------------------------------

    def _soap(self, path: str) -> None:
        name = path.rsplit("/", 1)[-1].removesuffix(".jws")
        layout = layouts.SOAP_SERVICES.get(name)
        if layout is None:
            raise _Reply(404, fault_envelope("Client", f"no web service {name}"), "text/xml; charset=utf-8")
        values = self._soap_values(layout)
        state = self.sim.state
        state.count_request(name)
        fault = state.pick_fault(name)
        if fault in BEFORE_PROCESSING:
            self._before_fault(fault)
            return
        self._check_bearer()
        if layout.kind == "get":
            self._soap_get(layout, values, fault)
        else:
            self._soap_put(layout, values, fault)

    def _soap_values(self, layout: layouts.Layout) -> dict[str, str]:
        body = self._body()
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        try:
            root = etree.fromstring(body, parser)
        except etree.XMLSyntaxError as exc:
            raise _Reply(500, fault_envelope("Client", f"request is not XML: {exc}"), "text/xml") from None
        bodies = [el for el in root.iter() if _local(el.tag) == "Body"]
        method = next((child for child in (bodies[0] if bodies else []) if isinstance(child.tag, str)), None)
        if method is None or _local(method.tag) != layout.name:
            raise _Reply(500, fault_envelope("Client", f"body is not a {layout.name} request"), "text/xml")
        values = {_local(child.tag): (child.text or "").strip() for child in method if isinstance(child.tag, str)}
        # Every declared element must be present, empty if unused, or the server faults
        # (docs/spectrum.md#soap-envelope).
        missing = [n for n in ("Authorization_ID", "GUID", *layout.names) if n not in values]
        if missing:
            raise _Reply(500, fault_envelope("Client", f"{FAULT_TEXT}: element {missing[0]} is missing"), "text/xml")
        return values

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
            raise _json(401, {"error": "invalid_token"})

    def _authorize(
        self, layout: layouts.Layout, values: Mapping[str, str]
    ) -> tuple[AuthIdentity | None, str, SpectrumMessage | None]:
        identity = self.sim.state.identity(values.get("Authorization_ID", ""))
        if identity is None or not identity.allows(layout.name):
            return None, "", SpectrumMessage("A", NOT_AUTHORIZED, "Authorization_ID")
        company_field = "pCompany_Code" if layout.kind == "get" else "Company_Code"
        company = values.get(company_field, "").upper() or identity.default_company
        if layout.kind != "test" and company not in identity.companies:
            message = f"{company_field} {company} is not authorized for this Authorization ID"
            return identity, company, SpectrumMessage("A", message, company_field)
        return identity, company, None

    def _soap_get(self, layout: layouts.Layout, values: dict[str, str], fault: str) -> None:
        _identity, company, problem = self._authorize(layout, values)
        head = (
            f'{ENVELOPE_HEAD}<nis:{layout.name}Response xmlns:nis="{PROIV_NS}">\n<returnArray>\n<returnData>\n'
            f"<{layout.wrapper}>\n"
        )
        tail = f"</{layout.wrapper}>\n</returnData>\n</returnArray>\n</nis:{layout.name}Response>\n{ENVELOPE_TAIL}"
        names = layout.returns
        if problem is not None:
            code = "E" if problem.column == "Authorization_ID" else "A"
            text = GET_NOT_AUTHORIZED if problem.column == "Authorization_ID" else problem.message
            error = {"Error_Code": code, "Error_Description": text, "Error_Column": problem.column}
            self._send(200, (head + render_row(names, error) + tail).encode(), "text/xml; charset=utf-8")
            return
        guid = self.sim.state.use_guid(layout.name, values.get("GUID", ""), values["Authorization_ID"])
        if guid in ("timeout", "foreign"):
            text = "Time out has occurred" if guid == "timeout" else "GUID is in use by another Authorization ID"
            error = {"Error_Code": "E", "Error_Description": text, "Error_Column": "GUID"}
            self._send(200, (head + render_row(names, error) + tail).encode(), "text/xml; charset=utf-8")
            return
        if guid == "reused":
            # A consumed GUID: one empty row (docs/spectrum.md#authorization-id-and-guid).
            rows: Iterator[dict[str, str]] = iter([{}])
        else:
            rows = gets.GETS[layout.name](self.sim.store, company, values)
        if self._after_fault(fault, head):
            return
        self._send_chunks(200, self._get_chunks(head, tail, names, rows, fault), "text/xml; charset=utf-8")

    def _get_chunks(
        self, head: str, tail: str, names: tuple[str, ...], rows: Iterator[dict[str, str]], fault: str
    ) -> Iterator[bytes]:
        cap = self.sim.state.config.row_cap
        parts: list[str] = [head]
        size = len(head)
        for count, row in enumerate(rows, start=1):
            if cap and count > cap:
                warning = {
                    "Error_Code": "W",
                    "Error_Description": f"The number of records exceeds maximum of {cap}",
                    "Error_Column": "",
                }
                parts.append(render_row(names, warning))
                break
            text = render_row(names, row)
            parts.append(text)
            size += len(text)
            if size >= CHUNK:
                yield "".join(parts).encode()
                parts, size = [], 0
        if fault == "truncate":
            yield "".join(parts).encode()  # closing tags cut after the last complete row
            return
        if fault == "truncate_mid":
            yield ("".join(parts) + "<response>\n<Company_Code>DC").encode()
            return
        parts.append(tail)
        yield "".join(parts).encode()

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

    def _soap_put(self, layout: layouts.Layout, values: dict[str, str], fault: str) -> None:
        _identity, company, problem = self._authorize(layout, values)
        if problem is not None:
            messages = [problem]
        elif layout.kind == "test":
            messages = self._test_connection(values)
        else:
            messages = self._put(layout, values, company)
        if self._after_fault(fault, ""):
            return
        truncate = fault if fault in ("truncate", "truncate_mid") else ""
        self._send(200, put_envelope(layout.name, messages, truncate=truncate), "text/xml; charset=utf-8")

    def _test_connection(self, values: Mapping[str, str]) -> list[SpectrumMessage]:
        # docs/spectrum.md#wstestconnection: Version validated against the server's (n.n)
        wanted = self.sim.state.config.server_version
        sent = values.get("Version", "")
        if not sent:
            return [layouts.msg_missing("Version")]
        if _version_tuple(sent) != _version_tuple(wanted):
            return [SpectrumMessage("I", f"Version is invalid, the web services are at version {wanted}", "Version")]
        return [SpectrumMessage("S", f"Connection successful. Version {wanted}", "")]

    def _put(self, layout: layouts.Layout, values: dict[str, str], company: str) -> list[SpectrumMessage]:
        state = self.sim.state
        guid = state.use_guid(layout.name, values.get("GUID", ""), values["Authorization_ID"])
        if guid == "timeout":
            return [SpectrumMessage("I", "Time out has occurred", "GUID")]
        if guid == "foreign":
            return [SpectrumMessage("I", "GUID is in use by another Authorization ID for this web service", "GUID")]
        record = {n: values.get(n, "") for n in layout.names}
        if "Company_Code" in record and not record["Company_Code"]:
            # Defaults from the Authorization ID (docs/spectrum.md#authorization-id-and-guid).
            record["Company_Code"] = company
        problems = layouts.validate(layout, record)
        if problems:
            return problems
        with self.sim.write_lock:
            messages, key = puts.PUTS[layout.name](puts.PutContext(self.sim.store, state, company), record)
        if key:
            state.count_accepted(layout.name, key)
        return messages

    # -- REST -------------------------------------------------------------------------------------

    def _rest_identity(self, service: str) -> tuple[AuthIdentity, str]:
        header = self.headers.get("Authorization", "")
        identity: AuthIdentity | None = None
        company = ""
        if header.lower().startswith("basic "):
            try:
                company, _, auth_id = base64.b64decode(header[6:].strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise _json(401, {"error": "bad Basic credentials"}) from None
            identity = self.sim.state.identity(auth_id)
        elif header.lower().startswith("bearer "):
            identity = self.sim.state.identity_for_token(header[7:].strip())
        if identity is None:
            # REST requires Basic or Bearer (docs/spectrum.md#authentication)
            raise _Reply(401, json.dumps({"error": "unauthorized"}).encode())
        if not identity.allows(service):
            raise _json(403, {"error_code": "A", "desc": NOT_AUTHORIZED, "column": "Authorization_ID"})
        return identity, company.upper() or identity.default_company

    def _rest_vendors(self, company: str) -> None:
        self.sim.state.count_request("GetVendors(REST)")
        identity, _ = self._rest_identity("GetVendors")
        if company.upper() not in identity.companies:
            raise _json(403, {"error_code": "A", "desc": "Company is not authorized", "column": "Company_Code"})
        query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        limit = max(1, min(500, int(query.get("$limit", "25") or 25)))
        skip = max(0, int(query.get("$skip", "0") or 0))
        page: list[dict[str, str]] = []
        for i, row in enumerate(gets.vendors(self.sim.store, company.upper(), query, active_only=True)):
            if i >= skip + limit:
                break
            if i >= skip:
                page.append({k: v for k, v in row.items() if k != "Status"})
        self._send(200, json.dumps(page).encode(), "application/json")

    def _rest_post(self, service: str) -> None:
        state = self.sim.state
        state.count_request(service)
        fault = state.pick_fault(service)
        if fault in BEFORE_PROCESSING:
            self._before_fault(fault)
            return
        identity, company = self._rest_identity(service)
        try:
            body = json.loads(self._body() or b"{}")
        except ValueError:
            raise _json(400, {"error": "body is not JSON"}) from None
        root, handler = rest.REST_POSTS[service]
        documents = body.get(root) if isinstance(body, dict) else None
        if not isinstance(documents, list):
            raise _json(400, {"error": f"body needs a {root} list"})
        results = [self._rest_document(identity, company, service, handler, doc) for doc in documents]
        if self._after_fault(fault, ""):
            return
        status = 200 if all(r["status"] == "imported" for r in results) else 400
        self._send(status, json.dumps({"results": results}).encode(), "application/json")

    def _rest_document(
        self, identity: AuthIdentity, company: str, service: str, handler: Any, doc: Any
    ) -> dict[str, Any]:
        if not isinstance(doc, dict):
            return {
                "status": "rejected",
                "key": "",
                "messages": [{"error_code": "I", "desc": "not an object", "column": ""}],
            }
        doc_company = rest.company_of(doc, company)
        if doc_company not in identity.companies:
            msg = SpectrumMessage(
                "A", f"Company_Code {doc_company} is not authorized for this Authorization ID", "Company_Code"
            )
            messages, key = [msg], ""
        else:
            with self.sim.write_lock:
                messages, key = handler(puts.PutContext(self.sim.store, self.sim.state, doc_company), doc)
        if key:
            self.sim.state.count_accepted(service, key)
        number = next((m.message for m in messages if m.code == "G"), "")
        return {
            "status": "imported" if key else "rejected",
            "key": number,
            "messages": [{"error_code": m.code, "desc": m.message, "column": m.column} for m in messages],
        }

    # -- Enhanced Authentication ------------------------------------------------------------------

    def _credentials(self) -> Mapping[str, str]:
        raw = self._body()
        if "json" in self.headers.get("Content-Type", ""):
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                raise _json(400, {"error": "invalid_request"}) from None
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}

    def _client(self) -> AuthIdentity:
        form = self._credentials()
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "spectrumapi":
            raise _json(400, {"error": "invalid_request"})
        identity = self.sim.state.identity_for_client(form.get("client_id", ""), form.get("client_secret", ""))
        if identity is None:
            raise _json(401, {"error": "invalid_client"})
        return identity

    def _token(self) -> None:
        # docs/spectrum.md#enhanced-authentication, /connect/token
        self.sim.state.count_request("connect/token")
        token, lifetime = self.sim.state.issue_token(self._client())
        payload = {"access_token": token, "expires_in": lifetime, "token_type": "Bearer", "scope": "spectrumapi"}
        self._send(200, json.dumps(payload).encode(), "application/json")

    def _rotation(self) -> None:
        # docs/spectrum.md#enhanced-authentication, /secretRotation
        state = self.sim.state
        state.count_request("secretRotation")
        fault = state.pick_fault("secretRotation")
        if fault in BEFORE_PROCESSING:
            self._before_fault(fault)
            return
        secret, expires = state.rotate_secret(self._client())
        if self._after_fault(fault, ""):  # rotated, but the caller may never learn the new secret
            return
        payload = {"client_secret": secret, "estimated_expiration": expires.strftime("%Y-%m-%dT%H:%M:%S%z")}
        self._send(200, json.dumps(payload).encode(), "application/json")

    # -- test knobs -------------------------------------------------------------------------------

    def _sim_knob(self, method: str, path: str) -> None:
        state = self.sim.state
        knobs = json.loads(self._body() or b"{}") if method == "POST" else {}
        try:
            if path == "/_sim/faults" and method == "POST":
                state.set_faults(**knobs)
            elif path == "/_sim/config" and method == "POST":
                state.set_config(**knobs)
            elif path == "/_sim/reset" and method == "POST":
                state.reset()
            elif path == "/_sim/auth" and method == "POST":
                state.put_identity(
                    AuthIdentity(
                        knobs["authorization_id"],
                        tuple(knobs.get("companies", ())),
                        tuple(knobs.get("services", ("*",))),
                        bool(knobs.get("active", True)),
                        knobs.get("client_id", ""),
                        knobs.get("client_secret", ""),
                    )
                )
            elif path == "/_sim/counters" and method == "GET":
                raise _json(200, state.counters())
            elif path == "/_sim/health" and method == "GET":
                raise _json(200, {"ok": True, "store": self.sim.store.dialect})
            else:
                raise _json(404, {"error": f"no knob {path}"})
        except (ValueError, TypeError, KeyError) as exc:
            raise _json(400, {"error": str(exc)}) from None
        raise _json(200, {"ok": True})


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in text.strip().split(".") if p.isdigit()]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)
