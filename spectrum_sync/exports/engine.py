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
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from connectors.errors import Consequence
from connectors.spectrum.errors import SpectrumError, SpectrumMessage, SpectrumRejected
from mappings.mappers import Mapped, SpectrumCall, company_of, key_of
from mappings.rules import Known, MappingRules
from spectrum_sync import connections
from spectrum_sync.catalogue import EXPORTS
from spectrum_sync.enqueue import EXPORT_RECORD, EXPORT_RESULT
from spectrum_sync.enqueue import send as send_task
from spectrum_sync.exports import conf, preflight, writer
from spectrum_sync.models import Direction, SpectrumConnection, SyncAttempt, SyncRecord, SyncStatus, Tenant
from spectrum_sync.redaction import redact

logger = logging.getLogger(__name__)

Outcome = SyncAttempt.Outcome

# Holds are told apart by their code: "M" waits for a master record (Spectrum's "missing"), "A" for
# the connection's authorization (Spectrum's "abort"), "CFG" for incomplete mappings.
HOLD_PARENT, HOLD_AUTHORIZATION, HOLD_CONFIGURATION = "M", "A", "CFG"
# An older version retried after a newer one reached Spectrum: never sent.
SUPERSEDED = "SUPERSEDED"
# Held because the tenant has no Spectrum connection yet; released when one is saved.
HOLD_NO_CONNECTION = "CONN"
NO_CONNECTION = "No Spectrum connection yet: this document is sent once the tenant's connection is added."
# A record set aside because workers kept dying on it (a poison document), never Spectrum's code.
WORKER_LOST = "WORKER"

# What Spectrum says when a create meets a document that exists: after a lost answer this means
# our first send went through.
_DUPLICATE = re.compile(r"(?i)duplicate|already exists|must be unique|not unique|must not exist")


class LostLease(Exception):
    """The lease ran out and someone else owns the record now: stop without touching it."""


class CannotConfirm(Exception):
    """Spectrum cannot be asked whether an uncertain create went through."""


# --- enqueueing ------------------------------------------------------------------------------------


def enqueue(record_id: int, countdown: float | None = None) -> None:
    """Hand a record to the exports queue; if the broker is down the sweeper finds it later."""
    try:
        if countdown:
            send_task(EXPORT_RECORD, record_id, countdown=countdown)
        else:
            send_task(EXPORT_RECORD, record_id)
    except Exception:
        logger.warning("could not enqueue export of record %s; the sweeper will", record_id, exc_info=True)


def enqueue_on_commit(record_id: int, countdown: float | None = None) -> None:
    transaction.on_commit(partial(enqueue, record_id, countdown), robust=True)


def backoff_seconds(attempt: int) -> float:
    """Exponential back-off with jitter: between half and all of base·2^(attempt-1), capped."""
    ceiling = min(conf.backoff_cap_seconds(), conf.backoff_base_seconds() * 2 ** max(attempt - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


# --- the run of one record -----------------------------------------------------------------------


def process(record_id: int) -> str:
    """Export one record if it is due; returns what happened (for logs and tests)."""
    record = (
        SyncRecord.objects.select_related("tenant", "tenant__connection")
        .filter(pk=record_id, direction=Direction.EXPORT)
        .first()
    )
    if record is None or record.status not in (SyncStatus.PENDING, SyncStatus.UNKNOWN):
        return "skipped"
    if record.next_attempt_at and record.next_attempt_at > timezone.now():
        return "not-due"
    tenant = record.tenant
    if not tenant.active:
        return "tenant-inactive"
    try:
        connection = tenant.connection  # loaded with the record, and kept for the client built later
    except SpectrumConnection.DoesNotExist:
        if record.status == SyncStatus.PENDING:
            _hold_unclaimed(record, HOLD_NO_CONNECTION, NO_CONNECTION)
        return "no-connection"
    if _older_version_unfinished(record):
        # Versions of one document reach Spectrum in order (a job's update after its create).
        delay = 5.0
        SyncRecord.objects.filter(pk=record.pk, status=record.status).update(
            next_attempt_at=timezone.now() + timedelta(seconds=delay)
        )
        enqueue(record.pk, countdown=delay)
        return "waiting-for-older-version"
    if record.status == SyncStatus.PENDING and _newer_version_sent(record):
        _supersede(record)
        return "superseded"
    if connection.exports_held_reason and record.status == SyncStatus.PENDING:
        _hold_unclaimed(record, HOLD_AUTHORIZATION, f"Exports are held: {connection.exports_held_reason}")
        return "held"
    token = record.claim(conf.lease_seconds())
    if not token:
        return "taken"
    try:
        return _export(record, token)
    except LostLease:
        logger.warning("record %s: lease lost while exporting; the new owner finishes it", record.pk)
        return "lost-lease"


def _older_version_unfinished(record: SyncRecord) -> bool:
    return (
        SyncRecord.objects.filter(
            tenant_id=record.tenant_id,
            direction=Direction.EXPORT,
            object_type=record.object_type,
            platform_id=record.platform_id,
            created_at__lt=record.created_at,
        )
        .exclude(status__in=[SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.BYPASSED])
        .exists()
    )


def _newer_version_sent(record: SyncRecord) -> bool:
    """A later version of the document went to Spectrum (an older one failed, then was retried)."""
    return SyncRecord.objects.filter(
        tenant_id=record.tenant_id,
        direction=Direction.EXPORT,
        object_type=record.object_type,
        platform_id=record.platform_id,
        created_at__gt=record.created_at,
        status__in=[SyncStatus.SUCCEEDED, SyncStatus.SENDING, SyncStatus.UNKNOWN],
    ).exists()


def _supersede(record: SyncRecord) -> None:
    message = "Not sent: a newer version of this document has gone to Spectrum, and this one would overwrite it."
    with transaction.atomic():
        if record.transition(
            SyncStatus.FAILED, error_code=SUPERSEDED, error_message=message, error_column="", platform_notified_at=None
        ):
            _after_outcome(record, SyncStatus.FAILED)


def _export(record: SyncRecord, token: str) -> str:
    tenant = record.tenant
    # When a worker took it: the ledger's split between waiting in the queue and our work.
    record.sent_at = timezone.now()
    SyncRecord.objects.filter(pk=record.pk, lease_token=token).update(sent_at=record.sent_at)
    try:
        check = preflight.run(tenant, record.object_type, record.payload)
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
    client = connections.spectrum_client(tenant)
    try:
        return _send_all(record, token, mapped, client)
    finally:
        client.close()


def _send_all(record: SyncRecord, token: str, mapped: Mapped, client: Any) -> str:
    declaration = EXPORTS[record.object_type]
    try:
        local = writer.client_side_problems(client, mapped.calls)
        if local:
            return _fail(record, token, local)
        attempts = list(record.attempts.values_list("outcome", "service", "request"))
        landed = (Outcome.ACCEPTED, Outcome.FOUND)
        done = {req for outcome, _, req in attempts if outcome in landed}
        # A create is tracked by its service, not its exact text: if the mappings changed since the
        # lost send, the document must still not be created a second time.
        created = {service for outcome, service, _ in attempts if outcome in landed}
        uncertain = {service for outcome, service, _ in attempts if outcome == Outcome.UNKNOWN} - created
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
                    _record_found(record, call, request, "Spectrum already has it (duplicate refused on resend)")
                    continue
                raise
            if declaration.number_column:
                number = number or answer.value_for(declaration.number_column)
        return _succeed(record, token, mapped, number)
    except SpectrumError as exc:
        return _after_failure(record, token, exc)
    except CannotConfirm as exc:
        return _fail(record, token, [SpectrumMessage("U", str(exc))])


def _check_lease(record: SyncRecord, token: str) -> None:
    """Before each call to Spectrum: still ours? Then the lease is renewed for another full term.

    One conditional UPDATE does both, so a document of many calls (a job with its phases) keeps its
    lease while it makes progress, and a worker that lost it stops before the next call.
    """
    until = timezone.now() + timedelta(seconds=conf.lease_seconds())
    renewed = SyncRecord.objects.filter(pk=record.pk, status=SyncStatus.SENDING, lease_token=token).update(
        lease_expires_at=until
    )
    if not renewed:
        raise LostLease


def _next_attempt_number(record: SyncRecord) -> int:
    last = record.attempts.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def _send_one(
    record: SyncRecord, token: str, call: SpectrumCall, request: str, client: Any, guid: str
) -> writer.Answer:
    _check_lease(record, token)
    # Written (and committed) before sending: if we die waiting, the row says the outcome is unknown.
    attempt = SyncAttempt.objects.create(
        record=record,
        number=_next_attempt_number(record),
        outcome=Outcome.UNKNOWN,
        service=call.service,
        request=request,
    )
    started = time.monotonic()
    try:
        answer = writer.send(client, call, guid=guid)
    except SpectrumError as exc:
        _close_attempt(attempt, started, _outcome_of(exc), exc)
        raise
    elapsed = int((time.monotonic() - started) * 1000)
    SyncAttempt.objects.filter(pk=attempt.pk).update(
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
    return _fail(record, token, messages or [SpectrumMessage("I", exc.message)])


def _authorization_refused(record: SyncRecord, token: str, exc: SpectrumError) -> str:
    _flag_connection(record.tenant, exc.message)
    reason = f"Spectrum refused the authorization: {exc.message}"
    return _hold(record, token, HOLD_AUTHORIZATION, reason, getattr(exc, "column", ""))


def _retry_after_error(record: SyncRecord, token: str, exc: SpectrumError) -> str:
    return _retry_later(record, token, SpectrumMessage("E", str(exc)))


def _misconfigured(record: SyncRecord, token: str, exc: SpectrumError) -> str:
    return _fail(record, token, [SpectrumMessage("E", f"Configuration: {exc}")])


def _close_attempt(attempt: SyncAttempt, started: float, outcome: str, exc: SpectrumError) -> None:
    first = exc.first if isinstance(exc, SpectrumRejected) else None
    elapsed = int((time.monotonic() - started) * 1000)
    SyncAttempt.objects.filter(pk=attempt.pk).update(
        outcome=outcome,
        duration_ms=elapsed,
        remote_ms=elapsed,
        response=redact(exc.detail or "")[:20000],
        error_code=(first.code if first else getattr(exc, "code", ""))[:10],
        error_message=redact(str(exc))[:5000],
        error_column=(first.column if first else getattr(exc, "column", ""))[:100],
    )


def _record_found(record: SyncRecord, call: SpectrumCall, request: str, note: str) -> None:
    SyncAttempt.objects.create(
        record=record,
        number=_next_attempt_number(record),
        outcome=Outcome.FOUND,
        service=call.service,
        request=request,
        response=note,
    )


def _reconcile(
    record: SyncRecord, token: str, mapped: Mapped, call: SpectrumCall, request: str, client: Any
) -> bool | None:
    """Was the uncertain create applied? True: found (recorded); False: absent; None: cannot look,
    but Spectrum refuses a duplicate of this document, so a resend is safe."""
    _check_lease(record, token)
    declaration = EXPORTS[record.object_type]
    company = company_of(record.payload, preflight.default_company(record.tenant))
    database = connections.spectrum_database(record.tenant)
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
        _record_found(record, call, request, f"found in Spectrum by {mapped.lookup_kind} {mapped.lookup_key}")
    return found


# --- outcomes --------------------------------------------------------------------------------------


def _finish(record: SyncRecord, token: str, status: str, **changes: Any) -> None:
    """Move a record we hold the lease of; raises LostLease if we no longer do."""
    with transaction.atomic():
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
            raise LostLease
        if status in (SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.HELD):
            _after_outcome(record, status)


def _after_outcome(record: SyncRecord, status: str) -> None:
    """Tell the platform and the notification rules, once the outcome is committed."""
    from spectrum_sync.notifications.api import notify_event

    notify_event(record.tenant, str(status), record=record)
    transaction.on_commit(partial(tell_platform, record.pk), robust=True)


def _succeed(record: SyncRecord, token: str, mapped: Mapped, number: str) -> str:
    company = company_of(record.payload, preflight.default_company(record.tenant))
    spectrum_key = key_of(company, *mapped.lookup_key.values())
    _finish(
        record,
        token,
        SyncStatus.SUCCEEDED,
        spectrum_key=spectrum_key[:100],
        document_number=(number or mapped.document_number)[:60],
        company_code=company[:3],
        error_code="",
        error_message="",
        error_column="",
        held_reason="",
        next_attempt_at=None,
    )
    creates = EXPORTS[record.object_type].creates_object
    if creates:
        tenant = record.tenant
        transaction.on_commit(partial(release_held_for, tenant, creates, [spectrum_key]), robust=True)
    return "succeeded"


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


def _hold(record: SyncRecord, token: str, code: str, reason: str, column: str) -> str:
    _finish(
        record,
        token,
        SyncStatus.HELD,
        error_code=code,
        error_message=reason,
        error_column=column[:100],
        held_reason=reason,
        next_attempt_at=None,
    )
    return "held"


def _hold_unclaimed(record: SyncRecord, code: str, reason: str) -> None:
    with transaction.atomic():
        if record.transition(
            SyncStatus.HELD, error_code=code, error_message=reason, held_reason=reason, platform_notified_at=None
        ):
            _after_outcome(record, SyncStatus.HELD)


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
        enqueue(record.pk, countdown=delay)
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
    enqueue(record.pk, countdown=delay)
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


# --- telling the platform --------------------------------------------------------------------------


def result_item(record: SyncRecord) -> dict[str, Any]:
    from connectors.platform.client import upsert

    return upsert(
        str(record.pk),
        {
            "sync_record_id": record.pk,
            "document_type": EXPORTS[record.object_type].api_name,
            "platform_id": record.platform_id,
            "version": record.version,
            "status": record.status,
            "document_number": record.document_number,
            "error_code": record.error_code,
            "error_message": record.error_message,
            "error_column": record.error_column,
            "held_reason": record.held_reason,
        },
    )


def post_result(record_id: int) -> bool:
    """Post a record's current outcome to the tenant's platform (signed, retried by the client).

    The delivery id names the outcome, so a repeat after a crash is a duplicate the platform
    ignores. On failure ``platform_notified_at`` stays empty and the sweeper tries again.
    """
    record = _untold(record_id)
    return record is not None and _deliver_result(record, patient=True)


def tell_platform(record_id: int) -> None:
    """Right after an outcome commits, in the worker: one quick try without retry sleeps, so the
    worker moves on at once; if the platform did not take it, the result task tries patiently."""
    record = _untold(record_id)
    if record is not None and not _deliver_result(record, patient=False):
        enqueue_result(record.pk)


def _untold(record_id: int) -> SyncRecord | None:
    """The record, if it has a final outcome its tenant's platform has not been told of."""
    record = SyncRecord.objects.select_related("tenant").filter(pk=record_id).first()
    if record is None or record.platform_notified_at or not record.tenant.platform_url:
        return None
    if record.status not in (SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.HELD, SyncStatus.BYPASSED):
        return None
    return record


def _deliver_result(record: SyncRecord, *, patient: bool) -> bool:
    from connectors.platform.client import RetryPolicy
    from connectors.platform.errors import PlatformError

    delivery_id = f"export-result-{record.pk}-{record.status}-{record.attempt_count}"
    client = connections.platform_client(record.tenant)
    if not patient:
        client.retry = RetryPolicy(max_attempts=1)
    try:
        client.deliver("export-results", [result_item(record)], delivery_id=delivery_id)
    except PlatformError:
        logger.warning("record %s: telling the platform failed; it is tried again later", record.pk, exc_info=True)
        return False
    finally:
        client.close()
    SyncRecord.objects.filter(pk=record.pk, status=record.status, platform_notified_at__isnull=True).update(
        platform_notified_at=timezone.now()
    )
    return True


# --- holds waiting for a parent -------------------------------------------------------------------


def parents_of(record: SyncRecord) -> set[tuple[str, str]]:
    """The master records (object_type, mirror key) the document refers to."""
    declaration = EXPORTS.get(record.object_type)
    if declaration is None:
        return set()
    company = company_of(record.payload, preflight.default_company(record.tenant))
    probe = declaration.mapper(record.payload, MappingRules(), Known(), company)
    return {p.parent for p in probe.missing_parents if p.parent}


def release_held_for(tenant: Tenant, object_type: str, keys: Iterable[str]) -> int:
    """Release the tenant's exports held for a missing ``object_type`` whose key is in ``keys``.

    For the IMPORTS poll (after it writes the mirror) and for our own job exports. Keys are mirror
    keys, ``"<company>|<code>"`` (``SpectrumRecord.key``). Released records go back to pending and
    are enqueued after commit; one still missing another parent is held again by the engine.
    Returns how many were released.
    """
    arrived = {(object_type, key) for key in keys}
    if not arrived:
        return 0
    released = 0
    held = SyncRecord.objects.filter(
        tenant=tenant, direction=Direction.EXPORT, status=SyncStatus.HELD, error_code=HOLD_PARENT
    ).select_related("tenant")
    with transaction.atomic():
        for record in held:
            if parents_of(record) & arrived and record.transition(
                SyncStatus.PENDING, next_attempt_at=None, held_reason="", error_message="", platform_notified_at=None
            ):
                released += 1
                enqueue_on_commit(record.pk)
    return released


def release_on_new_connection(instance: SpectrumConnection, created: bool, raw: bool = False, **_: Any) -> None:
    """A tenant's first connection is saved (``post_save``, connected in SpectrumSyncConfig.ready):
    documents that arrived while it had none were held for one."""
    if created and not raw:
        release_held_without_connection(instance.tenant)


def release_held_without_connection(tenant: Tenant) -> int:
    """The tenant's exports held for want of a Spectrum connection go back to pending (one is saved)."""
    released = 0
    held = SyncRecord.objects.filter(
        tenant=tenant, direction=Direction.EXPORT, status=SyncStatus.HELD, error_code=HOLD_NO_CONNECTION
    ).select_related("tenant")
    if not held.exists():  # the usual case: every connection save asks
        return 0
    with transaction.atomic():
        for record in held:
            if record.transition(
                SyncStatus.PENDING,
                next_attempt_at=None,
                held_reason="",
                error_code="",
                error_message="",
                platform_notified_at=None,
            ):
                released += 1
                enqueue_on_commit(record.pk)
    return released


# --- the sweeper ------------------------------------------------------------------------------------


def sweep(limit: int = 500) -> dict[str, int]:
    """Re-enqueue what a lost message or a dead worker left behind; retell the platform.

    - ``sending`` with an expired lease → ``unknown`` (the send may have happened: reconcile first);
    - held for a parent that has arrived meanwhile (a release the poll could not make) → pending;
    - ``pending`` / ``unknown`` that are due, or untouched for a while → enqueued again;
    - outcomes the platform was not told of → told.
    """
    now = timezone.now()
    counts = {"expired": 0, "released": 0, "enqueued": 0, "results": 0}
    exports = SyncRecord.objects.filter(direction=Direction.EXPORT, tenant__active=True)
    for record in exports.filter(status=SyncStatus.SENDING, lease_expires_at__lt=now).order_by("lease_expires_at")[
        :limit
    ]:
        if _expire_lease(record, now):
            counts["expired"] += 1
    counts["released"] = _release_arrived_parents(exports, limit)
    stale = now - timedelta(seconds=conf.stale_seconds())
    due = exports.filter(status__in=[SyncStatus.PENDING, SyncStatus.UNKNOWN]).filter(
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, updated_at__lt=stale)
    )
    for record_id in fair_share(due, limit):
        enqueue(record_id)
        counts["enqueued"] += 1
    untold = exports.filter(
        status__in=[SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.HELD, SyncStatus.BYPASSED],
        platform_notified_at__isnull=True,
        updated_at__lt=stale,
    ).exclude(tenant__platform_url="")
    for record_id in fair_share(untold, limit):
        enqueue_result(record_id)
        counts["results"] += 1
    return counts


def fair_share(records: Any, limit: int) -> list[int]:
    """Up to ``limit`` ids, taken round robin over tenants: every tenant's first due record, then
    every tenant's second, and so on. One tenant's backlog cannot fill the window while another
    tenant's lost messages wait."""
    turn = Window(RowNumber(), partition_by=[F("tenant_id")], order_by=[F("next_attempt_at").asc(), F("pk").asc()])
    ranked = records.annotate(turn=turn).order_by("turn", "next_attempt_at", "pk")
    return list(ranked.values_list("pk", flat=True)[:limit])


def _expire_lease(record: SyncRecord, now: datetime) -> bool:
    """A worker took the record and stopped without an outcome (it died, or hung past its lease).

    Usually the record goes to ``unknown``: Spectrum is checked before any resend. When workers
    have now died on it EXPORT_WORKER_LOSS_LIMIT claims in a row, the document itself is the likely
    cause (a poison document): it is set aside as failed instead, so it cannot take the next worker
    down too; the accountant sees why, and a retry still checks Spectrum before sending.
    """
    lost = record.lost_claims + 1
    if lost >= conf.worker_loss_limit():
        what = f"the worker exporting this document stopped {lost} times in a row"
        return _set_aside(record, what, "before finishing", lease_token="", lease_expires_at=None, lost_claims=lost)
    return record.transition(
        SyncStatus.UNKNOWN,
        lease_token="",
        lease_expires_at=None,
        next_attempt_at=now,
        lost_claims=lost,
        error_code="U",
        error_message="The worker sending this stopped before Spectrum's answer was recorded; "
        "Spectrum is checked before any resend",
    )


def set_aside_undeliverable(record_id: int, deliveries: int) -> bool:
    """Its task message killed the worker ``deliveries`` times before the record was even claimed.

    Celery drops such a message after its worker-lost retries (CELERY_TASK_RETRY_ON_WORKER_LOST);
    the record would otherwise sit pending and be fed to workers again by the sweeper. A record
    that is already being sent is left to the lease (``_expire_lease``).
    """
    record = SyncRecord.objects.filter(pk=record_id, direction=Direction.EXPORT).select_related("tenant").first()
    if record is None or record.status not in (SyncStatus.PENDING, SyncStatus.UNKNOWN):
        return False
    what = f"the worker process picking up this document stopped {deliveries} times"
    return _set_aside(record, what, "before it could start")


def _set_aside(record: SyncRecord, what: str, when: str, **changes: Any) -> bool:
    """Fail a poison document with the reason, tell the platform and the rules; False if it moved."""
    message = (
        f"Set aside: {what} (crashed, ran out of memory or was killed) {when}. Spectrum is checked before "
        "any resend, so retrying cannot enter it twice."
    )
    with transaction.atomic():
        if not record.transition(
            SyncStatus.FAILED,
            next_attempt_at=None,
            platform_notified_at=None,
            error_code=WORKER_LOST,
            error_column="",
            error_message=message,
            **changes,
        ):
            return False
        _after_outcome(record, SyncStatus.FAILED)
    logger.critical("record %s set aside: %s", record.pk, what)
    return True


def _release_arrived_parents(exports: Any, limit: int) -> int:
    """Held-for-a-parent records whose parents all exist now go back to pending (oldest first)."""
    released = 0
    held = exports.filter(status=SyncStatus.HELD, error_code=HOLD_PARENT).select_related("tenant")
    for record in held.order_by("updated_at")[:limit]:
        parents = parents_of(record)
        if parents and preflight.known_records(record.tenant, parents) >= parents:
            with transaction.atomic():
                if record.transition(
                    SyncStatus.PENDING, next_attempt_at=None, held_reason="", platform_notified_at=None
                ):
                    released += 1
                    enqueue_on_commit(record.pk)
    return released


def enqueue_result(record_id: int) -> None:
    try:
        send_task(EXPORT_RESULT, record_id)
    except Exception:
        logger.warning("could not enqueue the result of record %s", record_id, exc_info=True)
