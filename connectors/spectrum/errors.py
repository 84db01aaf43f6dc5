"""The error taxonomy: the class of a failure decides what happens next (its ``consequence``).

- :class:`SpectrumRejected` — Spectrum (or our identical client-side check) refused the record with
  codes I / M: not retried; the accountant fixes the cause. Carries every message.
- :class:`SpectrumAuthorizationError` — code A (or HTTP 401/403): the connection is flagged and its
  exports held; retrying would only storm.
- :class:`SpectrumRetryableError` — timeouts before sending, connection refused, 5xx, SOAP faults
  ("Error executing Web Service"), database lock / timeout: safe to try again with back-off.
- :class:`SpectrumUnknownOutcome` — a Put whose reply never came or could not be read after the
  request may have reached Spectrum: look the document up before any resend.
- :class:`SpectrumBadReply` — a Get reply that is hostile, unreadable or over the size cap.
- :class:`SpectrumConfigurationError` — our side is set up wrong (missing driver, bad URL): not
  retried until someone changes the configuration.

Never return ``{}`` or ``None`` to mean failure: raise one of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.errors import Consequence, ConsequenceError

# The text of the message that says a GUID's batch group expired (docs/spectrum.md#authorization-id-and-guid).
GUID_TIMEOUT_TEXT = "time out has occurred"


@dataclass(frozen=True)
class SpectrumMessage:
    """One ``response`` of a Put reply: Spectrum's code, description and column (docs/spectrum.md#replies-and-codes)."""

    code: str
    message: str
    column: str = ""

    def __str__(self) -> str:
        where = f" [{self.column}]" if self.column else ""
        return f"{self.code}: {self.message}{where}"


class SpectrumError(ConsequenceError):
    """Base of every error the Spectrum connector raises."""

    def __init__(self, message: str, *, service: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.service = service
        self.detail = detail  # redacted raw reply or driver text, for the attempt record

    def __str__(self) -> str:
        return f"{self.service}: {self.message}" if self.service else self.message


class SpectrumRetryableError(SpectrumError):
    consequence = Consequence.RETRY


class SpectrumUnknownOutcome(SpectrumError):
    """The request may have been applied; reconcile by looking it up before resending."""

    consequence = Consequence.RECONCILE


class SpectrumBadReply(SpectrumError):
    """The reply could not be trusted: not XML, hostile XML, too large, or cut short.

    A bad reply to a Put is still a reply we cannot trust: its attempt stays unknown, so the
    document is looked up before it is sent again."""

    consequence = Consequence.RETRY_UNTRUSTED


class SpectrumConfigurationError(SpectrumError):
    consequence = Consequence.CONFIGURATION


class SpectrumAuthorizationError(SpectrumError):
    consequence = Consequence.HOLD_AUTHORIZATION

    def __init__(self, message: str, *, service: str = "", detail: str = "", column: str = "") -> None:
        super().__init__(message, service=service, detail=detail)
        self.code = "A"
        self.column = column or "Authorization_ID"


class SpectrumRejected(SpectrumError):
    """Validation refused the record (codes I / M, or our identical client-side check)."""

    consequence = Consequence.REJECT

    def __init__(
        self,
        messages: list[SpectrumMessage],
        *,
        service: str = "",
        detail: str = "",
        client_side: bool = False,
    ) -> None:
        self.messages = messages
        self.client_side = client_side
        super().__init__("; ".join(str(m) for m in messages) or "rejected", service=service, detail=detail)

    @property
    def first(self) -> SpectrumMessage:
        return self.messages[0] if self.messages else SpectrumMessage("I", self.message)


@dataclass
class PutResult:
    """What an accepted Put returned: the ``G``/``S`` messages (e.g. a generated number)."""

    service: str
    messages: list[SpectrumMessage] = field(default_factory=list)
    raw: str = ""  # redacted reply, for the attempt record

    def value_for(self, column: str) -> str:
        """The ``desc`` Spectrum returned with a ``G`` code for ``column`` (e.g. a new number)."""
        for msg in self.messages:
            if msg.code in ("G", "S") and msg.column == column:
                return msg.message
        return ""
