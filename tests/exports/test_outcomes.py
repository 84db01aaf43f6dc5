"""One table from error class to consequence: every connector error names what follows it, and the
export engine turns each consequence into the outcome the accountant sees."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from connectors.errors import Consequence, ConsequenceError
from connectors.platform import errors as platform_errors
from connectors.spectrum import errors as spectrum_errors
from connectors.spectrum.errors import (
    SpectrumAuthorizationError,
    SpectrumBadReply,
    SpectrumConfigurationError,
    SpectrumError,
    SpectrumMessage,
    SpectrumRejected,
    SpectrumRetryableError,
    SpectrumUnknownOutcome,
)
from spectrum_sync.exports import engine, writer
from spectrum_sync.models import SpectrumConnection, SyncAttempt, SyncStatus, Tenant
from tests.exports.fakes import Wiring
from tests.exports.test_engine import invoice, ready, run, submit

__all__ = ["ready"]

Outcome = SyncAttempt.Outcome


def error_classes() -> list[type[Exception]]:
    modules = (spectrum_errors, platform_errors)
    return [
        cls
        for module in modules
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Exception) and cls.__module__ == module.__name__
    ]


def test_every_connector_error_names_its_consequence_and_the_engine_knows_each() -> None:
    for cls in error_classes():
        assert issubclass(cls, ConsequenceError), cls
        assert isinstance(cls.consequence, Consequence), cls
    assert set(engine._ON_FAILURE) == set(Consequence)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (SpectrumRetryableError("503"), True),
        (SpectrumUnknownOutcome("lost"), True),
        (SpectrumBadReply("not XML"), True),
        (SpectrumRejected([SpectrumMessage("I", "bad")]), False),
        (SpectrumAuthorizationError("not authorized"), False),
        (SpectrumConfigurationError("no driver"), False),
        (platform_errors.PlatformRetryableError("busy"), True),
        (platform_errors.PlatformRejected(400, "bad body"), False),
        (platform_errors.PlatformConfigurationError("no URL"), False),
    ],
)
def test_retryable_follows_the_consequence(error: ConsequenceError, retryable: bool) -> None:
    assert error.retryable is retryable


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "status", "code", "attempt"),
    [
        (SpectrumRejected([SpectrumMessage("I", "GL Account mismatch", "GL_Account")]), "failed", "I", "rejected"),
        (SpectrumAuthorizationError("not authorized"), "held", "A", "authorization"),
        (SpectrumUnknownOutcome("read timed out after sending"), "unknown", "U", "unknown"),
        (SpectrumBadReply("reply is not XML"), "pending", "E", "unknown"),
        (SpectrumRetryableError("503 Service Unavailable"), "pending", "E", "retryable"),
        (SpectrumConfigurationError("no ODBC driver"), "failed", "E", "error"),
    ],
)
def test_each_consequence_gives_the_outcome_the_accountant_sees(
    ready: Tenant,
    wired: Wiring,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    error: SpectrumError,
    status: str,
    code: str,
    attempt: str,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(writer, "send", refuse)
    record = run(submit(ready, invoice()), django_capture_on_commit_callbacks)
    assert (record.status, record.error_code) == (status, code), record.error_message
    assert record.attempts.get().outcome == attempt
    held = SpectrumConnection.objects.get(tenant=ready).exports_held_reason
    assert bool(held) is (status == SyncStatus.HELD)
