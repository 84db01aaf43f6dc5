"""A dead beat is noticed: ``check_beat`` reads beat's own heartbeat, and late polls are looked for
every few minutes rather than once a day.

The heartbeat test runs a real ``celery beat`` process on the test database and stops it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from spectrum_sync.beat import last_tick, record_tick
from spectrum_sync.models import PollSchedule, Tenant
from spectrum_sync.notifications.models import EmailDelivery, NotificationRule
from spectrum_sync.notifications.tasks import notify_late_polls

ROOT = Path(__file__).resolve().parents[2]


def process_env(**extra: str) -> dict[str, str]:
    """This test's database for a child process (a beat, a management command)."""
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "DATABASE_CONN_MAX_AGE": "0", **extra}


def check_beat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check_beat", *args],
        cwd=ROOT,
        env=process_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def wait_until(what: str, fn: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := fn():
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_check_beat_passes_while_beat_runs_and_fails_once_it_stopped(tmp_path: Path) -> None:
    never = check_beat()
    assert never.returncode == 1
    assert "never ticked" in never.stderr

    log = (tmp_path / "beat.log").open("wb")
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "spectrum_sync", "beat", "--loglevel", "INFO"],
        cwd=ROOT,
        env=process_env(BEAT_HEARTBEAT_SECONDS="1"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        alive = wait_until("beat's first heartbeat", lambda: (r := check_beat()).returncode == 0 and r)
        assert "beat: last tick" in alive.stdout
        first = last_tick().last_tick_at
        wait_until("a later heartbeat", lambda: last_tick().last_tick_at > first, timeout=20)
    finally:
        os.killpg(beat.pid, signal.SIGKILL)  # a beat that dies, not one that says goodbye
        beat.wait(timeout=30)
        log.close()

    time.sleep(3)
    dead = check_beat("--overdue", "2")
    assert dead.returncode == 1, dead.stdout
    assert "Celery beat is overdue" in dead.stderr and "restart" in dead.stderr


@pytest.mark.django_db
def test_check_beat_judges_the_heartbeat_by_the_overdue_setting() -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    record_tick(timezone.now() - timedelta(seconds=60))
    call_command("check_beat", "--overdue", "120")  # 60 s old, allowed 120: fine
    with pytest.raises(CommandError, match="overdue: last tick 60s ago") as caught:
        call_command("check_beat", "--overdue", "30")
    assert caught.value.returncode == 1


def test_late_polls_are_checked_every_few_minutes_by_their_own_beat_entry() -> None:
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    late = [entry for entry in schedule.values() if entry["task"] == "spectrum_sync.tasks.notify_late_polls"]
    assert len(late) == 1 and late[0]["schedule"] <= 600
    # The full connection check keeps its daily slot and its task name.
    assert schedule["notify-health-checks"]["task"] == "spectrum_sync.tasks.notify_health_checks"
    assert isinstance(schedule["notify-health-checks"]["schedule"], crontab)
    assert django_settings.CELERY_BEAT_SCHEDULER == "spectrum_sync.beat:HeartbeatScheduler"


@pytest.mark.django_db
def test_a_late_poll_is_emailed_once_and_a_poll_on_time_is_not(tenant: Tenant) -> None:
    NotificationRule.objects.create(tenant=tenant, name="Ops", events=["poll_failed"], recipients="ops@acme.test")
    on_time = PollSchedule.objects.create(tenant=tenant, object_type="vendor", next_due_at=timezone.now())
    assert notify_late_polls() == 0
    assert not EmailDelivery.objects.exists()  # negative control: nothing late, nobody told

    PollSchedule.objects.filter(pk=on_time.pk).update(next_due_at=timezone.now() - timedelta(hours=2))
    assert notify_late_polls() == 1
    assert notify_late_polls() == 1  # five minutes later: still late, the same news

    delivery = EmailDelivery.objects.get()
    assert delivery.kind == EmailDelivery.Kind.HEALTH and delivery.recipient_list == ["ops@acme.test"]
    assert any("Vendor poll was due" in problem for problem in delivery.context["problems"])
