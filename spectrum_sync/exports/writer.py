"""Sends one mapped call through the Spectrum client and reads back what Spectrum answered.

The SOAP Put services take one record per call (``client.put``); documents with many lines go
through the REST services, which answer per document (docs/spectrum.md#batching).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.spectrum import rules
from connectors.spectrum.errors import (
    SpectrumConfigurationError,
    SpectrumMessage,
    SpectrumRejected,
)
from mappings.mappers import SpectrumCall
from spectrum_sync.catalogue import rest_post_for
from spectrum_sync.redaction import redact


class SpectrumWriter(Protocol):
    """The part of ``connectors.spectrum.client.SpectrumClient`` the export engine uses."""

    def put(self, service: str, fields: Any, *, guid: str = "") -> Any: ...

    def validate(self, service: str, fields: Any) -> list[SpectrumMessage]: ...

    def post_customer_invoices(self, company: str, invoices: list[dict[str, Any]]) -> list[Any]: ...

    def post_po_receipts(self, company: str, receipts: list[dict[str, Any]]) -> list[Any]: ...


@dataclass
class Answer:
    """An accepted call: Spectrum's ``G``/``S`` messages and the raw reply for the attempt record."""

    messages: list[SpectrumMessage]
    raw: str
    # Spectrum answered 2xx in a shape we do not recognise: only read-back can confirm it.
    unconfirmed: bool = False

    def value_for(self, column: str) -> str:
        for msg in self.messages:
            if msg.code in ("G", "S") and msg.column == column:
                return msg.message
        return ""


def request_text(call: SpectrumCall) -> str:
    """The call as stored on the attempt (and compared to skip calls already accepted)."""
    return redact(json.dumps(call.as_dict(), sort_keys=True, default=str))


def _rest_answer(service: str, results: list[Any]) -> Answer:
    """REST results, one per document sent (``RestResult``): all accepted, or refused with the
    messages of every refused one."""
    if not results:
        raise SpectrumRejected([SpectrumMessage("I", "Spectrum returned no result for the document")], service=service)
    refused = [r for r in results if not r.ok]
    if refused:
        messages = [m for r in refused for m in r.messages] or [SpectrumMessage("I", "rejected")]
        raise SpectrumRejected(messages, service=service, client_side=all(r.client_side for r in refused))
    keys = [str(r.key) for r in results if r.key]
    messages = [m for r in results for m in r.messages]
    unconfirmed = any(getattr(r, "unconfirmed", False) for r in results)
    if keys and not unconfirmed:
        messages.append(SpectrumMessage("G", keys[0], "key"))
    raw = {"imported": keys, "unconfirmed": True} if unconfirmed else {"imported": keys}
    return Answer(messages, json.dumps(raw), unconfirmed=unconfirmed)


def send(client: SpectrumWriter, call: SpectrumCall, *, guid: str) -> Answer:
    """Send ``call``; raises the connector's error taxonomy (connectors/spectrum/errors.py)."""
    if not call.rest:
        result = client.put(call.service, {k: "" if v is None else str(v) for k, v in call.fields.items()}, guid=guid)
        return Answer(list(result.messages), redact(result.raw or ""))
    post = rest_post_for(call.service)
    if post is None:
        raise SpectrumConfigurationError(f"no REST service {call.service!r}", service=call.service)
    return _rest_answer(call.service, post(client, str(call.fields.get("Company_Code", "")), call.fields))


def client_side_problems(client: SpectrumWriter, calls: list[SpectrumCall]) -> list[SpectrumMessage]:
    """The client's own validation of every call (no I/O): the same messages Spectrum would give —
    the layout of each SOAP call, then every call by the rules of its help page
    (connectors/spectrum/rules.py, docs/spectrum.md#rules-by-page)."""
    problems: list[SpectrumMessage] = []
    for call in calls:
        if not call.rest:
            fields = {k: "" if v is None else str(v) for k, v in call.fields.items()}
            problems.extend(client.validate(call.service, fields))
            problems.extend(rules.before_sending(call.service, fields, rest=False))
        else:
            problems.extend(rules.before_sending(call.service, call.fields, rest=True))
    return problems
