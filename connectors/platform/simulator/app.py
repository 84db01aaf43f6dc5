"""The platform simulator as a WSGI application: receives deliveries, keeps state, posts documents.

Routes (all JSON except ``/``):

- ``POST /deliveries/<tenant>/<resource>`` — a signed delivery (see :mod:`connectors.platform.client`
  for the body and :mod:`connectors.platform.signing` for the signature). Answers 200
  ``{"delivery_id", "duplicate": false, "accepted", "created", "updated", "deleted", "unchanged"}``;
  a delivery id seen before answers 200 ``{"duplicate": true}`` and changes nothing; 401 with
  ``{"error"}`` for a missing or wrong signature, 400 for a malformed body, 404 for an unknown
  tenant, 413 for a body over the size cap.
- ``GET /openapi.json`` — the delivery contract as OpenAPI (:mod:`connectors.platform.contract`).
- ``GET /`` (or ``/?tenant=<slug>`` for one tenant) — the page: per tenant and resource, the current
  records and the deliveries, newest first, with counts; the export results; a form that posts
  sample documents to Spectrum Sync.
- ``GET /_sim/health``, ``GET /_sim/deliveries?tenant=&resource=&limit=``,
  ``GET /_sim/state/<tenant>/<resource>``, ``GET /_sim/requests?tenant=``, ``GET /_sim/documents``.
- ``POST /_sim/fail`` ``{"count": N, "status": 503 | "timeout" | "reset", "retry_after": s, "delay": s}``
  — the next N delivery requests fail that way (several calls queue up). ``503`` (any HTTP status)
  answers that status, with ``Retry-After`` when given; ``"timeout"`` stores the delivery and then
  answers only after ``delay`` seconds (default 5), the case where the sender cannot know it
  arrived; ``"reset"`` drops the connection without an answer and stores nothing.
- ``POST /_sim/reset`` — forget deliveries, records, requests, documents and pending failures
  (tenants stay). ``POST /_sim/tenants`` ``{"slug", "secret"}`` — add or replace a tenant (kept in the
  store, so a file store remembers it across restarts; Spectrum Sync's admin registers new demo
  tenants this way).
- ``POST /_sim/post-document`` — form or JSON ``{"sample", "document"?, "sync_url"?, "api_key"?}``:
  post a sample document to Spectrum Sync's inbound API and record the answer.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from connectors.platform import inbound, samples
from connectors.platform.contract import EXPORT_STATUSES as STATUSES
from connectors.platform.contract import OPENAPI
from connectors.platform.signing import IDEMPOTENCY_HEADER, SignatureError, verify
from connectors.platform.simulator.page import render as render_page
from connectors.platform.simulator.store import SimulatorStore

logger = logging.getLogger("connectors.platform.simulator")

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_KEY_LENGTH = 200
EXPORT_RESULTS = "export-results"
EXPORT_STATUSES = frozenset(STATUSES)

_DELIVERY_PATH = re.compile(r"^/deliveries/(?P<tenant>[A-Za-z0-9_-]{1,60})/(?P<resource>[a-z0-9][a-z0-9_-]{0,62})/?$")
_STATE_PATH = re.compile(r"^/_sim/state/(?P<tenant>[A-Za-z0-9_-]{1,60})/(?P<resource>[a-z0-9][a-z0-9_-]{0,62})/?$")

StartResponse = Callable[..., Any]


class AbortConnection(Exception):
    """Raised by the app to make the server drop the connection without answering."""


class BadDelivery(Exception):
    """A delivery body the platform cannot accept; the message says why."""


@dataclass
class Fault:
    count: int
    status: int | str  # an HTTP status, "timeout" or "reset"
    retry_after: str = ""
    delay: float = 5.0


class FaultPlan:
    """Failures waiting for the next delivery requests, consumed in the order they were asked for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._queue.append(fault)

    def take(self) -> Fault | None:
        with self._lock:
            while self._queue and self._queue[0].count <= 0:
                self._queue.pop(0)
            if not self._queue:
                return None
            self._queue[0].count -= 1
            return self._queue[0]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(f.count for f in self._queue)


class TenantSecrets:
    """Each tenant's signing secret: given directly, or read (once it exists) from a file."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._files: dict[str, Path] = {}

    def add(self, slug: str, secret: str) -> None:
        self._secrets[slug] = secret

    def add_file(self, slug: str, path: Path) -> None:
        # Read lazily: `make run` may start the simulator before the demo secret is written.
        self._files[slug] = path

    def get(self, slug: str) -> str | None:
        if slug in self._secrets:
            return self._secrets[slug]
        path = self._files.get(slug)
        if path is not None and path.exists():
            secret = path.read_text().strip()
            if secret:
                self._secrets[slug] = secret
                return secret
        return None

    def slugs(self) -> list[str]:
        return sorted(set(self._secrets) | set(self._files))


@dataclass
class InboundSettings:
    """Where the simulator posts documents (Spectrum Sync's inbound API) and with which key."""

    sync_url: str = "http://127.0.0.1:8000"
    api_key: str = ""
    api_key_file: Path | None = None
    timeout: tuple[float, float] = (5.0, 30.0)

    def key(self) -> str:
        if self.api_key:
            return self.api_key
        if self.api_key_file is not None and self.api_key_file.exists():
            return self.api_key_file.read_text().strip()
        return ""


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(status: int, data: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, json.dumps(data, default=str).encode(), headers=headers or [])


_REASONS = {
    200: "OK",
    303: "See Other",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Content Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class PlatformSimulatorApp:
    """The WSGI callable. Thread-safe: the store and fault plan hold their own locks."""

    def __init__(
        self,
        store: SimulatorStore | None = None,
        tenants: TenantSecrets | None = None,
        inbound_settings: InboundSettings | None = None,
        signature_tolerance: int = 300,
    ) -> None:
        self.store = store or SimulatorStore()
        self.tenants = tenants or TenantSecrets()
        for slug, secret in self.store.registered_tenants().items():
            self.tenants.add(slug, secret)  # registered over HTTP before a restart
        self.inbound = inbound_settings or InboundSettings()
        self.faults = FaultPlan()
        self.signature_tolerance = signature_tolerance

    # --- WSGI ------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        response = self.handle(environ)
        headers = [("Content-Type", response.content_type), ("Content-Length", str(len(response.body)))]
        start_response(f"{response.status} {_REASONS.get(response.status, 'Status')}", headers + response.headers)
        return [response.body]

    def handle(self, environ: dict[str, Any]) -> Response:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/") or "/"
        match = _DELIVERY_PATH.match(path)
        if match:
            if method != "POST":
                return json_response(405, {"error": "deliveries are POSTed"})
            return self.receive_delivery(environ, match["tenant"], match["resource"])
        if method == "GET":
            return self._get(path, _query(environ))
        if method == "POST":
            return self._post_control(path, environ)
        return json_response(405, {"error": f"{method} is not supported"})

    def _get(self, path: str, query: dict[str, str]) -> Response:
        if path == "/":
            return Response(200, render_page(self, query.get("tenant", "")).encode(), "text/html; charset=utf-8")
        if path == "/openapi.json":
            return json_response(200, OPENAPI)
        if path == "/_sim/health":
            return json_response(200, {"ok": True, "tenants": self.tenants.slugs()})
        if path == "/_sim/deliveries":
            limit = _int(query.get("limit"), 1000)
            rows = self.store.deliveries(query.get("tenant", ""), query.get("resource", ""), limit)
            return json_response(200, rows)
        if path == "/_sim/requests":
            return json_response(200, self.store.requests(query.get("tenant", ""), _int(query.get("limit"), 1000)))
        if path == "/_sim/documents":
            return json_response(200, self.store.documents(_int(query.get("limit"), 50)))
        match = _STATE_PATH.match(path)
        if match:
            return json_response(200, self.store.state(match["tenant"], match["resource"]))
        return json_response(404, {"error": f"nothing at {path}"})

    def _post_control(self, path: str, environ: dict[str, Any]) -> Response:
        body = _read_body(environ)
        if path == "/_sim/fail":
            return self._add_fault(body)
        if path == "/_sim/reset":
            self.store.reset()
            self.faults.clear()
            return json_response(200, {"ok": True})
        if path == "/_sim/tenants":
            data = _json_object(body)
            slug, secret = str(data.get("slug", "")), str(data.get("secret", ""))
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,60}", slug) or not secret:
                return json_response(400, {"error": "give a tenant slug and a non-empty secret"})
            self.tenants.add(slug, secret)
            self.store.register_tenant(slug, secret)
            return json_response(200, {"ok": True, "tenants": self.tenants.slugs()})
        if path == "/_sim/post-document":
            return self._post_document(environ, body)
        if path == "/_sim/own-records":
            return self._add_own_records(body)
        return json_response(404, {"error": f"nothing at {path}"})

    # --- deliveries ------------------------------------------------------------------------------

    def receive_delivery(self, environ: dict[str, Any], tenant: str, resource: str) -> Response:
        headers = _headers(environ)
        delivery_id = headers.get(IDEMPOTENCY_HEADER.lower(), "")
        fault = self.faults.take()
        if fault is not None and fault.status not in ("timeout", "reset"):
            self.store.log_request("POST", environ["PATH_INFO"], tenant, delivery_id, int(fault.status), "injected")
            extra = [("Retry-After", fault.retry_after)] if fault.retry_after else []
            return json_response(int(fault.status), {"error": "injected failure"}, extra)
        body = _read_body(environ)
        if fault is not None and fault.status == "reset":
            self.store.log_request("POST", environ["PATH_INFO"], tenant, delivery_id, 0, "injected reset")
            raise AbortConnection
        response = self._accept(tenant, resource, body, headers)
        note = json.loads(response.body).get("error", "") if response.status != 200 else ""
        if fault is not None:  # "timeout": the delivery is stored, but the answer comes too late
            note = f"injected timeout ({fault.delay:g} s)"
        self.store.log_request("POST", environ["PATH_INFO"], tenant, delivery_id, response.status, note)
        if fault is not None:
            time.sleep(fault.delay)
        return response

    def _accept(self, tenant: str, resource: str, body: bytes, headers: dict[str, str]) -> Response:
        secret = self.tenants.get(tenant)
        if secret is None:
            return json_response(404, {"error": f"unknown tenant {tenant!r}"})
        if len(body) > MAX_BODY_BYTES:
            return json_response(413, {"error": f"body over {MAX_BODY_BYTES} bytes"})
        try:
            verify(secret, body, headers, tolerance=self.signature_tolerance)
        except SignatureError as exc:
            return json_response(401, {"error": str(exc)})
        try:
            delivery_id, items = parse_delivery(body, resource, headers.get(IDEMPOTENCY_HEADER.lower(), ""))
        except BadDelivery as exc:
            return json_response(400, {"error": str(exc)})
        applied = self.store.apply_delivery(tenant, resource, delivery_id, items)
        return json_response(200, {"delivery_id": delivery_id, "accepted": len(items), **applied.as_dict()})

    def _add_fault(self, body: bytes) -> Response:
        data = _json_object(body)
        status = data.get("status", 503)
        if status not in ("timeout", "reset") and not (isinstance(status, int) and 400 <= status <= 599):
            return json_response(400, {"error": "status must be an HTTP error status, 'timeout' or 'reset'"})
        try:
            count = int(data.get("count", 1))
            delay = float(data.get("delay", 5.0))
        except (TypeError, ValueError):
            return json_response(400, {"error": "count and delay must be numbers"})
        retry_after = str(data["retry_after"]) if data.get("retry_after") is not None else ""
        self.faults.add(Fault(count, status, retry_after, delay))
        return json_response(200, {"ok": True, "pending": self.faults.pending()})

    def _add_own_records(self, body: bytes) -> Response:
        """Records the platform has of its own (its directory before any link): {tenant, resource, records}."""
        data = _json_object(body)
        tenant, resource, records = data.get("tenant"), data.get("resource"), data.get("records")
        valid = isinstance(records, list) and all(
            isinstance(r, dict) and isinstance(r.get("platform_id"), str) and r["platform_id"] for r in records
        )
        if not (isinstance(tenant, str) and tenant and isinstance(resource, str) and resource and valid):
            return json_response(400, {"error": "give tenant, resource and records, each with a platform_id"})
        assert isinstance(records, list)
        return json_response(200, {"ok": True, "added": self.store.add_own_records(tenant, resource, records)})

    # --- posting documents to Spectrum Sync ------------------------------------------------------

    def post_sample(self, name: str, document: dict[str, Any] | None = None) -> inbound.InboundAnswer:
        sample = samples.SAMPLES[name]
        document = document or sample.build()
        answer = inbound.post_document(
            self.inbound.sync_url, self.inbound.key(), sample.document_type, document, timeout=self.inbound.timeout
        )
        self.store.log_document(sample.document_type, answer.url, answer.status, document, json.dumps(answer.body))
        return answer

    def _post_document(self, environ: dict[str, Any], body: bytes) -> Response:
        from_form = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
        if from_form:
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            data: dict[str, Any] = dict(form)
        else:
            data = _json_object(body)
        name = str(data.get("sample", ""))
        if name not in samples.SAMPLES:
            return json_response(400, {"error": f"sample must be one of {sorted(samples.SAMPLES)}"})
        if data.get("sync_url"):
            self.inbound.sync_url = str(data["sync_url"])
        if data.get("api_key"):
            self.inbound.api_key = str(data["api_key"])
        document = data.get("document") if isinstance(data.get("document"), dict) else None
        answer = self.post_sample(name, document)
        if from_form:
            return Response(303, b"", "text/plain", [("Location", "/#documents")])
        return json_response(200, {"url": answer.url, "status": answer.status, "answer": answer.body})


def parse_delivery(body: bytes, resource: str, idempotency_key: str) -> tuple[str, list[dict[str, Any]]]:
    """Check a delivery body against the contract; return its delivery id and items."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadDelivery("body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadDelivery("body must be a JSON object")
    delivery_id = payload.get("delivery_id")
    if not isinstance(delivery_id, str) or not delivery_id:
        raise BadDelivery("delivery_id must be a non-empty string")
    if idempotency_key and idempotency_key != delivery_id:
        raise BadDelivery("Idempotency-Key header differs from the body's delivery_id")
    if payload.get("resource") != resource:
        raise BadDelivery(f"body's resource {payload.get('resource')!r} differs from the URL's {resource!r}")
    items = payload.get("items")
    if not isinstance(items, list):
        raise BadDelivery("items must be a list")
    for index, item in enumerate(items):
        _check_item(index, item, resource)
    return delivery_id, items


def _check_item(index: int, item: Any, resource: str) -> None:
    where = f"items[{index}]"
    if not isinstance(item, dict):
        raise BadDelivery(f"{where} must be an object")
    if item.get("action") not in ("upsert", "delete"):
        raise BadDelivery(f"{where}.action must be 'upsert' or 'delete'")
    key = item.get("key")
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise BadDelivery(f"{where}.key must be a non-empty string of at most {MAX_KEY_LENGTH} characters")
    platform_id = item.get("platform_id")
    if platform_id is not None and (not isinstance(platform_id, str) or not platform_id):
        raise BadDelivery(f"{where}.platform_id must be a non-empty string when given")
    data = item.get("data")
    if item["action"] == "upsert" and not isinstance(data, dict):
        raise BadDelivery(f"{where}.data must be an object for an upsert")
    if resource == EXPORT_RESULTS and item["action"] == "upsert":
        assert isinstance(data, dict)
        if data.get("status") not in EXPORT_STATUSES:
            raise BadDelivery(f"{where}.data.status must be one of {sorted(EXPORT_STATUSES)}")


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """Request headers by lowercase name with dashes (WSGI spells them HTTP_X_NAME)."""
    out = {key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        out["content-type"] = environ["CONTENT_TYPE"]
    return out


def _read_body(environ: dict[str, Any]) -> bytes:
    if "sim.body" in environ:
        return bytes(environ["sim.body"])
    length = _int(environ.get("CONTENT_LENGTH"), 0)
    body = environ["wsgi.input"].read(min(length, MAX_BODY_BYTES + 1)) if length > 0 else b""
    environ["sim.body"] = body
    return bytes(body)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _query(environ: dict[str, Any]) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
