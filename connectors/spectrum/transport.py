"""The one choke point to Spectrum: every SOAP and REST request goes through :meth:`Transport.send`.

It owns the pooled ``requests`` session, the outbound policy check, the timeouts and the reply
deadline, the authentication (Basic, or Enhanced Authentication tokens and their cache, and the
rotation of the client secret they are issued for), the logging (service, tenant, duration; never
the Authorization ID) and the translation of transport and HTTP failures into the error taxonomy of
connectors/spectrum/errors.py.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import requests
import urllib3

from connectors.deadline import DeadlineAdapter, ReplyWatch
from connectors.outbound import OutboundRefused
from connectors.redaction import redact, register_secret
from connectors.replies import IDENTITY, ReplyTooBig, read_capped, reply_text
from connectors.spectrum import layouts
from connectors.spectrum.config import DataExchangeConfig
from connectors.spectrum.errors import (
    SpectrumAuthorizationError,
    SpectrumBadReply,
    SpectrumConfigurationError,
    SpectrumError,
    SpectrumRetryableError,
    SpectrumUnknownOutcome,
)
from connectors.spectrum.layouts import Layout
from connectors.spectrum.soap import SoapFault

logger = logging.getLogger("connectors.spectrum")

TOKEN_MARGIN = timedelta(seconds=30)


class Transport:
    """One Spectrum connection (one Authorization ID). Not shared between processes; thread-safe
    for the token cache."""

    def __init__(self, config: DataExchangeConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self.session = session or self._new_session()
        self._owns_session = session is None
        self._client_secret = config.client_secret
        self._token: tuple[str, datetime] | None = None
        self._token_lock = threading.Lock()
        register_secret(config.authorization_id, config.tenant)
        register_secret(config.client_secret, config.tenant)

    # ------------------------------------------------------------------ lifecycle

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # DeadlineAdapter: a reply still arriving at its deadline can be cut (connectors/deadline.py).
        # The policy checks every address it connects to (connectors/outbound.py).
        adapter = DeadlineAdapter(pool_connections=2, pool_maxsize=8, max_retries=0, policy=self.config.policy)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.verify = self.config.verify_tls
        session.trust_env = False  # no proxies or netrc credentials picked up from the environment
        return session

    def _check_host(self, service: str) -> None:
        """Before every request (not when built, so a refused URL fails the call like any other
        configuration problem): the base URL against the outbound policy."""
        try:
            self.config.policy.check_url(self.base_url, "Spectrum base URL")
        except OutboundRefused as exc:
            raise SpectrumConfigurationError(str(exc), service=service) from None

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    # ------------------------------------------------------------------ SOAP body

    def elements(self, layout: Layout, values: Mapping[str, str], guid: str) -> list[tuple[str, str]]:
        # Every declared element, in the documented order, empty if unused (docs/spectrum.md#soap-envelope).
        head = [("Authorization_ID", self.config.authorization_id), ("GUID", guid)]
        return head + [(f.name, layouts.as_text(values.get(f.name, "")).strip()) for f in layout.fields]

    # ------------------------------------------------------------------ the choke point

    def send(
        self,
        service: str,
        method: str,
        path: str,
        *,
        data: bytes | Mapping[str, str] | None = None,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        stream: bool = False,
        put: bool = False,
        rest_company: str = "",
        auth: bool = True,
        watch: ReplyWatch | None = None,
    ) -> requests.Response:
        """Send one request; translate transport and HTTP failures. ``put`` marks a request that
        may change Spectrum: once it may have left, a failure is an unknown outcome.

        The reply must be complete within ``config.reply_deadline`` (connectors/deadline.py). A
        streamed request passes its own ``watch``, which the caller finishes once it has read the
        body; otherwise the whole reply is read here, under a fixed deadline."""
        self._check_host(service)
        headers: dict[str, str] = {}
        if path.startswith("/ws/"):
            headers["Content-Type"] = "text/xml; charset=utf-8"
            headers["SOAPAction"] = f"{self.base_url}{path}"  # as working clients send it (docs/spectrum.md#endpoints)
        if auth:
            headers.update(self._auth_headers(rest_company, soap=path.startswith("/ws/")))
        if not stream:
            headers.update(IDENTITY)  # a small reply, read here with a cap (connectors/replies.py)
        started = time.monotonic()
        watch = watch or ReplyWatch(self.config.reply_deadline)
        for retry_auth in (True, False):
            try:
                with watch.sending():
                    resp = self.session.request(
                        method,
                        f"{self.base_url}{path}",
                        data=data,
                        json=json_body,
                        params=params,
                        headers=headers,
                        stream=True,
                        timeout=(self.config.connect_timeout, self.config.read_timeout),
                        allow_redirects=False,
                    )
            except OutboundRefused as exc:
                watch.finish()
                self._log(service, started, "refused")
                raise SpectrumConfigurationError(str(exc), service=service) from None
            except requests.RequestException as exc:
                watch.finish()
                if watch.expired:
                    self._log(service, started, "too slow")
                    raise self.too_slow(service, watch, put=put) from None
                self._raise_for_transport(service, started, exc, put=put)
            if resp.status_code == 401 and retry_auth and self.config.auth_mode == "enhanced" and auth:
                resp.close()
                with self._token_lock:
                    self._token = None  # expired early or revoked: one fresh token, one retry
                headers.update(self._auth_headers(rest_company, soap=path.startswith("/ws/")))
                continue
            break
        self._log(service, started, str(resp.status_code))
        try:
            self._raise_for_status(service, resp, put=put)
            if not stream:
                self._read_whole(service, resp, watch, put=put)
        except SpectrumError:
            watch.finish()
            raise
        if not stream and not watch.finish():
            # The whole reply was read here; if the timer cut it, what we hold may be partial.
            resp.close()
            raise self.too_slow(service, watch, put=put)
        return resp

    def _read_whole(self, service: str, resp: requests.Response, watch: ReplyWatch, *, put: bool) -> None:
        """Read a small reply (a Put's, a REST batch's, a token) here, at most 1 MB of it."""
        failure = SpectrumUnknownOutcome if put else SpectrumBadReply
        try:
            read_capped(resp, watch)
        except ReplyTooBig as exc:
            raise failure(str(exc), service=service) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            resp.close()
            if watch.expired:
                raise self.too_slow(service, watch, put=put) from None
            broken = SpectrumUnknownOutcome if put else SpectrumRetryableError
            raise broken(f"reply broken: {type(exc).__name__}", service=service) from None

    def too_slow(self, service: str, watch: ReplyWatch, *, put: bool) -> SpectrumError:
        """The deadline passed while the reply was still arriving; we closed the connection."""
        what = f"Spectrum's reply was still arriving after {watch.elapsed:.0f} s"
        if watch.min_rate:
            limit = (
                f"too slowly: {_size(watch.received_bytes)} so far, and a Get must keep up "
                f"{_size(int(watch.min_rate))} a second, with {watch.seconds:g} s of slack"
            )
        else:
            limit = f"the limit is {watch.seconds:g} s"
        if put:
            return SpectrumUnknownOutcome(
                f"{what} ({limit}); the connection was closed. Spectrum may have applied the request, "
                "so it is looked up before anything is sent again",
                service=service,
            )
        return SpectrumRetryableError(
            f"{what} ({limit}); the connection was closed and the read will be tried again", service=service
        )

    def _raise_for_transport(
        self, service: str, started: float, exc: requests.RequestException, *, put: bool
    ) -> NoReturn:
        """Translate a failure of the request itself (no usable reply) into the error taxonomy."""
        if isinstance(exc, requests.ConnectTimeout):
            raise SpectrumRetryableError(f"could not connect: {type(exc).__name__}", service=service) from None
        if isinstance(exc, requests.ReadTimeout):
            self._log(service, started, "timeout")
            if put:
                raise SpectrumUnknownOutcome("no reply within the read timeout", service=service) from None
            raise SpectrumRetryableError("no reply within the read timeout", service=service) from None
        if isinstance(exc, requests.ConnectionError):
            self._log(service, started, "connection error")
            if put and not _refused(exc):
                raise SpectrumUnknownOutcome("connection lost before the reply", service=service) from None
            raise SpectrumRetryableError(f"connection failed: {type(exc).__name__}", service=service) from None
        # e.g. a chunked body cut off while it was read: the request had been sent.
        self._log(service, started, "broken reply")
        if put:
            raise SpectrumUnknownOutcome(f"reply broken: {type(exc).__name__}", service=service) from None
        raise SpectrumRetryableError(f"reply broken: {type(exc).__name__}", service=service) from None

    def _raise_for_status(self, service: str, resp: requests.Response, *, put: bool) -> None:
        status = resp.status_code
        if status < 400 or (status == 500 and _is_xml(resp)) or (status == 400 and _is_json(resp)):
            return  # SOAP faults come with 500; REST batches report per-document errors with 400
        # At most 4 KB of the body, even from a streamed reply: enough to explain, never a flood.
        try:
            head = next(resp.iter_content(4096), b"")
        except requests.RequestException:
            head = b""  # the status says enough
        detail = self.redacted(reply_text(head) if isinstance(head, bytes) else str(head))
        resp.close()
        if status in (401, 403):
            raise SpectrumAuthorizationError(f"HTTP {status}: not authorized", service=service, detail=detail)
        if status == 503 or (status >= 500 and not put):
            raise SpectrumRetryableError(f"HTTP {status}", service=service, detail=detail)
        if status >= 500:
            raise SpectrumUnknownOutcome(f"HTTP {status} after the request was sent", service=service, detail=detail)
        raise SpectrumConfigurationError(f"HTTP {status} for {service}", service=service, detail=detail)

    # ------------------------------------------------------------------ authentication

    def _auth_headers(self, company: str, *, soap: bool) -> dict[str, str]:
        """Bearer with Enhanced Authentication (every service, docs/spectrum.md#enhanced-authentication);
        Basic ``Company_Code:Authorization_ID`` on REST otherwise (SOAP carries the ID in its body)."""
        if self.config.auth_mode == "enhanced":
            return {"Authorization": f"Bearer {self._bearer()}"}
        if soap:
            return {}
        pair = f"{company or self.config.default_company}:{self.config.authorization_id}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    def _bearer(self) -> str:
        with self._token_lock:
            now = datetime.now(UTC)
            if self._token and self._token[1] - TOKEN_MARGIN > now:
                return self._token[0]
            # POST /connect/token with client credentials (docs/spectrum.md#enhanced-authentication)
            resp = self.send("connect/token", "POST", "/connect/token", data=self._client_credentials(), auth=False)
            body = json_object(resp, "connect/token")
            token = str(body.get("access_token") or "")
            if not token:
                raise SpectrumAuthorizationError(
                    "token endpoint answered without an access_token", service="connect/token"
                )
            register_secret(token, self.config.tenant)
            lifetime = int(body.get("expires_in") or 0)
            self._token = (token, now + timedelta(seconds=lifetime))
            return token

    def _client_credentials(self) -> dict[str, str]:
        if not (self.config.client_id and self._client_secret):
            raise SpectrumConfigurationError("Enhanced Authentication needs a client ID and secret")
        return {
            "client_id": self.config.client_id,
            "client_secret": self._client_secret,
            "scope": "spectrumapi",
            "grant_type": "client_credentials",
        }

    def rotate_secret(self) -> tuple[str, datetime]:
        """Enhanced Authentication secret rotation: the new secret and its expiry, for the caller to
        store (encrypted). This connection uses the new secret from now on."""
        # POST /secretRotation (docs/spectrum.md#enhanced-authentication).
        # A write: once the request may have left, a lost reply means the secret may have changed
        # in Spectrum without us learning the new one (SpectrumUnknownOutcome, never a blind retry).
        resp = self.send(
            "secretRotation", "POST", "/secretRotation", data=self._client_credentials(), auth=False, put=True
        )
        body = json_object(resp, "secretRotation")
        secret = str(body.get("client_secret") or "")
        if not secret:
            raise SpectrumBadReply("secret rotation answered without a client_secret", service="secretRotation")
        register_secret(secret, self.config.tenant)
        expires = _parse_expiry(str(body.get("estimated_expiration") or ""))
        self._client_secret = secret
        with self._token_lock:
            self._token = None
        return secret, expires

    # ------------------------------------------------------------------ logging

    def redacted(self, text: str) -> str:
        return redact(text, extra=[self.config.authorization_id, self._client_secret], tenant=self.config.tenant)

    def _log(self, service: str, started: float, outcome: str) -> None:
        logger.info(
            "spectrum call service=%s tenant=%s outcome=%s duration_ms=%.0f",
            service,
            self.config.tenant,
            outcome,
            (time.monotonic() - started) * 1000,
        )


# ---------------------------------------------------------------------- helpers


def fault_error(service: str, fault: SoapFault, detail: str = "") -> SpectrumError:
    if fault.is_client_fault:
        return SpectrumConfigurationError(f"SOAP fault: {fault.string}", service=service, detail=detail)
    return SpectrumRetryableError(f"SOAP fault: {fault.string}", service=service, detail=detail)


def json_object(resp: requests.Response, service: str) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        raise SpectrumBadReply("reply is not JSON", service=service) from None
    if not isinstance(body, dict):
        raise SpectrumBadReply("reply is not a JSON object", service=service)
    return body


def _refused(exc: requests.ConnectionError) -> bool:
    """Connection refused / name not resolved: the request never left."""
    text = repr(exc)
    return any(s in text for s in ("Connection refused", "NewConnectionError", "Name or service not known"))


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / 1024 / 1024:.1f} MB"


def _is_xml(resp: requests.Response) -> bool:
    return "xml" in resp.headers.get("Content-Type", "")


def _is_json(resp: requests.Response) -> bool:
    return "json" in resp.headers.get("Content-Type", "")


def _parse_expiry(text: str) -> datetime:
    text = text.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y"):
        try:
            parsed = datetime.strptime(text.replace("Z", "+0000"), fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise SpectrumBadReply(f"secret rotation returned an unreadable expiry {text!r}", service="secretRotation")
