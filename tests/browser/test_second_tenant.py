"""Implementation staff add a second tenant in the demo: its API key once, then its onboarding page.

With the demo's platform simulator configured, the new tenant is registered there by itself (no
``/_sim/tenants`` by hand), and it starts inactive until Enable.
"""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

from selenium.webdriver.common.by import By

from spectrum_sync.models import Tenant
from tests.admin.world import PASSWORD, World
from tests.browser.conftest import Browser

KEY = re.compile(r"ssk_[A-Za-z0-9_-]{20,}")


def fill(browser: Browser, element_id: str, value: str) -> None:
    field = browser.driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(value)


def simulator_tenants(url: str) -> list[str]:
    with urllib.request.urlopen(f"{url}/_sim/health", timeout=10) as answer:
        tenants: list[str] = json.load(answer)["tenants"]
    return tenants


def test_staff_add_a_second_tenant_see_its_key_once_and_reach_its_onboarding(
    browser: Browser, world: World, settings: Any, spectrum_simulator: str, platform_simulator: str
) -> None:
    settings.PLATFORM_SIMULATOR_URL = platform_simulator  # what `make run` sets
    browser.login(world.staff.username, PASSWORD)
    browser.open("/admin/spectrum_sync/tenant/add/")
    assert not browser.driver.find_elements(By.ID, "id_active")  # enabled later, from onboarding
    fill(browser, "id_name", "Dogwood Electric")
    fill(browser, "id_connection-0-base_url", spectrum_simulator)
    fill(browser, "id_connection-0-company_codes", "DC2")
    fill(browser, "id_connection-0-authorization_id", "SSYNCDEMO")
    browser.click(By.CSS_SELECTOR, "input[name=_save]")

    key_element = browser.wait_for(By.CSS_SELECTOR, "code.api-key")
    key = key_element.text
    tenant = Tenant.objects.get(slug="dogwood-electric")
    assert KEY.fullmatch(key) and tenant.check_api_key(key)
    assert "shown only on this page, once" in browser.text and "inactive" in browser.text
    assert not tenant.active
    assert "dogwood-electric" in simulator_tenants(platform_simulator)  # the demo platform knows it
    assert all(key not in (c.get("value") or "") for c in browser.driver.get_cookies())
    browser.screenshot("admin-new-tenant-api-key")

    browser.click(By.CSS_SELECTOR, "a.onboarding-link")
    assert browser.driver.current_url.endswith(f"/admin/spectrum_sync/tenant/{tenant.pk}/onboarding/")
    assert "done" in (browser.driver.find_element(By.ID, "step-connection").get_attribute("class") or "")
    assert "inactive" in browser.driver.find_element(By.ID, "step-enable").text
    assert key not in browser.driver.page_source

    browser.open("/admin/spectrum_sync/tenant/")
    assert key not in browser.driver.page_source  # once means once
    browser.open(f"/admin/spectrum_sync/tenant/{tenant.pk}/onboarding/")
    browser.click(By.ID, "action-enable")
    browser.wait_for(By.CSS_SELECTOR, "ul.messagelist")
    assert "Tenant enabled" in browser.text
    tenant.refresh_from_db()
    assert tenant.active
