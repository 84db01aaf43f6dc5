"""An accountant finds a failed invoice, fixes its GL mapping, retries it and sees it succeed.

Real parts: the export engine in a Celery worker process, the Spectrum simulator (which rejects a GL
account it does not have, as Spectrum does), the platform simulator that is told the result.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from connectors.platform import samples
from connectors.spectrum.simulator.server import DEMO_AUTH_ID
from mappings.models import GLAccountMapping
from spectrum_sync.exports.intake import accept
from spectrum_sync.models import MirrorRecord, ObjectType, SpectrumConnection, SyncRecord, SyncStatus
from tests.admin.world import PASSWORD, World
from tests.browser.conftest import Browser
from tests.workers import WorkerProcess, celery_worker_process

__all__ = ["celery_worker_process"]

EXPORT_SECONDS = 90


def point_acme_at_simulators(world: World, spectrum_url: str, platform_url: str) -> None:
    SpectrumConnection.objects.filter(tenant=world.acme).update(
        base_url=spectrum_url, company_codes=samples.DEMO_COMPANY
    )
    connection = SpectrumConnection.objects.get(tenant=world.acme)
    connection.authorization_id = DEMO_AUTH_ID
    connection.save()
    world.acme.platform_url = f"{platform_url}/deliveries/acme"
    world.acme.save()
    # What the last polls saw in Spectrum: the demo customer and job exist.
    for object_type, code in ((ObjectType.CUSTOMER, samples.DEMO_CUSTOMER), (ObjectType.JOB, samples.DEMO_JOB)):
        MirrorRecord.objects.create(
            tenant=world.acme,
            object_type=object_type,
            key=f"{samples.DEMO_COMPANY}|{code}",
            company_code=samples.DEMO_COMPANY,
            row_hash="0" * 32,
            data={"company_code": samples.DEMO_COMPANY},
        )
    for account, description in (("204100", "Service Revenue - Service"), ("204000", "Contract Revenue - Service")):
        MirrorRecord.objects.create(
            tenant=world.acme,
            object_type=ObjectType.GL_ACCOUNT,
            key=f"{samples.DEMO_COMPANY}|{account}",
            company_code=samples.DEMO_COMPANY,
            row_hash="0" * 32,
            data={"company_code": samples.DEMO_COMPANY, "gl_account": account, "description": description},
        )


def choose(browser: Browser, element_id: str, value: str) -> None:
    """Pick ``value``: from the dropdown of mirrored Spectrum values where the screen offers one, else typed."""
    field = browser.driver.find_element(By.ID, element_id)
    if field.tag_name == "select":
        Select(field).select_by_value(value)
    else:
        field.clear()
        field.send_keys(value)


def wait_for_status(record: SyncRecord, wanted: set[str], worker: WorkerProcess) -> None:
    def settled(_: Any) -> bool:
        record.refresh_from_db()
        return record.status in wanted

    WebDriverWait(None, EXPORT_SECONDS, poll_frequency=0.5).until(  # type: ignore[arg-type]
        settled, message=f"record stayed {record.status}; worker log: {worker.log_path}"
    )


@pytest.mark.flow
def test_accountant_fixes_the_gl_mapping_and_retries_a_failed_invoice(
    browser: Browser,
    world: World,
    spectrum_simulator: str,
    platform_simulator: str,
    celery_worker_process: WorkerProcess,
) -> None:
    point_acme_at_simulators(world, spectrum_simulator, platform_simulator)
    # The implementer's default revenue account is one Spectrum does not have.
    mapping = GLAccountMapping.objects.create(tenant=world.acme, gl_account="4999")
    document = samples.ar_invoice()
    record, _ = accept(world.acme, ObjectType.AR_INVOICE, document["document_id"], "1", document)
    wait_for_status(record, {SyncStatus.FAILED, SyncStatus.HELD}, celery_worker_process)
    assert record.status == SyncStatus.FAILED, (record.status, record.held_reason, record.error_message)
    assert record.error_column == "GL_Account"

    browser.login(world.accountant.username, PASSWORD)
    browser.open("/admin/spectrum_sync/syncrecord/?status=attention")
    # Until Spectrum accepts it the invoice is known by its platform id (the number comes back from Spectrum).
    assert document["document_id"] in browser.text
    browser.click_link(document["document_id"])
    browser.wait_for(By.ID, "retry-button")
    assert "4999" in browser.text  # Spectrum's own words, with the account it refused
    browser.screenshot("failed-invoice")

    # "Fix it in: GL account mapping" → the tenant's mapping.
    browser.click(By.CSS_SELECTOR, "a.fix-link")
    assert "4999" in browser.text
    browser.click(By.CSS_SELECTOR, "#result_list tbody tr th a")
    choose(browser, "id_gl_account", "204100")
    browser.screenshot("gl-mapping")
    browser.click(By.CSS_SELECTOR, "input[name=_save]")
    browser.wait_for(By.CSS_SELECTOR, "ul.messagelist")
    mapping.refresh_from_db()
    assert mapping.gl_account == "204100"
    assert LogEntry.objects.filter(user=world.accountant, object_id=str(mapping.pk)).exists()

    browser.open(f"/admin/spectrum_sync/syncrecord/{record.pk}/change/")
    browser.driver.find_element(By.ID, "id_retry_note").send_keys("GL mapping corrected to 204100")
    browser.click(By.ID, "retry-button")
    browser.wait_for(By.CSS_SELECTOR, "ul.messagelist")
    assert "Retry started for 1 record" in browser.text

    wait_for_status(record, {SyncStatus.SUCCEEDED, SyncStatus.FAILED}, celery_worker_process)
    assert record.status == SyncStatus.SUCCEEDED, (record.error_message, record.error_column)
    browser.driver.refresh()
    assert "Succeeded" in browser.text
    assert (
        "Retried: GL mapping corrected to 204100"
        in LogEntry.objects.filter(object_id=str(record.pk)).values_list("change_message", flat=True).first()
    )
    browser.screenshot("retried-invoice")
