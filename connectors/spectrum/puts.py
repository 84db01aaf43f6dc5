"""Put calls: one record per SOAP Put, validated against its layout first.

A Put sends every declared element in order and returns the ``G``/``S`` messages, or raises the
error its messages mean (docs/spectrum.md#replies-and-codes).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping

from connectors.replies import reply_text
from connectors.spectrum import layouts, rules
from connectors.spectrum.errors import (
    GUID_TIMEOUT_TEXT,
    PutResult,
    SpectrumAuthorizationError,
    SpectrumConfigurationError,
    SpectrumMessage,
    SpectrumRejected,
    SpectrumRetryableError,
    SpectrumUnknownOutcome,
)
from connectors.spectrum.layouts import Layout
from connectors.spectrum.soap import HostileReply, ReplyError, SoapFault, UnreadableReply, build_envelope, iter_rows
from connectors.spectrum.transport import Transport, fault_error


def new_batch_guid() -> str:
    """One GUID per logical batch of Puts to the same service (docs/spectrum.md#authorization-id-and-guid)."""
    return str(uuid.uuid4())


class Puts:
    """The Put calls of one connection."""

    def __init__(self, transport: Transport, *, max_reply_bytes: int) -> None:
        self.transport = transport
        self.max_reply_bytes = max_reply_bytes

    def put(self, service: str, fields: Mapping[str, str], *, guid: str = "") -> PutResult:
        layout = layouts.layout_for(service)
        if layout.kind != "put":
            raise SpectrumConfigurationError(f"{service} is not a Put service", service=service)
        # The layout, then the record rules of the service's page (docs/spectrum.md#rules-by-page).
        problems = layouts.validate(layout, fields) + rules.record_problems(service, fields)
        if problems:
            raise SpectrumRejected(problems, service=service, client_side=True)
        batch_guid = guid or new_batch_guid()
        messages, raw = self.put_once(layout, fields, batch_guid)
        if guid_timed_out(messages):
            # The (method, Authorization ID, GUID) group expired (docs/spectrum.md#authorization-id-and-guid):
            # nothing was written, so the same record goes again under a fresh GUID.
            messages, raw = self.put_once(layout, fields, new_batch_guid())
        raise_for_put_messages(service, messages, raw)
        return PutResult(service=service, messages=[m for m in messages if m.code in ("G", "S")], raw=raw)

    def put_once(self, layout: Layout, fields: Mapping[str, str], guid: str) -> tuple[list[SpectrumMessage], str]:
        # The layout's section of docs/spectrum.md; Put reply shape docs/spectrum.md#replies-and-codes
        envelope = build_envelope(layout.method_name, put_elements(self.transport, layout, fields, guid))
        resp = self.transport.send(layout.name, "POST", f"/ws/{layout.name}", data=envelope, put=True)
        raw = self.transport.redacted(reply_text(resp.content))
        try:
            rows = list(iter_rows([resp.content], max_bytes=self.max_reply_bytes))
        except UnreadableReply as exc:
            if not exc.clean_cut:
                raise SpectrumUnknownOutcome(
                    f"reply could not be read: {exc}", service=layout.name, detail=raw
                ) from None
            rows = list(_rows_before_cut(resp.content))
        except HostileReply as exc:
            raise SpectrumUnknownOutcome(f"hostile reply refused: {exc}", service=layout.name, detail=raw) from None
        except SoapFault as exc:
            raise fault_error(layout.name, exc, detail=raw) from None
        return [_message(row) for row in rows], raw

    def call_put_like(self, layout: Layout, fields: Mapping[str, str], guid: str) -> list[SpectrumMessage]:
        messages, _raw = self.put_once(layout, fields, guid)
        return messages


def put_elements(transport: Transport, layout: Layout, fields: Mapping[str, str], guid: str) -> list[tuple[str, str]]:
    elements = transport.elements(layout, fields, guid)
    if layout.kind == "test":
        # WSTestConnection takes Authorization_ID and Version, no GUID (docs/spectrum.md#wstestconnection).
        return [(name, value) for name, value in elements if name != "GUID"]
    return elements


def raise_for_put_messages(service: str, messages: list[SpectrumMessage], raw: str) -> None:
    aborts = [m for m in messages if m.code == "A"]
    if aborts:
        first = aborts[0]
        raise SpectrumAuthorizationError(first.message, service=service, detail=raw, column=first.column)
    if guid_timed_out(messages):
        raise SpectrumRetryableError("GUID timed out", service=service, detail=raw)
    problems = [m for m in messages if m.code not in ("G", "S", "W", "")]
    if problems:
        raise SpectrumRejected(problems, service=service, detail=raw)


def guid_timed_out(messages: list[SpectrumMessage]) -> bool:
    return any(GUID_TIMEOUT_TEXT in m.message.lower() for m in messages)


def _message(row: Mapping[str, str]) -> SpectrumMessage:
    # Put replies use lower-case error_code / desc / column (docs/spectrum.md#replies-and-codes).
    return SpectrumMessage(row.get("error_code", "").upper(), row.get("desc", ""), row.get("column", ""))


def _rows_before_cut(content: bytes) -> Iterator[dict[str, str]]:
    try:
        yield from iter_rows([content])
    except ReplyError:
        return
