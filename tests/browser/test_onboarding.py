"""Implementation staff onboard a new tenant from the admin: connection, schedule, enable."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from spectrum_sync.models import PollSchedule, SpectrumConnection, Tenant
from tests.admin.world import PASSWORD, World
from tests.browser.conftest import Browser


def test_staff_creates_a_tenant_and_walks_the_onboarding_steps(browser: Browser, world: World) -> None:
    browser.login(world.staff.username, PASSWORD)
    browser.open("/admin/spectrum_sync/tenant/add/")
    browser.driver.find_element(By.ID, "id_name").send_keys("Cedar Plumbing")
    assert not browser.driver.find_elements(By.ID, "id_staff")  # who serves whom is not theirs to decide
    browser.driver.find_element(By.ID, "id_connection-0-base_url").send_keys("http://127.0.0.1:8482")
    browser.driver.find_element(By.ID, "id_connection-0-company_codes").send_keys("CP1, CP2")
    browser.driver.find_element(By.ID, "id_connection-0-authorization_id").send_keys("CEDARAUTH9")
    browser.click(By.CSS_SELECTOR, "input[name=_continue]")
    browser.wait_for(By.CSS_SELECTOR, "code.api-key")  # the new tenant's key, shown once
    tenant = Tenant.objects.get(slug="cedar-plumbing")
    assert SpectrumConnection.objects.get(tenant=tenant).authorization_id == "CEDARAUTH9"
    assert "CEDARAUTH9" not in browser.driver.page_source  # entered, never shown back
    assert world.staff in tenant.staff.all()  # they keep seeing what they created

    browser.open(f"/admin/spectrum_sync/tenant/{tenant.pk}/onboarding/")
    step = browser.driver.find_element(By.ID, "step-connection")
    assert "done" in (step.get_attribute("class") or "")
    assert "CP1, CP2" in step.text and "Authorization ID set" in step.text
    assert "to do" in browser.driver.find_element(By.ID, "step-schedule").text.lower()
    browser.screenshot("onboarding-new-tenant")

    browser.click(By.ID, "action-schedule")
    browser.wait_for(By.CSS_SELECTOR, "ul.messagelist")
    assert "poll schedules created" in browser.text
    assert PollSchedule.objects.filter(tenant=tenant).exists()
    assert "done" in (browser.driver.find_element(By.ID, "step-schedule").get_attribute("class") or "")
    browser.screenshot("onboarding")

    # The other tenant's onboarding is out of reach.
    browser.open(f"/admin/spectrum_sync/tenant/{world.bolt.pk}/onboarding/")
    assert "Bolt Electric" not in browser.text


def test_manager_sees_onboarding_but_cannot_act(browser: Browser, world: World) -> None:
    browser.login(world.manager.username, PASSWORD)
    browser.open(f"/admin/spectrum_sync/tenant/{world.acme.pk}/onboarding/")
    assert "Spectrum connection" in browser.text
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "input.step-action")
