"""The dispatcher and the lease: what is due starts once, and never twice at the same time."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from spectrum_sync.imports import actions, dispatcher, leases
from spectrum_sync.models import PollSchedule, SpectrumConnection, SyncRun, Tenant


class Collect:
    def __init__(self) -> None:
        self.calls: list[tuple[list[tuple[int, int]], str]] = []

    def __call__(self, claimed: list[tuple[int, int]], trigger: str) -> None:
        self.calls.append((list(claimed), trigger))

    @property
    def ids(self) -> list[int]:
        return [schedule_id for claimed, _ in self.calls for schedule_id, _ in claimed]


def make_tenant(slug: str, active: bool = True) -> Tenant:
    tenant = Tenant.objects.create(name=slug, slug=slug, active=active)
    SpectrumConnection.objects.create(
        tenant=tenant, base_url="http://127.0.0.1:8482", authorization_id="X", company_codes="AC1"
    )
    return tenant


@pytest.mark.django_db
def test_only_due_enabled_free_schedules_of_active_tenants_are_claimed() -> None:
    now = timezone.now()
    live, asleep = make_tenant("live"), make_tenant("asleep", active=False)
    due = PollSchedule.objects.create(tenant=live, object_type="customer", next_due_at=now - timedelta(minutes=1))
    PollSchedule.objects.create(tenant=live, object_type="vendor", next_due_at=now + timedelta(minutes=5))
    PollSchedule.objects.create(tenant=live, object_type="job", next_due_at=now, enabled=False)
    PollSchedule.objects.create(tenant=asleep, object_type="customer", next_due_at=now)
    PollSchedule.objects.create(
        tenant=live, object_type="phase", next_due_at=now, lease_expires_at=now + timedelta(minutes=2)
    )
    collect = Collect()

    claimed = dispatcher.dispatch_due(now, enqueue=collect)

    assert [schedule_id for schedule_id, _ in claimed] == [due.pk]
    assert collect.calls == [([(due.pk, 1)], SyncRun.Trigger.SCHEDULE)]
    due.refresh_from_db()
    assert due.fencing_token == 1
    assert due.lease_expires_at is not None and due.lease_expires_at > now
    # Anchored to the schedule: due a minute ago + 30 minutes.
    assert due.next_due_at == now - timedelta(minutes=1) + timedelta(minutes=30)
    # A second tick right away finds nothing: the row is leased and no longer due.
    assert dispatcher.dispatch_due(now, enqueue=collect) == []


@pytest.mark.django_db
def test_a_schedule_late_by_more_than_its_interval_is_not_polled_in_a_burst() -> None:
    now = timezone.now()
    schedule = PollSchedule.objects.create(
        tenant=make_tenant("late"), object_type="customer", interval_minutes=1, next_due_at=now - timedelta(hours=3)
    )
    dispatcher.dispatch_due(now, enqueue=Collect())
    schedule.refresh_from_db()
    assert schedule.next_due_at == now + timedelta(minutes=1)


@pytest.mark.django_db
def test_an_expired_lease_is_taken_over_with_a_newer_token() -> None:
    now = timezone.now()
    schedule = PollSchedule.objects.create(
        tenant=make_tenant("t"), object_type="customer", next_due_at=now, fencing_token=7,
        lease_owner="worker:dead", lease_expires_at=now - timedelta(seconds=1),
    )  # fmt: skip
    claimed = dispatcher.dispatch_due(now, enqueue=Collect())
    assert claimed == [(schedule.pk, 8)]
    # The dead poll wakes up: its token is stale, it can neither extend nor write.
    with pytest.raises(leases.LeaseLost):
        leases.extend(schedule.pk, 7)


@pytest.mark.django_db
def test_a_duplicated_task_message_starts_one_poll() -> None:
    schedule = PollSchedule.objects.create(tenant=make_tenant("t"), object_type="customer")
    token = leases.take(schedule.pk, "dispatch")
    assert token is not None

    first = leases.start(schedule.pk, token, "worker-1")
    second = leases.start(schedule.pk, token, "worker-2")

    assert first == token + 1
    assert second is None
    assert actions.poll_scheduled(schedule.pk, token, "schedule") is None
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_sync_now_while_a_poll_runs_reports_it_instead_of_starting_another(monkeypatch: Any) -> None:
    tenant = make_tenant("t")
    actions.ensure_schedules(tenant)
    collect = Collect()
    monkeypatch.setattr(dispatcher, "enqueue_polls", collect)
    PollSchedule.objects.filter(tenant=tenant, object_type="vendor").update(
        lease_expires_at=timezone.now() + timedelta(minutes=3)
    )

    result = actions.sync_now(tenant, ["customer", "vendor"])

    assert result.started == ["customer"]
    assert result.already_running == ["vendor"]
    assert collect.calls[0][1] == SyncRun.Trigger.MANUAL
    assert "already running: vendor" in str(result)
    with pytest.raises(actions.PollBusy):
        actions.run_in_foreground(tenant, "vendor")


@pytest.mark.django_db
def test_a_lost_enqueue_gives_the_lease_back_so_the_next_tick_retries() -> None:
    now = timezone.now()
    schedule = PollSchedule.objects.create(tenant=make_tenant("t"), object_type="customer", next_due_at=now)

    def broker_down(claimed: Any, trigger: str) -> None:
        raise ConnectionError("redis down")

    dispatcher.dispatch_due(now, enqueue=broker_down)

    schedule.refresh_from_db()
    assert schedule.lease_expires_at is None
    assert schedule.next_due_at <= timezone.now()
    assert dispatcher.dispatch_due(enqueue=Collect()) != []


@pytest.mark.django_db
def test_schedules_follow_what_the_connection_can_read() -> None:
    tenant = make_tenant("web")
    web_only = {s.object_type for s in actions.ensure_schedules(tenant)}
    assert web_only == {"customer", "vendor", "job", "cost_type", "phase", "budget", "job_cost"}

    SpectrumConnection.objects.filter(tenant=tenant).update(db_enabled=True, db_host="h", db_name="d", db_user="u")
    tenant.refresh_from_db()
    demo = actions.enable_demo_polls(tenant)
    assert {s.object_type for s in demo} >= {"gl_account", "gl_department", "prime_contract", "customer"}
    assert {s.interval_minutes for s in demo} == {1}
    assert PollSchedule.objects.filter(tenant=tenant).count() == len(demo)


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_claim_each_due_row_exactly_once() -> None:
    now = timezone.now()
    tenants = [make_tenant(f"t{i}") for i in range(20)]
    for tenant in tenants:
        for object_type in ("customer", "vendor", "job"):
            PollSchedule.objects.create(tenant=tenant, object_type=object_type, next_due_at=now)
    collected: list[Collect] = [Collect() for _ in range(4)]
    barrier = threading.Barrier(len(collected))

    def tick(collect: Collect) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            dispatcher.dispatch_due(now, limit=25, enqueue=collect)
            dispatcher.dispatch_due(now, limit=25, enqueue=collect)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=tick, args=(c,)) for c in collected]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ids = [schedule_id for c in collected for schedule_id in c.ids]
    assert len(ids) == len(set(ids)) == 60
    assert set(PollSchedule.objects.values_list("fencing_token", flat=True)) == {1}


@pytest.mark.django_db
def test_a_poll_whose_message_was_lost_is_dispatched_again_when_its_lease_expires() -> None:
    now = timezone.now()
    next_due = now + timedelta(minutes=20)
    schedule = PollSchedule.objects.create(
        tenant=make_tenant("t"), object_type="customer", next_due_at=next_due, fencing_token=3,
        lease_owner=leases.owner_name("dispatch"), lease_expires_at=now - timedelta(seconds=1),
    )  # fmt: skip

    assert dispatcher.dispatch_due(now, enqueue=Collect()) == [(schedule.pk, 4)]
    schedule.refresh_from_db()
    assert schedule.next_due_at == next_due  # the schedule itself keeps its time


@pytest.mark.django_db
def test_a_big_tick_publishes_fan_out_tasks_that_publish_the_polls(monkeypatch: Any) -> None:
    from spectrum_sync.tasks import dispatch_fanout

    published: list[Any] = []
    monkeypatch.setattr(dispatcher, "FANOUT_SIZE", 2)
    monkeypatch.setattr(dispatch_fanout, "apply_async", lambda args, **kw: published.append(args))
    polls = Collect()
    monkeypatch.setattr(dispatcher, "enqueue_polls", polls)
    tenant = make_tenant("t")
    for object_type in ("customer", "vendor", "job", "phase", "budget"):
        PollSchedule.objects.create(tenant=tenant, object_type=object_type, next_due_at=timezone.now())

    claimed = dispatcher.dispatch_due()

    assert [len(claims) for claims, _ in published] == [2, 2, 1]
    assert polls.calls == []  # the tick itself published no poll
    for claims, trigger in published:
        dispatch_fanout.run(claims, trigger)
    assert sorted(polls.ids) == sorted(schedule_id for schedule_id, _ in claimed)
