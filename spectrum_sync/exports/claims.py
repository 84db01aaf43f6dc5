"""The attempts' numbers of one export run (spectrum_sync/exports/engine.py).

Kept to as few queries as the guarantees allow (bench/export_throughput.py counts them): the
attempts are read at most once per run (the claim itself is one UPDATE, ``SyncRecord.claim``).
"""

from __future__ import annotations

from spectrum_sync.models import SyncRecord


def earlier(record: SyncRecord, *, first_claim: bool = False) -> list[tuple[str, str, str, int]]:
    """(outcome, service, request, number) of the record's attempts so far; the next numbers follow.

    ``first_claim``: the record had never been claimed (no ``sent_at``) before this run's claim, so it
    has no attempts (only a lease holder writes them) and nothing is read. Otherwise always read: a
    retry sets ``attempt_count`` back to 0, so not even a count of 0 says there are none."""
    attempts = [] if first_claim else list(record.attempts.values_list("outcome", "service", "request", "number"))
    # Only the lease holder writes attempts: the next numbers follow from this one read.
    record._next_attempt = max((number for *_, number in attempts), default=0) + 1  # type: ignore[attr-defined]
    return attempts


def next_number(record: SyncRecord) -> int:
    """The number of the attempt about to be written: counted on from the attempts :func:`earlier`
    read, else (a path that did not read them) looked up."""
    number = getattr(record, "_next_attempt", None)
    if number is None:
        last = record.attempts.order_by("-number").values_list("number", flat=True).first()
        number = (last or 0) + 1
    record._next_attempt = number + 1  # type: ignore[attr-defined]
    return int(number)
