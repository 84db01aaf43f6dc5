"""`manage.py sync_poll` and the admin actions, against the simulators in this process."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from spectrum_sync.imports import actions, dispatcher
from spectrum_sync.models import MirrorRecord, PollSchedule, SyncRun, Tenant
from tests.fixtures_platform import platform_simulator  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(tenant: Tenant, spectrum_simulator: Any, platform_simulator: Any) -> Tenant:  # noqa: F811
    spectrum_simulator.use_for(tenant)
    platform_simulator.use_for(tenant)
    tenant.refresh_from_db()
    return tenant


def test_sync_poll_runs_one_poll_in_the_foreground_and_prints_a_summary(
    connected: Tenant,
    platform_simulator: Any,  # noqa: F811
) -> None:
    out = StringIO()
    call_command("sync_poll", "acme", "--object", "customer", stdout=out, stderr=StringIO())

    run = SyncRun.objects.get(tenant=connected, object_type="customer")
    assert run.trigger == SyncRun.Trigger.COMMAND
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert f"Customer: read {run.read_count}, created {run.created_count}, updated 0" in out.getvalue()
    assert len(platform_simulator.state("acme", "customers")) == run.created_count > 0

    out = StringIO()
    call_command("sync_poll", "acme", "--object", "customer", stdout=out, stderr=StringIO())
    assert f"unchanged {run.read_count}" in out.getvalue()


def test_sync_poll_explains_a_failed_poll_and_exits_non_zero(connected: Tenant) -> None:
    err = StringIO()
    with pytest.raises(CommandError, match="1 poll"):
        call_command("sync_poll", "acme", "--object", "gl_account", stdout=StringIO(), stderr=err)
    assert "enable the database (Info-Link) connection" in err.getvalue()


def test_sync_poll_refuses_an_unknown_tenant() -> None:
    with pytest.raises(CommandError, match="No tenant"):
        call_command("sync_poll", "nobody", stdout=StringIO(), stderr=StringIO())


def test_admin_actions_sync_now_full_resync_and_reset(connected: Tenant, monkeypatch: Any) -> None:
    enqueued: list[tuple[list[tuple[int, int]], str]] = []
    monkeypatch.setattr(dispatcher, "enqueue_polls", lambda claimed, trigger: enqueued.append((claimed, trigger)))
    actions.ensure_schedules(connected)
    MirrorRecord.objects.create(tenant=connected, object_type="customer", key="DC1|X", row_hash="0" * 32)
    schedules = PollSchedule.objects.filter(tenant=connected, object_type="customer")
    request = RequestFactory().post("/")
    request.user = User.objects.create_superuser("root", "r@example.com", "pw")
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    modeladmin = admin.site.get_model_admin(PollSchedule)  # the admin's one copy of the actions

    modeladmin.sync_now(request, schedules)  # type: ignore[attr-defined]
    assert enqueued[-1][1] == SyncRun.Trigger.MANUAL
    # The first poll still holds its lease: a full resync now reports it instead of doubling it.
    modeladmin.full_resync(request, schedules)  # type: ignore[attr-defined]
    assert len(enqueued) == 1
    assert any("already running: customer" in str(m) for m in request._messages)  # type: ignore[attr-defined]

    modeladmin.reset_state(request, schedules)  # type: ignore[attr-defined]
    assert not MirrorRecord.objects.filter(tenant=connected).exists()
    logged = LogEntry.objects.filter(user=request.user).order_by("pk").values_list("change_message", flat=True)
    assert [m.split(":")[0] for m in logged] == ["Sync now (customer)", "Full resync (customer)", "Reset customer"]
