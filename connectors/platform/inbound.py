"""The platform's side of Spectrum Sync's inbound API: posting a document, as the platform would.

Contract (the EXPORTS engineer's API): ``POST {sync_url}/api/v1/<document-type>/`` with the
document as JSON and ``Authorization: Bearer <tenant API key>``; Spectrum Sync answers 202 with
``{"id", "status", "status_url"}``, or 400 with field errors. Used by the platform simulator's
form and command line; the document shapes are in :mod:`connectors.platform.samples`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import requests

_DOCUMENT_TYPE = re.compile(r"^[a-z][a-z-]{1,40}$")
_BEARER = re.compile(r"ssk_[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class InboundAnswer:
    """What Spectrum Sync said: HTTP status (0 when it could not be reached) and its answer."""

    url: str
    status: int
    body: Any  # parsed JSON when it was JSON, else the text (or the connection problem)

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


def post_document(
    sync_url: str,
    api_key: str,
    document_type: str,
    document: dict[str, Any],
    *,
    timeout: tuple[float, float] = (5.0, 30.0),
    session: requests.Session | None = None,
) -> InboundAnswer:
    """Post one document; never raises for an HTTP or network failure (the answer says what happened)."""
    if not _DOCUMENT_TYPE.match(document_type):
        raise ValueError(f"not a document type: {document_type!r}")
    url = f"{sync_url.rstrip('/')}/api/v1/{document_type}/"
    http = session or requests
    try:
        response = http.post(
            url,
            data=json.dumps(document).encode(),
            headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return InboundAnswer(url, 0, f"could not reach Spectrum Sync: {type(exc).__name__}")
    try:
        body: Any = response.json()
    except ValueError:
        body = _BEARER.sub("ssk_********", response.text[:2000])
    return InboundAnswer(url, response.status_code, body)
