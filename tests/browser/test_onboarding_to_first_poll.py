"""Onboarding against the simulators, through to a first successful poll, with a real Celery worker.

The Spectrum simulator (seeded demo data, Authorization ID SSYNCDEMO) and the platform simulator run
in this process on free loopback ports; the worker is a separate process on the same test database.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from connectors.spectrum.simulator.server import DEMO_AUTH_ID
from spectrum_sync.models import SyncRun, Tenant
from tests.admin.world import PASSWORD, World
from tests.browser.conftest import SIGNING_SECRET, SLUG, Browser
from tests.workers import WorkerProcess, celery_worker_process

__all__ = ["celery_worker_process"]

FIRST_POLL_SECONDS = 120


def fill(browser: Browser, element_id: str, value: str) -> None:
    field = browser.driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(value)


def step_class(browser: Browser, key: str) -> str:
    return browser.driver.find_element(By.ID, f"step-{key}").get_attribute("class") or ""


@pytest.mark.flow
def test_staff_onboard_a_tenant_to_its_first_successful_poll(
    browser: Browser,
    world: World,
    spectrum_simulator: str,
    platform_simulator: str,
    celery_worker_process: WorkerProcess,
) -> None:
    browser.login(world.staff.username, PASSWORD)
    browser.open("/admin/spectrum_sync/tenant/add/")
    fill(browser, "id_name", "Cedar Plumbing")
    fill(browser, "id_platform_url", f"{platform_simulator}/deliveries/{SLUG}")
    fill(browser, "id_platform_signing_secret", SIGNING_SECRET)
    fill(browser, "id_connection-0-base_url", spectrum_simulator)
    fill(browser, "id_connection-0-company_codes", "DC1")
    fill(browser, "id_connection-0-authorization_id", DEMO_AUTH_ID)
    browser.click(By.CSS_SELECTOR, "input[name=_continue]")
    browser.wait_for(By.CSS_SELECTOR, "code.api-key")  # the new tenant's key, shown once
    tenant = Tenant.objects.get(slug=SLUG)

    browser.open(f"/admin/spectrum_sync/tenant/{tenant.pk}/onboarding/")
    browser.click(By.ID, "action-test")
    browser.wait_for(By.CSS_SELECTOR, "ul.messagelist")
    assert "Connected to Spectrum" in browser.text, browser.text
    assert "done" in step_class(browser, "test")

    browser.click(By.ID, "action-schedule")
    browser.wait_for(By.CSS_SELECTOR, "ul.messagelist")
    assert "done" in step_class(browser, "schedule")

    browser.click(By.ID, "action-enable")  # a new tenant starts inactive
    browser.wait_for(By.CSS_SELECTOR, "ul.messagelist")
    assert "Tenant enabled" in browser.text, browser.text

    browser.click(By.ID, "action-reference")
    browser.wait_for(By.CSS_SELECTOR, "ul.messagelist")
    assert "started" in browser.text, browser.text

    def first_poll_done(_: Any) -> bool:
        browser.driver.refresh()
        return "done" in step_class(browser, "enable")

    WebDriverWait(browser.driver, FIRST_POLL_SECONDS, poll_frequency=2).until(
        first_poll_done, message=f"no successful poll; worker log: {celery_worker_process.log_path}"
    )
    assert "done" in step_class(browser, "reference")
    assert SyncRun.objects.filter(tenant=tenant, status=SyncRun.Status.SUCCEEDED).exists()
    browser.screenshot("onboarding-complete")

    browser.open(f"/admin/spectrum_sync/syncrun/?tenant={tenant.pk}")
    assert "Customer" in browser.text
    browser.screenshot("poll-runs")
