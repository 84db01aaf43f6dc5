"""The simulator's REST routes: the JSON services, Enhanced Authentication and the test knobs
(docs/spectrum.md#authentication, docs/spectrum.md#rest-replies, docs/spectrum.md#enhanced-authentication).
The record rules of each document's page are checked before its handler
(docs/spectrum.md#rules-by-page).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.spectrum import rules
from connectors.spectrum.errors import SpectrumMessage
from connectors.spectrum.simulator import puts, rest
from connectors.spectrum.simulator.state import BEFORE_PROCESSING, AuthIdentity
from connectors.spectrum.simulator.wire import NOT_AUTHORIZED, HandlerBase, Reply, json_reply


class RestRoutes(HandlerBase):
    # -- REST -------------------------------------------------------------------------------------

    def _rest_identity(self, service: str) -> tuple[AuthIdentity, str]:
        header = self.headers.get("Authorization", "")
        identity: AuthIdentity | None = None
        company = ""
        if header.lower().startswith("basic "):
            try:
                company, _, auth_id = base64.b64decode(header[6:].strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise json_reply(401, {"error": "bad Basic credentials"}) from None
            identity = self.sim.state.identity(auth_id)
        elif header.lower().startswith("bearer "):
            identity = self.sim.state.identity_for_token(header[7:].strip())
        if identity is None:
            # REST requires Basic or Bearer (docs/spectrum.md#authentication)
            raise Reply(401, json.dumps({"error": "unauthorized"}).encode())
        if not identity.allows(service):
            raise json_reply(403, {"error_code": "A", "desc": NOT_AUTHORIZED, "column": "Authorization_ID"})
        return identity, company.upper() or identity.default_company

    def _rest_vendors(self, company: str) -> None:
        self.sim.state.count_request("GetVendors(REST)")
        identity, _ = self._rest_identity("GetVendors")
        company = company.strip().upper() or identity.default_company  # defaults from the Authorization ID
        if company not in identity.companies:
            raise json_reply(403, {"error_code": "A", "desc": "Company is not authorized", "column": "Company_Code"})
        query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        page = rest.vendors_page(self.sim.store, company, query)  # docs/spectrum.md#get-vendors-rest
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
            raise json_reply(400, {"error": "body is not JSON"}) from None
        root, handler = rest.REST_POSTS[service]
        documents = body.get(root) if isinstance(body, dict) else None
        if not isinstance(documents, list):
            raise json_reply(400, {"error": f"body needs a {root} list"})
        results = [self._rest_document(identity, company, service, handler, doc) for doc in documents]
        if fault == "other_shape":
            # A server answering in a shape we cannot know (docs/spectrum.md#rest-replies): the work is done.
            self._send(200, json.dumps({"Status": "Success", "Count": len(results)}).encode(), "application/json")
            return
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
        elif problems := rules.document_problems(service, doc, side="simulator"):
            messages, key = problems, ""  # the page's record rules (docs/spectrum.md#rules-by-page)
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
                raise json_reply(400, {"error": "invalid_request"}) from None
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}

    def _client(self) -> AuthIdentity:
        form = self._credentials()
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "spectrumapi":
            raise json_reply(400, {"error": "invalid_request"})
        identity = self.sim.state.identity_for_client(form.get("client_id", ""), form.get("client_secret", ""))
        if identity is None:
            raise json_reply(401, {"error": "invalid_client"})
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
                raise json_reply(200, state.counters())
            elif path == "/_sim/health" and method == "GET":
                raise json_reply(200, {"ok": True, "store": self.sim.store.dialect})
            else:
                raise json_reply(404, {"error": f"no knob {path}"})
        except (ValueError, TypeError, KeyError) as exc:
            raise json_reply(400, {"error": str(exc)}) from None
        raise json_reply(200, {"ok": True})
