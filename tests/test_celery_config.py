"""The worker is configured for at-least-once delivery that never loses a message."""

from spectrum_sync.celery import app


def test_queues_are_separate_and_routing_sends_each_kind_to_its_own() -> None:
    assert {q.name for q in app.conf.task_queues} == {"exports", "polls", "notifications"}
    router = app.amqp.router
    assert router.route({}, "spectrum_sync.tasks.export_record")["queue"].name == "exports"
    assert router.route({}, "spectrum_sync.tasks.poll_object_type")["queue"].name == "polls"
    assert router.route({}, "spectrum_sync.tasks.notify_failure")["queue"].name == "notifications"


def test_late_ack_prefetch_one_json_only() -> None:
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"]
    assert conf.task_always_eager is False
    # django-celery-beat's database scheduler, with a heartbeat for check_beat (spectrum_sync/beat.py).
    assert conf.beat_scheduler == "spectrum_sync.beat:HeartbeatScheduler"
