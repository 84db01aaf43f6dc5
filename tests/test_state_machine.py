"""The sync record's state machine refuses illegal moves and loses races visibly."""

from __future__ import annotations

import pytest

from spectrum_sync.models import (
    ALLOWED_TRANSITIONS,
    Direction,
    IllegalTransition,
    ObjectType,
    SyncRecord,
    SyncStatus,
    Tenant,
)


def _record(tenant: Tenant, status: str = SyncStatus.PENDING, platform_id: str = "INV-1") -> SyncRecord:
    return SyncRecord.objects.create(
        tenant=tenant,
        direction=Direction.EXPORT,
        object_type=ObjectType.AR_INVOICE,
        platform_id=platform_id,
        version="1",
        status=status,
        idempotency_key=SyncRecord.make_idempotency_key(
            tenant.pk, Direction.EXPORT, ObjectType.AR_INVOICE, platform_id, "1"
        ),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "target"),
    [
        (start, target)
        for start in SyncStatus.values
        for target in SyncStatus.values
        if target not in ALLOWED_TRANSITIONS[start]
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(tenant: Tenant, start: str, target: str) -> None:
    record = _record(tenant, status=start)
    with pytest.raises(IllegalTransition):
        record.transition(target)
    assert SyncRecord.objects.get(pk=record.pk).status == start


@pytest.mark.django_db
def test_final_states_allow_nothing(tenant: Tenant) -> None:
    for status in (SyncStatus.SUCCEEDED, SyncStatus.BYPASSED):
        assert _record(tenant, status=status, platform_id=status).is_final


@pytest.mark.django_db
def test_a_legal_path_records_its_fields(tenant: Tenant) -> None:
    record = _record(tenant)
    token = record.claim()
    assert token
    assert record.status == SyncStatus.SENDING
    assert record.attempt_count == 1
    assert record.transition(SyncStatus.SUCCEEDED, spectrum_key="AR-1001")
    stored = SyncRecord.objects.get(pk=record.pk)
    assert (stored.status, stored.spectrum_key) == (SyncStatus.SUCCEEDED, "AR-1001")
    assert stored.finished_at is not None


@pytest.mark.django_db
def test_two_workers_claiming_one_record_only_one_wins(tenant: Tenant) -> None:
    record = _record(tenant)
    first = SyncRecord.objects.get(pk=record.pk)
    second = SyncRecord.objects.get(pk=record.pk)
    assert first.claim()
    assert second.claim() is None  # lost the race: sees the row is already sending
    assert second.status == SyncStatus.SENDING
    assert SyncRecord.objects.get(pk=record.pk).attempt_count == 1


@pytest.mark.django_db
def test_a_stale_instance_cannot_overwrite_a_newer_outcome(tenant: Tenant) -> None:
    record = _record(tenant)
    record.claim()
    stale = SyncRecord.objects.get(pk=record.pk)
    assert record.transition(SyncStatus.SUCCEEDED)
    # The stale copy still thinks it is sending; its failure must not overwrite the success.
    assert stale.transition(SyncStatus.FAILED, error_message="late timeout") is False
    assert SyncRecord.objects.get(pk=record.pk).status == SyncStatus.SUCCEEDED


@pytest.mark.django_db
def test_the_same_document_version_is_one_record(tenant: Tenant) -> None:
    from django.db import IntegrityError, transaction

    _record(tenant)
    with pytest.raises(IntegrityError), transaction.atomic():
        _record(tenant)
