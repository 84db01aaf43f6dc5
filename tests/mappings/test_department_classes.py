"""Department ↔ class mapping: the platform receives the class under the tenant's name (a real poll:
Spectrum simulator database, Celery worker, platform simulator)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from mappings.models import DepartmentClassMapping
from spectrum_sync.imports import actions
from spectrum_sync.models import SyncRun, Tenant
from tests.fixtures_platform import platform_simulator_process  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_process  # noqa: F401
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401
from tests.imports.test_flow import poll, wait_for, wired  # noqa: F401
from tests.workers import celery_worker_process  # noqa: F401

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]


def test_a_mapped_department_reaches_the_platform_under_its_class_name(
    wired: Tenant,  # noqa: F811
    platform_simulator_process: Any,  # noqa: F811
) -> None:
    first = poll(wired, "gl_department")
    assert first.status == SyncRun.Status.SUCCEEDED, first.error
    assert platform_simulator_process.state("acme", "classes")["DC1|10"]["name"] == "Construction"

    DepartmentClassMapping.objects.create(tenant=wired, spectrum_department="10", platform_class="Construction Ops")
    assert actions.full_resync(wired, ["gl_department"]).started == ["gl_department"]
    resync = wait_for(
        "the full resync",
        lambda: SyncRun.objects.filter(
            tenant=wired, object_type="gl_department", trigger=SyncRun.Trigger.FULL, finished_at__isnull=False
        ).first(),
    )
    assert resync.status == SyncRun.Status.SUCCEEDED, resync.error
    classes = platform_simulator_process.state("acme", "classes")
    assert classes["DC1|10"]["name"] == "Construction Ops"
    assert classes["DC1|10"]["spectrum_name"] == "Construction"
    assert classes["DC1|20"]["name"] == "Service"  # unmapped departments keep Spectrum's name

    # Renamed on the mapping screen: the next ordinary poll delivers the new name, nothing else.
    admin = User.objects.create_superuser("root", "root@example.test", "x")
    client = Client()
    client.force_login(admin)
    mapping = DepartmentClassMapping.objects.get(tenant=wired)
    answer = client.post(
        f"/admin/mappings/departmentclassmapping/{mapping.pk}/change/",
        {"tenant": wired.pk, "spectrum_department": "10", "platform_class": "Field Construction"},
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    again = poll(wired, "gl_department")
    assert again.status == SyncRun.Status.SUCCEEDED, again.error
    assert again.updated_count == len({k for k in classes if k.endswith("|10")})
    assert platform_simulator_process.state("acme", "classes")["DC1|10"]["name"] == "Field Construction"
