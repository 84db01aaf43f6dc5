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

This module routes and answers SOAP; ``rest_routes.py`` the REST services, Enhanced Authentication
and the knobs; ``wire.py`` the envelopes and the request plumbing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from lxml import etree

from connectors.spectrum import layouts, rules
from connectors.spectrum.errors import SpectrumMessage
from connectors.spectrum.simulator import gets, puts, rest
from connectors.spectrum.simulator.rest_routes import RestRoutes
from connectors.spectrum.simulator.state import BEFORE_PROCESSING, AuthIdentity, SimulatorState
from connectors.spectrum.simulator.store import Store
from connectors.spectrum.simulator.wire import (
    CHUNK,
    ENVELOPE_HEAD,
    ENVELOPE_TAIL,
    FAULT_TEXT,
    GET_NOT_AUTHORIZED,
    NOT_AUTHORIZED,
    Reply,
    fault_envelope,
    json_reply,
    local_name,
    put_envelope,
    render_row,
)
from connectors.spectrum.soap import PROIV_NS

logger = logging.getLogger("connectors.spectrum.simulator")

DEMO_AUTH_ID = "SSYNCDEMO"
DEMO_CLIENT_ID = "ssync-demo-client"
DEMO_CLIENT_SECRET = "ssync-demo-secret-0001"  # noqa: S105 - the demo's published test credential


def demo_identities() -> list[AuthIdentity]:
    """The demo Authorization ID (spectrum_sync/demo.py): both companies, every service, Enhanced
    Authentication credentials."""
    return [AuthIdentity(DEMO_AUTH_ID, ("DC1", "DC2"), client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)]


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


class _Handler(RestRoutes):
    sim: SpectrumSimulator

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
                raise json_reply(404, {"error": f"no such service {path}"})
        except Reply as reply:
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

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # -- WSDL -------------------------------------------------------------------------------------

    def _wsdl(self, path: str) -> None:
        from connectors.spectrum.simulator.wsdl import wsdl

        name = path.rsplit("/", 1)[-1].removesuffix(".jws")
        layout = layouts.SOAP_SERVICES.get(name)  # a WSDL by its file name only
        if layout is None:
            raise json_reply(404, {"error": f"no WSDL {name}"})
        self._send(200, wsdl(layout, self.sim.url).encode(), "text/xml; charset=utf-8")

    # -- SOAP -------------------------------------------------------------------------------------

    def _soap(self, path: str) -> None:
        name = path.rsplit("/", 1)[-1].removesuffix(".jws")
        layout = layouts.soap_service(name)  # the WSDL's name, or the method's where they differ
        if layout is None:
            raise Reply(404, fault_envelope("Client", f"no web service {name}"), "text/xml; charset=utf-8")
        name = layout.name
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
            raise Reply(500, fault_envelope("Client", f"request is not XML: {exc}"), "text/xml") from None
        bodies = [el for el in root.iter() if local_name(el.tag) == "Body"]
        method = next((child for child in (bodies[0] if bodies else []) if isinstance(child.tag, str)), None)
        if method is None or local_name(method.tag) != layout.method_name:
            raise Reply(500, fault_envelope("Client", f"body is not a {layout.method_name} request"), "text/xml")
        values = {local_name(child.tag): (child.text or "").strip() for child in method if isinstance(child.tag, str)}
        # Every declared element must be present, empty if unused, or the server faults
        # (docs/spectrum.md#soap-envelope).
        # WSTestConnection's elements are Authorization_ID and Version only (docs/spectrum.md#wstestconnection).
        head = ("Authorization_ID",) if layout.kind == "test" else ("Authorization_ID", "GUID")
        missing = [n for n in (*head, *layout.names) if n not in values]
        if missing:
            raise Reply(500, fault_envelope("Client", f"{FAULT_TEXT}: element {missing[0]} is missing"), "text/xml")
        return values

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
            rows = self._get_rows(layout, company, values)
        if self._after_fault(fault, head):
            return
        self._send_chunks(200, self._get_chunks(head, tail, names, rows, fault), "text/xml; charset=utf-8")

    def _get_rows(self, layout: layouts.Layout, company: str, values: Mapping[str, str]) -> Iterator[dict[str, str]]:
        # SuperSelect forms and each parameter's maximum length (docs/spectrum.md#rules-by-page)
        params = {f.name: values.get(f.name, "") for f in layout.fields}
        problems = rules.selection_problems(layout, params)
        if problems:
            first = problems[0]
            return iter([{"Error_Code": first.code, "Error_Description": first.message, "Error_Column": first.column}])
        return gets.GETS[layout.name](self.sim.store, company, values)

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
        self._send(200, put_envelope(layout.method_name, messages, truncate=truncate), "text/xml; charset=utf-8")

    def _test_connection(self, values: Mapping[str, str]) -> list[SpectrumMessage]:
        # docs/spectrum.md#wstestconnection: Version validated against the server's (n.n)
        wanted = self.sim.state.config.server_version
        sent = values.get("Version", "")
        if not sent:
            return [layouts.msg_missing("Version")]
        malformed = rules.record_problems("WSTestConnection", {"Version": sent}, side="simulator")
        if malformed:
            return malformed
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
        # The layout, then the record rules of the service's page (docs/spectrum.md#rules-by-page).
        problems = layouts.validate(layout, record) + rules.record_problems(layout.name, record, side="simulator")
        if problems:
            return problems
        with self.sim.write_lock:
            messages, key = puts.PUTS[layout.name](puts.PutContext(self.sim.store, state, company), record)
        if key:
            state.count_accepted(layout.name, key)
        return messages


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in text.strip().split(".") if p.isdigit()]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)
