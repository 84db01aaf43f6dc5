"""Masking secrets, for the Django side: the pure code is :mod:`connectors.redaction`.

What remains here is Django's part: each web request starts bound to no tenant, so masking by
value never uses the tenant an earlier request on the same thread worked for.
"""

from __future__ import annotations

from typing import Any

from django.core.signals import request_started

from connectors.redaction import MASK, RedactingFilter, RedactingFormatter, bind_tenant, redact, register_secret

__all__ = ["MASK", "RedactingFilter", "RedactingFormatter", "redact", "register_secret"]


def _unbind(**_: Any) -> None:
    bind_tenant("")


request_started.connect(_unbind, dispatch_uid="redaction-unbind-tenant")
