"""SOAP envelopes out, streamed rows in (docs/spectrum.md#soap-envelope).

Requests are small and built from the service layouts as text. Replies can be 100k rows, so they
are parsed while they arrive with lxml's pull parser: each ``response`` element is turned into a
plain ``dict`` of its leaf elements and then cleared, with its already-read siblings, so memory
stays flat whatever the size.

Safety against hostile XML: entity resolution, DTD loading and network off
on the parser, ``huge_tree`` never on (libxml2 then refuses text nodes over 10 MB), any DOCTYPE or
ENTITY declaration refused before the parser sees it, and a cap on the bytes read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from lxml import etree

PROIV_NS = "http://www.northgate-is.com/proiv/webservices/types"
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_TAIL_KEEP = 64 * 1024
_HOSTILE_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_MARKER_OVERLAP = max(len(m) for m in _HOSTILE_MARKERS)
# Characters XML 1.0 cannot carry at all; Spectrum text never needs them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class ReplyError(Exception):
    """The reply could not be read as a SOAP answer."""


class HostileReply(ReplyError):
    """DOCTYPE / entity declarations, or a node or body larger than we accept."""


class UnreadableReply(ReplyError):
    """Not XML, or cut short. ``clean_cut`` is true when it stops right after a complete
    ``response`` (the documented truncation quirk): every row read is intact."""

    def __init__(self, message: str, *, clean_cut: bool = False, rows: int = 0) -> None:
        super().__init__(message)
        self.clean_cut = clean_cut
        self.rows = rows


class SoapFault(ReplyError):
    def __init__(self, code: str, string: str) -> None:
        super().__init__(f"{code}: {string}")
        self.code = code
        self.string = string

    @property
    def is_client_fault(self) -> bool:
        """``Client`` faults are our request's fault (e.g. a missing element): not worth retrying."""
        return self.code.rsplit(":", 1)[-1] == "Client"


def build_envelope(method: str, elements: Iterable[tuple[str, str]]) -> bytes:
    """A SOAP 1.1 request with the PRO-IV namespace as the default namespace of the method element,
    every element present (empty if unused), in the order given (docs/spectrum.md#soap-envelope)."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<soap:Envelope xmlns:soap="{SOAP_ENV_NS}"><soap:Body>',
        f'<{method} xmlns="{PROIV_NS}">',
    ]
    for name, value in elements:
        parts.append(f"<{name}>{escape(_XML_INVALID.sub('', value))}</{name}>")
    parts.append(f"</{method}></soap:Body></soap:Envelope>")
    return "".join(parts).encode("utf-8")


_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1]
        if len(_LOCAL_NAMES) < 10_000:  # tags come from a hostile-capable source: bound the cache
            _LOCAL_NAMES[tag] = name
    return name


def _row(elem: etree._Element) -> dict[str, str]:
    # Empty self-closing elements read as "" (docs/spectrum.md#soap-envelope); values are trimmed of Spectrum's padding.
    # This is the per-record hot path of a 100k-row poll, hence the comprehension first; Spectrum's
    # row elements are unqualified, and a reply that qualifies them takes the slower loop.
    row = {child.tag: (child.text or "").strip() for child in elem}
    first = next(iter(row), "")
    if type(first) is str and not first.startswith("{"):
        return row
    return _qualified_row(elem)


def _qualified_row(elem: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for child in elem:
        tag = child.tag
        if type(tag) is str:
            out[_local(tag)] = (child.text or "").strip()
    return out


def _fault(elem: etree._Element) -> SoapFault:
    values = {_local(child.tag): (child.text or "").strip() for child in elem.iter() if isinstance(child.tag, str)}
    return SoapFault(values.get("faultcode", "Server"), values.get("faultstring", "SOAP fault"))


class _Guard:
    """Counts bytes, refuses declarations, keeps the tail to judge a truncation."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.total = 0
        self.tail = b""

    def check(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.total > self.max_bytes:
            raise HostileReply(f"reply larger than the {self.max_bytes // (1024 * 1024)} MB cap")
        seam = self.tail[-_MARKER_OVERLAP:] + chunk[:_MARKER_OVERLAP]
        for marker in _HOSTILE_MARKERS:
            if marker in chunk or marker in seam:
                raise HostileReply("reply carries a DOCTYPE or entity declaration; refused")
        self.tail = chunk[-_TAIL_KEEP:] if len(chunk) >= _TAIL_KEEP else (self.tail + chunk)[-_TAIL_KEEP:]

    def ends_after_complete_row(self) -> bool:
        last_close = self.tail.rfind(b"</response>")
        if last_close < 0:
            return False
        return re.search(rb"<(?:\w+:)?response[\s>/]", self.tail[last_close:]) is None


def _parser() -> etree.XMLPullParser:
    # Only rows, faults and the body raise events: the leaves are read from their row, so Python
    # sees one event per record instead of one per element.
    return etree.XMLPullParser(
        events=("end",),
        tag=("{*}response", "{*}Fault", "{*}Body"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def iter_rows(  # noqa: C901 — one streaming parser loop; split, its state would pass between functions
    chunks: Iterable[bytes], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[dict[str, str]]:
    """Yield each ``response`` element of a SOAP reply as a dict, while the bytes arrive.

    Raises :class:`SoapFault` for a Fault body, :class:`HostileReply` or :class:`UnreadableReply`
    (with ``clean_cut`` telling whether the rows read so far are the whole of what was sent).
    """
    guard = _Guard(max_bytes)
    parser = _parser()
    rows = 0
    saw_body = False
    try:
        for chunk in chunks:
            if not chunk:
                continue
            guard.check(chunk)
            parser.feed(chunk)
            for _event, elem in parser.read_events():
                if not isinstance(elem, etree._Element):
                    continue
                name = _local(elem.tag)
                if name == "response":
                    rows += 1
                    yield _row(elem)
                    _forget(elem)
                elif name == "Fault":
                    raise _fault(elem)
                elif name == "Body":
                    saw_body = True
        parser.close()
        for _event, elem in parser.read_events():
            if isinstance(elem, etree._Element) and _local(elem.tag) == "Body":
                saw_body = True
    except etree.XMLSyntaxError as exc:
        text = str(exc)
        if "huge" in text.lower() or "limit" in text.lower():
            raise HostileReply(f"reply refused by the parser's size limits: {text}") from None
        clean = rows > 0 and guard.ends_after_complete_row() and _looks_truncated(text)
        raise UnreadableReply(f"reply is not well-formed XML: {text}", clean_cut=clean, rows=rows) from None
    if not saw_body:
        raise UnreadableReply("reply is XML but not a SOAP envelope", rows=rows)


def _looks_truncated(text: str) -> bool:
    lowered = text.lower()
    return any(s in lowered for s in ("premature end", "not properly terminated", "extra content", "no root"))


def _forget(elem: etree._Element) -> None:
    """Liza Daly's fast_iter: drop the row and the rows before it from the growing tree."""
    elem.clear()
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]
