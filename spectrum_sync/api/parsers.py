"""The one way a document comes in: JSON, of a bounded size and depth."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

import orjson
from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

# No document is deeper than a handful of levels (document → lines → line → value); a body nested
# deeper is not a document, and a deep enough one makes the JSON decoder itself recurse out.
MAX_DEPTH = 16


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


class BoundedJSONParser(BaseParser):
    """JSON, refusing a body over API_MAX_BODY_BYTES or nested over MAX_DEPTH.

    Not a subclass of DRF's JSONParser: DRF reads the whole body for those before parsing, and
    Django's own limit then answers an HTML page instead of this API's JSON error.
    """

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise BodyTooLarge(f"The body is larger than {limit} bytes; send one document per request.")
        data = _fast(body)
        if data is _NOT_FAST:
            data = _exact(body)
        if depth_of(data) > MAX_DEPTH:
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.")
        return data


_NOT_FAST = object()


def _fast(body: bytes) -> Any:
    """The body read by orjson, or ``_NOT_FAST`` when only the standard decoder answers it exactly:
    a body orjson refuses (the standard one words the error, and takes lone surrogates), and one
    with a number with a fraction or exponent, which orjson also makes of an integer over 64 bits
    (a text field would store the rounded float's digits)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _NOT_FAST
    return _NOT_FAST if _has_float(data) else data


def _exact(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from None


def _has_float(data: Any) -> bool:
    """Whether a float is anywhere in ``data``, walked without recursion (orjson nests at most 1,024 deep)."""
    todo = [data]
    while todo:
        value = todo.pop()
        if isinstance(value, float):
            return True
        if isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
    return False


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def depth_of(data: Any) -> int:
    """How deeply lists and objects nest in ``data``, walked without recursion."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        value, depth = todo.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            todo.extend((child, depth + 1) for child in children)
    return deepest
