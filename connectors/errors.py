"""What a failure means for the work that met it: each connector error class names its consequence.

The engines read the consequence (``exc.consequence``) instead of testing error classes one by
one, so what happens after a given failure is decided once, beside the error that reports it.
"""

from __future__ import annotations

from enum import StrEnum


class Consequence(StrEnum):
    """What happens next to the document or delivery a failure interrupted."""

    # Nothing was applied and trying again may well work: again later, with back-off.
    RETRY = "retry"
    # An answer came but could not be trusted: again later, looking the document up before resending.
    RETRY_UNTRUSTED = "retry_untrusted"
    # The request may have been applied and its answer was lost: look it up before any resend.
    RECONCILE = "reconcile"
    # The other side refused this document: not retried; someone fixes the cause.
    REJECT = "reject"
    # The connection's credentials were refused: hold its work; retrying would only storm.
    HOLD_AUTHORIZATION = "hold_authorization"
    # Our side is set up wrong: not retried until someone changes the configuration.
    CONFIGURATION = "configuration"

    @property
    def retryable(self) -> bool:
        """Whether trying the same thing again later may succeed without anyone changing anything."""
        return self in (Consequence.RETRY, Consequence.RETRY_UNTRUSTED, Consequence.RECONCILE)


class ConsequenceError(Exception):
    """Base of the connectors' errors: the class says what the failure means for the work."""

    consequence: Consequence = Consequence.CONFIGURATION

    @property
    def retryable(self) -> bool:
        return self.consequence.retryable
