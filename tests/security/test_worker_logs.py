"""A real worker's log, after an export and a poll, holds none of the tenant's secrets.

The worker runs the real app with careless log lines added (tests/security/leaky_app.py) that
write the tenant's Authorization ID, Enhanced Authentication client secret, database password and
platform signing secret to the root logger, the task logger and a traceback. Celery replaces the
root logger's handlers when a worker starts; the masking must be on the ones it sets up. The
negative control runs the same worker with the masking taken off and finds the secrets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.redaction import MASK
from mappings.models import GLAccountMapping
from spectrum_sync.imports import actions
from spectrum_sync.models import PollSchedule, SyncRun, SyncStatus, Tenant
from tests.exports.test_flow import Exports
from tests.fixtures_platform import platform_simulator_process  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_process  # noqa: F401
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401
from tests.imports.test_flow import poll
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]

SECRETS = {
    "Authorization ID": "AuthId-Acme-88213",
    "client secret": "ClientSecret-Acme-55291",
    "database password": "DbPass-Acme-31337",
    "signing secret": "Signing-Acme-77120",
}


@pytest.fixture
def wired(
    tenant: Tenant,
    spectrum_simulator_process: Any,  # noqa: F811
    platform_simulator_process: Any,  # noqa: F811
    spectrum_db: Any,  # noqa: F811
) -> Exports:
    """The tenant with Enhanced Authentication and the database reader, on both simulators."""
    connection = tenant.connection  # the instance the simulators' use_for saves again
    connection.authorization_id = SECRETS["Authorization ID"]
    connection.auth_mode = "enhanced"
    connection.enhanced_client_id = "acme-client"
    connection.enhanced_client_secret = SECRETS["client secret"]
    odbc = spectrum_db.odbc_config
    connection.db_enabled = True
    connection.db_driver, connection.db_host, connection.db_port = odbc.driver, odbc.host, odbc.port
    connection.db_name, connection.db_user = odbc.database, odbc.user
    connection.db_password = SECRETS["database password"]  # the test server trusts loopback logins
    connection.save()
    spectrum_simulator_process.companies = ("DC1",)
    spectrum_simulator_process.use_for(tenant)
    tenant.platform_signing_secret = SECRETS["signing secret"]
    tenant.save()
    platform_simulator_process.use_for(tenant)
    tenant.refresh_from_db()
    wiring = Exports(tenant, spectrum_simulator_process, platform_simulator_process, spectrum_db)
    wiring.mirror("customer", wiring.customer)  # known to the sync, so the invoice is not held
    wiring.mirror("job", wiring.job)
    for kind in ("labor", "material"):
        GLAccountMapping.objects.create(tenant=tenant, line_kind=kind, gl_account=wiring.revenue_gl)
    actions.ensure_schedules(tenant)
    PollSchedule.objects.filter(tenant=tenant).update(next_due_at="2999-01-01T00:00:00Z")
    return wiring


def leaky_worker(**env: str) -> Iterator[WorkerProcess]:
    worker = WorkerProcess("exports,polls,notifications", concurrency=1, app="tests.security.leaky_app", extra_env=env)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def masked_worker(transactional_db: None) -> Iterator[WorkerProcess]:
    yield from leaky_worker()


@pytest.fixture
def unmasked_worker(transactional_db: None) -> Iterator[WorkerProcess]:
    yield from leaky_worker(LEAKY_UNMASKED="1")


def export_and_poll(wired: Exports) -> None:
    record = wired.final(wired.post("ar-invoices", wired.invoice("SEC1001")))
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    wired.told(record.pk, "succeeded")
    run = poll(wired.tenant, "vendor")
    assert run.status == SyncRun.Status.SUCCEEDED, run.error


def test_the_worker_log_holds_no_secret_of_the_tenant(wired: Exports, masked_worker: WorkerProcess) -> None:
    export_and_poll(wired)
    log = masked_worker.own_output()

    assert log.count("careless settings dump") >= 3  # Spectrum, database and platform settings were built
    assert "careless task log" in log and "careless traceback" in log and "RuntimeError" in log
    assert f"careless settings dump: {MASK} {MASK} {MASK} {MASK}" in log
    leaked = [name for name, value in SECRETS.items() if value in log]
    assert leaked == [], f"{leaked} in the worker log"


def test_control_without_the_masking_the_same_log_holds_the_secrets(
    wired: Exports, unmasked_worker: WorkerProcess
) -> None:
    export_and_poll(wired)
    log = unmasked_worker.own_output()
    assert [name for name, value in SECRETS.items() if value in log] == list(SECRETS)
