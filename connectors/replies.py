"""What is read of, and kept from, a reply that is not a streamed Get.

A Put, a REST batch, a token or a platform delivery is answered in a few kilobytes when the other
side is what it should be. Such replies are asked for uncompressed (``Accept-Encoding: identity``,
so a small compressed body cannot unfold into gigabytes) and read streamed, at most
:data:`REPLY_LIMIT` bytes (:func:`read_capped`); a longer one is not read at all.

What is kept for people to read (the attempt records accountants open) is the reply as text when
it is XML or JSON, which is what Spectrum and the platform speak; anything else (an HTML error
page, whatever some other server answered) is cut to :data:`OTHER_LIMIT` bytes (:func:`reply_text`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from connectors.deadline import ReplyWatch, timed_body

REPLY_LIMIT = 1024 * 1024
OTHER_LIMIT = 1024
IDENTITY = {"Accept-Encoding": "identity"}

_XML_START = re.compile(rb"<\?xml\b|<([\w.-]+:)?Envelope\b")
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"


class ReplyTooBig(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the reply is larger than {limit // 1024} KB, so it was not read")


def read_capped(response: Any, watch: ReplyWatch, limit: int = REPLY_LIMIT) -> bytes:
    """The whole body of a streamed ``requests`` response, read under ``watch``; it becomes the
    response's ``content``. Raises :class:`ReplyTooBig` (the connection closed) past ``limit``."""
    body = bytearray()
    for chunk in timed_body(response.raw, watch, size=64 * 1024):
        body += chunk
        if len(body) > limit:
            response.close()
            raise ReplyTooBig(limit)
    response._content = bytes(body)  # what .content, .text and .json() read from now on
    response._content_consumed = True
    return response._content


def is_xml_or_json(body: bytes) -> bool:
    head = body.lstrip(_BOM_AND_SPACE)
    if _XML_START.match(head[:200]):
        return True
    if head[:1] not in (b"{", b"["):
        return False
    try:
        json.loads(head)
    except ValueError:
        return False
    return True


def reply_text(body: bytes) -> str:
    """The reply as text to keep: whole when XML or JSON, else its first :data:`OTHER_LIMIT` bytes."""
    if is_xml_or_json(body) or len(body) <= OTHER_LIMIT:
        return body.decode("utf-8", "replace")
    kept = body[:OTHER_LIMIT].decode("utf-8", "ignore")
    return f"{kept}… (cut: {len(body)} bytes that are neither XML nor JSON)"


__all__ = ["IDENTITY", "REPLY_LIMIT", "ReplyTooBig", "is_xml_or_json", "read_capped", "reply_text"]
