"""The outbound delivery contract as an OpenAPI 3.1 document, for whoever builds the platform's receiver.

The platform simulator serves it at ``GET /openapi.json``. It describes what
:mod:`connectors.platform.client` sends and :mod:`connectors.platform.simulator.app` accepts; the
prose versions are the docstrings of :mod:`connectors.platform.client` and
:mod:`connectors.platform.signing`.
"""

from __future__ import annotations

from typing import Any

from connectors.platform.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER

_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}

_ITEM = {
    "type": "object",
    "required": ["action", "key"],
    "properties": {
        "action": {"enum": ["upsert", "delete"]},
        "key": {
            "type": "string",
            "maxLength": 200,
            "description": (
                "Stable key the platform indexes its copy by, e.g. company code and Spectrum key 'DC1:ACME01'."
            ),
        },
        "platform_id": {
            "type": "string",
            "description": (
                "Present when the record is linked to one the platform already had: the platform's own id. "
                "Update that record (it gains the key) instead of creating one."
            ),
        },
        "data": {
            "type": "object",
            "description": "For an upsert: the complete current record (not a diff). Absent for a delete.",
        },
    },
}

# Every status an export result may carry, in the order of the record's life.
EXPORT_STATUSES = (
    "pending",
    "awaiting_approval",
    "sending",
    "unknown",
    "confirming",
    "succeeded",
    "failed",
    "held",
    "bypassed",
    "rejected",
)

_EXPORT_RESULT = {
    "type": "object",
    "description": "data of an item of the export-results resource; the item key is the sync record id.",
    "properties": {
        "sync_record_id": {"type": "integer"},
        "document_type": {"type": "string"},
        "platform_id": {"type": "string"},
        "version": {"type": "string"},
        "status": {
            "enum": list(EXPORT_STATUSES),
            "description": (
                "confirming: Spectrum accepted it and it is being read back; succeeded comes after. "
                "awaiting_approval: the tenant approves this document type before export; an accountant has "
                "not decided yet (approved, it goes on as pending). rejected: an accountant turned it down; "
                "final, decision_comment says why."
            ),
        },
        "document_number": {"type": "string", "description": "Spectrum's number for the document, when accepted."},
        "error_code": {"type": "string", "description": "Spectrum's code (I, M, A...) or ours."},
        "error_message": {"type": "string"},
        "error_column": {"type": "string", "description": "The Spectrum column the error is about."},
        "held_reason": {"type": "string"},
        "decision_comment": {"type": "string", "description": "The approver's comment; always given on a rejection."},
        "decided_by": {"type": "string", "description": "Username of who approved or rejected it, when decided."},
        "decided_at": {"type": "string", "description": "When it was approved or rejected (ISO 8601), or empty."},
        "verification": {
            "enum": ["", "confirmed", "unverified", "mismatch", "not_found"],
            "description": "What reading the document back from Spectrum showed; unverified: no Info-Link access.",
        },
        "spectrum": {
            "type": "object",
            "description": (
                "What Spectrum holds once read back: document_number, and total, tax, line_count where known."
            ),
            "properties": {
                "document_number": {"type": "string"},
                "total": {"type": "string"},
                "tax": {"type": "string"},
                "line_count": {"type": "integer"},
            },
        },
    },
    "required": ["sync_record_id", "status"],
}


def _header(name: str, description: str, pattern: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "header", "required": True, "description": description, "schema": schema}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Spectrum Sync → operations platform deliveries",
        "version": "1",
        "description": (
            "Spectrum Sync POSTs imported Spectrum records and export results to each tenant's platform URL. "
            "Signature: hex HMAC-SHA256, keyed with the tenant's signing secret, of the ASCII timestamp, a dot "
            "and the exact raw body bytes; reject timestamps more than 300 s from your clock. Deliveries are "
            "idempotent by delivery_id: answer a repeated id with 200 and store nothing new. Answer 5xx, 408 or "
            "429 (with Retry-After) to be retried; any other 4xx is final."
        ),
    },
    "servers": [
        {"url": "{platform_url}", "variables": {"platform_url": {"default": "http://127.0.0.1:8600/deliveries/demo"}}}
    ],
    "paths": {
        "/{resource}": {
            "post": {
                "summary": "Receive one batch of items",
                "parameters": [
                    {
                        "name": "resource",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,62}$"},
                        "description": "customers, vendors, gl-accounts, classes, projects, ..., export-results",
                    },
                    _header(
                        SIGNATURE_HEADER,
                        "sha256=<hex HMAC-SHA256 of '<timestamp>.<raw body>'>",
                        "^sha256=[0-9a-f]{64}$",
                    ),
                    _header(TIMESTAMP_HEADER, "Unix seconds when this attempt was signed", "^[0-9]+$"),
                    _header(IDEMPOTENCY_HEADER, "Equal to the body's delivery_id"),
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["delivery_id", "resource", "items"],
                                "properties": {
                                    "delivery_id": {
                                        "type": "string",
                                        "description": "Unique per batch; a retry of the batch repeats it.",
                                    },
                                    "resource": {"type": "string", "description": "Same as the path's resource."},
                                    "items": {"type": "array", "items": _ITEM},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "Stored (or already stored: duplicate true).",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "delivery_id": {"type": "string"},
                                        "duplicate": {"type": "boolean"},
                                        "accepted": {"type": "integer"},
                                    },
                                }
                            }
                        },
                    },
                    "400": {"description": "Malformed body", "content": {"application/json": {"schema": _ERROR}}},
                    "401": {
                        "description": "Missing, stale or wrong signature",
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                    "429": {"description": "Busy: retried after Retry-After"},
                    "503": {"description": "Unavailable: retried with back-off"},
                },
            }
        }
    },
    "components": {"schemas": {"Item": _ITEM, "ExportResult": _EXPORT_RESULT}},
}
