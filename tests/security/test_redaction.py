"""Masking by value uses the secrets of the tenant a text is about, plus the secret shapes."""

from __future__ import annotations

import io
import logging
from typing import Any

from django.conf import settings

from connectors.redaction import (
    MASK,
    RedactingFormatter,
    bind_tenant,
    mask_handlers,
    redact,
    register_secret,
    tenant_scope,
)


def test_a_text_about_one_tenant_is_masked_with_that_tenants_secrets() -> None:
    register_secret("acme-only-secret-1", "acme")
    register_secret("beta-only-secret-2", "beta")
    with tenant_scope("acme"):
        assert redact("x acme-only-secret-1 y") == f"x {MASK} y"
        assert "beta-only-secret-2" in redact("beta-only-secret-2")  # another tenant's: not looked at
    assert redact("beta-only-secret-2", tenant="beta") == MASK
    assert redact("acme-only-secret-1") == "acme-only-secret-1"  # no tenant bound
    bind_tenant("beta")
    assert redact("beta-only-secret-2") == MASK
    bind_tenant("")


def test_the_shapes_are_masked_for_every_tenant() -> None:
    with tenant_scope("acme"):
        assert "s3cr3tvalue" not in redact("client_id=a&client_secret=s3cr3tvalue")
        assert "QUJD" not in redact("Authorization: Basic QUJDREVGR0g=")


def test_a_whole_log_line_is_masked_traceback_included() -> None:
    register_secret("TracebackSecret-9", "acme")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.security.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    mask_handlers(logger)
    mask_handlers(logger)  # twice is once
    try:
        with tenant_scope("acme"):
            try:
                raise ValueError("TracebackSecret-9")
            except ValueError:
                logger.exception("failed with %s", "TracebackSecret-9")
        logger.warning("named %s", "TracebackSecret-9", extra={"tenant": "acme"})
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    output = stream.getvalue()
    assert "TracebackSecret-9" not in output
    assert "ValueError: ********" in output and "named ********" in output
    assert isinstance(handler.formatter, RedactingFormatter) and len(handler.filters) == 1


def test_every_configured_handler_formats_through_the_masking_formatter() -> None:
    logging_config: dict[str, Any] = settings.LOGGING
    for name, handler in logging_config["handlers"].items():
        formatter = logging_config["formatters"][handler["formatter"]]
        assert formatter["()"] == "connectors.redaction.RedactingFormatter", name
