"""The export engine: one record from ``pending`` to a final outcome, exactly once in Spectrum.

The database row is the truth (docs/architecture.md#export-flow-platform--spectrum): a worker claims
the record with a lease (``SyncRecord.claim``), maps it against the mirror, and sends each Spectrum
call. Before each call an attempt row is written with outcome ``unknown`` and committed; after the
answer it is updated.
So a call whose answer was lost — a timeout, a killed worker — stays ``unknown`` on record, and the
next run looks the document up in Spectrum before resending a call that would create it. Calls
already accepted are never sent again. Every status change from ``sending`` checks the lease token
under a row lock, so a worker whose lease ran out cannot overwrite what came after it.

Outcomes: accepted → succeeded; Spectrum validation (I / M) → failed at once; authorization (A) →
the tenant's exports held and its connection flagged; transient → back to pending with exponential
back-off and jitter, bounded; unknown → reconciled; missing customer / job → held until
:func:`release_held_for` is told the parent arrived. The error class of a failed call names its
consequence (``connectors.errors.Consequence``); ``_ON_FAILURE`` maps it to the outcome. Each outcome
is told to the platform once it commits: one quick try in the worker, else the result task.
"""

from __future__ import annotations

import logging
import random
import re
import time
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from connectors.errors import Consequence
from connectors.spectrum.errors import SpectrumError, SpectrumMessage, SpectrumRejected
from mappings.mappers import Mapped, SpectrumCall, company_of, key_of
from spectrum_sync import connections
from spectrum_sync.catalogue import EXPORTS
from spectrum_sync.exports import claims, conf, periods, preflight, queueing, readback, versions, writer
from spectrum_sync.exports.holds import (
    HOLD_AUTHORIZATION,
    HOLD_CONFIGURATION,
    HOLD_NO_CONNECTION,
    HOLD_PARENT,
    HOLD_PERIOD,
    HOLD_TOTAL,
    NO_CONNECTION,
    release_held_for,
)
from spectrum_sync.exports.results import after_outcome, alone, listeners
from spectrum_sync.models import (
    Direction,
    SpectrumConnection,
    SyncAttempt,
    SyncRecord,
    SyncStatus,
    Tenant,
    Verification,
)
from spectrum_sync.redaction import redact

logger = logging.getLogger(__name__)

Outcome = SyncAttempt.Outcome

# A record set aside because workers kept dying on it (a poison document), never Spectrum's code.
WORKER_LOST = "WORKER"

# What Spectrum says when a create meets a document that exists: after a lost answer this means
# our first send went through.
_DUPLICATE = re.compile(r"(?i)duplicate|already exists|must be unique|not unique|must not exist")


class CannotConfirm(Exception):
    """Spectrum cannot be asked whether an uncertain create went through."""


# --- the run of one record -----------------------------------------------------------------------


def backoff_seconds(attempt: int) -> float:
    """Exponential back-off with jitter: between half and all of base·2^(attempt-1), capped."""
    ceiling = min(conf.backoff_cap_seconds(), conf.backoff_base_seconds() * 2 ** max(attempt - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


def process(record_id: int) -> str:
    """Export one record if it is due; returns what happened (for logs and tests)."""
    # One read: the record, its tenant and connection, its other versions' standing and whether
    # anyone listens for its outcome (versions.around, results.after_outcome).
    record = (
        SyncRecord.objects.select_related("tenant", "tenant__connection")
        .annotate(**versions.around_annotations(), **listeners())
        .filter(pk=record_id, direction=Direction.EXPORT)
        .first()
    )
    if record is None or record.status not in (SyncStatus.PENDING, SyncStatus.UNKNOWN, SyncStatus.CONFIRMING):
        return "skipped"
    if record.next_attempt_at and record.next_attempt_at > timezone.now():
        return "not-due"
    if record.status == SyncStatus.CONFIRMING:
        return readback.confirm(record.pk)
    tenant = record.tenant
    if not tenant.active:
        return "tenant-inactive"
    try:
        connection = tenant.connection  # loaded with the record, and kept for the client built later
    except SpectrumConnection.DoesNotExist:
        if record.status == SyncStatus.PENDING:
            _hold_unclaimed(record, HOLD_NO_CONNECTION, NO_CONNECTION)
        return "no-connection"
    older_unfinished, newer_sent = versions.around(record)
    if older_unfinished:
        # Versions of one document reach Spectrum in order (a job's update after its create).
        delay = 5.0
        SyncRecord.objects.filter(pk=record.pk, status=record.status).update(
            next_attempt_at=timezone.now() + timedelta(seconds=delay)
        )
        queueing.enqueue(record.pk, countdown=delay)
        return "waiting-for-older-version"
    if record.status == SyncStatus.PENDING and newer_sent:
        versions.supersede(record)
        return "superseded"
    if connection.exports_held_reason and record.status == SyncStatus.PENDING:
        _hold_unclaimed(record, HOLD_AUTHORIZATION, f"Exports are held: {connection.exports_held_reason}")
        return "held"
    first_claim = record.sent_at is None  # never claimed: it has no attempts (SyncRecord.claim)
    token = record.claim(conf.lease_seconds())
    if not token:
        return "taken"
    try:
        return _export(record, token, first_claim)
    except claims.LostLease:
        logger.warning("record %s: lease lost while exporting; the new owner finishes it", record.pk)
        return "lost-lease"


def _export(record: SyncRecord, token: str, first_claim: bool = False) -> str:
    tenant = record.tenant
    try:
        check = preflight.run(tenant, record.object_type, periods.document_of(record))
    except Exception as exc:  # a bug or a database hiccup: keep the record, try again later
        logger.exception("record %s: pre-flight failed", record.pk)
        return _retry_later(record, token, SpectrumMessage("E", f"Internal error before sending: {exc}"))
    mapped = check.mapped
    if mapped.blocking:
        return _fail(record, token, [SpectrumMessage(p.code, p.message, p.column) for p in mapped.blocking])
    if check.config_problems:
        reason = "Mappings incomplete: " + "; ".join(check.config_problems)
        return _hold(record, token, HOLD_CONFIGURATION, reason, "")
    if mapped.missing_parents:
        first = mapped.missing_parents[0]
        reason = "Waiting for Spectrum: " + "; ".join(p.message for p in mapped.missing_parents)
        return _hold(record, token, HOLD_PARENT, reason, first.column)
    if check.period_problems:
        return _hold_period(record, token, periods.from_preflight(record, check.period_problems))
    if check.total_difference and not record.readback.get("difference_accepted"):
        if tenant.total_difference == Tenant.TotalDifference.HOLD:
            return _hold(record, token, HOLD_TOTAL, check.total_difference, "Sales_Tax_Amount")
        record.readback = {**record.readback, "difference_accepted": "sent by the tenant's setting"}
    client = connections.spectrum_client(tenant)
    try:
        return _send_all(record, token, mapped, client, first_claim)
    finally:
        client.close()


def _send_all(record: SyncRecord, token: str, mapped: Mapped, client: Any, first_claim: bool = False) -> str:
    declaration = EXPORTS[record.object_type]
    try:
        local = writer.client_side_problems(client, mapped.calls)
        if local:
            return _fail(record, token, local)
        attempts = claims.earlier(record, first_claim=first_claim)
        sent: list[tuple[str, str]] = []  # (service, request) accepted in this run
        landed = (Outcome.ACCEPTED, Outcome.FOUND)
        done = {req for outcome, _, req, _ in attempts if outcome in landed}
        # A create is tracked by its service, not its exact text: if the mappings changed since the
        # lost send, the document must still not be created a second time.
        created = {service for outcome, service, _, _ in attempts if outcome in landed}
        uncertain = {service for outcome, service, _, _ in attempts if outcome == Outcome.UNKNOWN} - created
        guid = str(uuid.uuid4())  # one GUID per logical batch of Puts (docs/spectrum.md#authorization-id-and-guid)
        number = ""
        for call in mapped.calls:
            request = writer.request_text(call)
            creating = call.service in declaration.creating_services
            if request in done or (creating and call.service in created):
                continue
            resend_guarded = False
            if creating and call.service in uncertain:
                found = _reconcile(record, token, mapped, call, request, client)
                if found is True:
                    continue
                resend_guarded = found is None
            try:
                answer = _send_one(record, token, call, request, client, guid)
            except SpectrumRejected as exc:
                if resend_guarded and any(_DUPLICATE.search(m.message) for m in exc.messages):
                    # Our earlier send went through: Spectrum refuses the same create twice.
                    claims.record_found(record, call, request, "Spectrum already has it (duplicate refused on resend)")
                    continue
                raise
            sent.append((call.service, request))
            if declaration.number_column:
                number = number or answer.value_for(declaration.number_column)
        # With no earlier attempts, what was accepted is what this run sent: read-back need not reread it.
        return _succeed(record, token, mapped, number, None if attempts else sent)
    except SpectrumError as exc:
        return _after_failure(record, token, exc)
    except CannotConfirm as exc:
        return _fail(record, token, [SpectrumMessage("U", str(exc))])


def _send_one(
    record: SyncRecord, token: str, call: SpectrumCall, request: str, client: Any, guid: str
) -> writer.Answer:
    attempt = claims.open_attempt(record, token, call.service, request)
    started = time.monotonic()
    try:
        answer = writer.send(client, call, guid=guid)
    except SpectrumError as exc:
        claims.close_attempt(attempt, started, _outcome_of(exc), exc)
        raise
    elapsed = int((time.monotonic() - started) * 1000)
    SyncAttempt.objects.filter(pk=attempt).update(
        outcome=Outcome.ACCEPTED, response=answer.raw[:20000], duration_ms=elapsed, remote_ms=elapsed
    )
    return answer


def _outcome_of(exc: SpectrumError) -> str:
    return _ON_FAILURE[exc.consequence][0]


def _after_failure(record: SyncRecord, token: str, exc: SpectrumError) -> str:
    """Where a failed call leaves the record: the consequence its error class carries decides."""
    return _ON_FAILURE[exc.consequence][1](record, token, exc)


def _rejected(record: SyncRecord, token: str, exc: SpectrumError) -> str:
    messages = exc.messages if isinstance(exc, SpectrumRejected) else []
    closed = periods.from_rejection(record, messages)  # a closed period waits (docs/spectrum.md#closed-periods)
    if closed is not None:
        return _hold_period(record, token, closed)
    return _fail(record, token, messages or [SpectrumMessage("I", exc.message)])


def _authorization_refused(record: SyncRecord, token: str, exc: SpectrumError) -> str:
    _flag_connection(record.tenant, exc.message)
    reason = f"Spectrum refused the authorization: {exc.message}"
    return _hold(record, token, HOLD_AUTHORIZATION, reason, getattr(exc, "column", ""))


def _retry_after_error(record: SyncRecord, token: str, exc: SpectrumError) -> str:
    return _retry_later(record, token, SpectrumMessage("E", str(exc)))


def _misconfigured(record: SyncRecord, token: str, exc: SpectrumError) -> str:
    return _fail(record, token, [SpectrumMessage("E", f"Configuration: {exc}")])


def _reconcile(
    record: SyncRecord, token: str, mapped: Mapped, call: SpectrumCall, request: str, client: Any
) -> bool | None:
    """Was the uncertain create applied? True: found (recorded); False: absent; None: cannot look,
    but Spectrum refuses a duplicate of this document, so a resend is safe."""
    claims.check_lease(record, token)
    declaration = EXPORTS[record.object_type]
    company = company_of(record.payload, preflight.default_company(record.tenant))
    database = connections.spectrum_database(record.tenant, keep=True)
    if database is not None:
        try:
            # SpectrumDatabase.find_document reads the Info-Link tables
            # (docs/spectrum.md#tables-read-to-reconcile-exports).
            found = database.find_document(mapped.lookup_kind, company, mapped.lookup_key) is not None
        finally:
            database.close()
    elif declaration.web_lookup is not None:
        found = declaration.web_lookup(client, company, mapped.lookup_key)
    elif declaration.resend_is_safe:
        return None
    else:
        raise CannotConfirm(
            f"Spectrum may have received {call.service} but cannot be asked (no database connection); "
            "check Spectrum, then retry or mark as entered by hand"
        )
    if found:
        claims.record_found(record, call, request, f"found in Spectrum by {mapped.lookup_kind} {mapped.lookup_key}")
    return found


# --- outcomes --------------------------------------------------------------------------------------


def _finish(record: SyncRecord, token: str, status: str, **changes: Any) -> None:
    """Move a record we hold the lease of; raises claims.LostLease if we no longer do."""
    told = status in (SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.HELD)
    # A move nobody is told of is one UPDATE, atomic by itself: no transaction around it; nor one
    # whose notification is only its event row (results.alone).
    with transaction.atomic() if told and not alone(record, status) else nullcontext():
        # One conditional UPDATE: still ours (status and lease token), and then locked until commit.
        if not record.transition(
            # The claim ended with an outcome: the worker did not die on this record.
            status,
            expected={"lease_token": token},
            lease_token="",
            lease_expires_at=None,
            platform_notified_at=None,
            lost_claims=0,
            **changes,
        ):
            raise claims.LostLease
        if told:
            after_outcome(record, status)


def _succeed(
    record: SyncRecord, token: str, mapped: Mapped, number: str, sent: list[tuple[str, str]] | None = None
) -> str:
    """Spectrum accepted every call: read the document back before calling it a success.

    The first look is right away, before the record moves: Info-Link reads Spectrum's own tables, so
    a document that was accepted is usually there at once, and one move writes the outcome with what
    was read. Otherwise the record is ``confirming`` and readback.confirm looks again with back-off.
    """
    company = company_of(record.payload, preflight.default_company(record.tenant))
    spectrum_key = key_of(company, *mapped.lookup_key.values())
    seen = {**record.readback, "kind": mapped.lookup_kind, "key": mapped.lookup_key}
    now = timezone.now()
    fields: dict[str, Any] = {
        "spectrum_key": spectrum_key[:100],
        "document_number": (number or mapped.document_number)[:60],
        "company_code": company[:3],
        "error_code": "",
        "error_message": "",
        "error_column": "",
        "held_reason": "",
    }
    if not readback.can_read_back(record.tenant, record.object_type):
        note = {**seen, "note": readback.UNVERIFIED_NOTE}
        _finish(
            record,
            token,
            SyncStatus.SUCCEEDED,
            **fields,
            next_attempt_at=None,
            confirm_until=None,
            verification=Verification.UNVERIFIED,
            readback=note,
        )
        _release_children(record, spectrum_key)
        return "succeeded"
    confirm_until = now + timedelta(seconds=conf.confirm_seconds())
    for name, value in {**fields, "readback": seen}.items():
        setattr(record, name, value)  # what the read-back looks up by; the move below writes them
    verdict = readback.first_look(record, sent)
    if isinstance(verdict, str):
        _finish(
            record,
            token,
            SyncStatus.CONFIRMING,
            **fields,
            next_attempt_at=now,
            confirm_until=confirm_until,
            verification="",
            readback=seen,
        )
        _release_children(record, spectrum_key)
        return readback.look_again(record, verdict)
    _finish(
        record,
        token,
        verdict.status,
        **{**fields, **verdict.changes},
        next_attempt_at=None,
        confirm_until=confirm_until,
        verification=verdict.verification,
        verified_at=timezone.now(),
        readback=verdict.readback,
    )
    _release_children(record, spectrum_key)
    return str(verdict.status)


def _release_children(record: SyncRecord, spectrum_key: str) -> None:
    """Spectrum holds the document: exports held waiting for it may go (once the move commits)."""
    creates = EXPORTS[record.object_type].creates_object
    if creates:
        transaction.on_commit(partial(release_held_for, record.tenant, creates, [spectrum_key]), robust=True)


def _fail(record: SyncRecord, token: str, messages: list[SpectrumMessage]) -> str:
    first = messages[0]
    _finish(
        record,
        token,
        SyncStatus.FAILED,
        error_code=first.code[:10],
        error_message=redact("\n".join(str(m) for m in messages))[:5000],
        error_column=first.column[:100],
        next_attempt_at=None,
    )
    return "failed"


def _hold(record: SyncRecord, token: str, code: str, reason: str, column: str, **changes: Any) -> str:
    _finish(
        record,
        token,
        SyncStatus.HELD,
        error_code=code,
        error_message=reason,
        error_column=column[:100],
        held_reason=reason,
        next_attempt_at=None,
        **changes,
    )
    return "held"


def _hold_period(record: SyncRecord, token: str, hold: periods.PeriodHold) -> str:
    return _hold(record, token, HOLD_PERIOD, redact(hold.reason)[:5000], hold.column, readback=hold.readback(record))


def _hold_unclaimed(record: SyncRecord, code: str, reason: str) -> None:
    with transaction.atomic():
        if record.transition(
            SyncStatus.HELD, error_code=code, error_message=reason, held_reason=reason, platform_notified_at=None
        ):
            after_outcome(record, SyncStatus.HELD)


def _retry_later(record: SyncRecord, token: str, message: SpectrumMessage) -> str:
    if record.attempt_count >= conf.max_attempts():
        text = f"Gave up after {record.attempt_count} tries; last error: {message.message}"
        return _fail(record, token, [SpectrumMessage(message.code, text, message.column)])
    delay = backoff_seconds(record.attempt_count)
    _finish(
        record,
        token,
        SyncStatus.PENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        error_code=message.code[:10],
        error_message=redact(f"Temporary failure, will try again: {message.message}")[:5000],
        error_column=message.column[:100],
    )
    # Short waits ride on the message; long ones are the sweeper's (no long ETA messages in Redis).
    if delay <= 60:
        queueing.enqueue(record.pk, countdown=delay)
    return "retry"


def _to_unknown(record: SyncRecord, token: str, exc: SpectrumError) -> str:
    if record.attempt_count >= conf.max_attempts():
        text = f"Could not confirm with Spectrum after {record.attempt_count} tries: {exc}; check Spectrum"
        return _fail(record, token, [SpectrumMessage("U", text)])
    delay = min(backoff_seconds(record.attempt_count), 60.0)
    _finish(
        record,
        token,
        SyncStatus.UNKNOWN,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        error_code="U",
        error_message=redact(f"Spectrum's answer was lost ({exc}); it will be looked up before any resend")[:5000],
    )
    queueing.enqueue(record.pk, countdown=delay)
    return "unknown"


# Consequence of a failed call → (the attempt's outcome on record, what becomes of the record).
# An untrusted reply keeps its attempt unknown, so the document is looked up before any resend.
_ON_FAILURE: dict[Consequence, tuple[str, Callable[[SyncRecord, str, SpectrumError], str]]] = {
    Consequence.REJECT: (Outcome.REJECTED, _rejected),
    Consequence.HOLD_AUTHORIZATION: (Outcome.AUTHORIZATION, _authorization_refused),
    Consequence.RECONCILE: (Outcome.UNKNOWN, _to_unknown),
    Consequence.RETRY_UNTRUSTED: (Outcome.UNKNOWN, _retry_after_error),
    Consequence.RETRY: (Outcome.RETRYABLE, _retry_after_error),
    Consequence.CONFIGURATION: (Outcome.ERROR, _misconfigured),
}


def _flag_connection(tenant: Tenant, message: str) -> None:
    SpectrumConnection.objects.filter(tenant=tenant).update(
        exports_held_reason=redact(message)[:2000], exports_held_at=timezone.now()
    )
