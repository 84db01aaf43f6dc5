"""Implementation staff open the link screen from the admin index, confirm one proposal, reject
another, unlink and undo; the platform simulator receives the confirmed link.

The screenshot is the one in the README (docs/images/link-screen.png).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from connectors.platform.simulator.control import SimulatorControl
from linking import services
from linking.models import LinkStatus, RecordLink
from spectrum_sync.models import MirrorRecord
from tests.admin.world import PASSWORD, World
from tests.browser.conftest import Browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

README_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "link-screen.png"

VENDORS = {
    "AC1|ACME01": {"company_code": "AC1", "vendor_code": "ACME01", "name": "ACME SUPPLY", "phone_number": "5125550100"},
    "AC1|BOLT01": {"company_code": "AC1", "vendor_code": "BOLT01", "name": "BOLT ELECTRIC", "phone_number": ""},
    "AC1|CEDAR1": {"company_code": "AC1", "vendor_code": "CEDAR1", "name": "CEDAR PLUMBING", "phone_number": ""},
    "AC1|CEDAR2": {"company_code": "AC1", "vendor_code": "CEDAR2", "name": "CEDARS PLUMBING", "phone_number": ""},
    "AC1|DELTA1": {"company_code": "AC1", "vendor_code": "DELTA1", "name": "DELTA STEEL", "phone_number": ""},
}
DIRECTORY = [
    {"platform_id": "co-1", "name": "Acme Supply, Inc.", "phone": "(512) 555-0100"},
    {"platform_id": "co-2", "name": "Bolt Electric LLC", "code": "BOLT01"},
    {"platform_id": "co-3", "name": "Cedar Plumbing"},
    {"platform_id": "co-4", "name": "Delta Steel Corp."},
]


def run_action(browser: Browser, action: str, *links: RecordLink) -> None:
    for link in links:
        browser.driver.find_element(By.CSS_SELECTOR, f"input.action-select[value='{link.pk}']").click()
    Select(browser.driver.find_element(By.NAME, "action")).select_by_value(action)
    browser.click(By.CSS_SELECTOR, "button[name='index']")


def link(platform_id: str, spectrum_key: str) -> RecordLink:
    return RecordLink.objects.get(platform_id=platform_id, spectrum_key=spectrum_key)


def test_staff_confirm_reject_unlink_and_undo_on_the_link_screen(
    browser: Browser, world: World, platform_simulator: str
) -> None:
    acme = world.acme
    acme.platform_url = f"{platform_simulator}/deliveries/acme"
    acme.save(update_fields=["platform_url"])
    for key, data in VENDORS.items():
        MirrorRecord.objects.create(tenant=acme, object_type="vendor", key=key, row_hash="x", data=data)
    services.receive_directory(acme, "vendor", DIRECTORY)

    browser.login(world.staff.username, PASSWORD)
    browser.click(By.CSS_SELECTOR, "a.shortcut-links")
    assert "Same name and phone" in browser.text and "Nearly the same name only" in browser.text

    run_action(browser, "confirm", link("co-1", "AC1|ACME01"))
    assert "1 link(s) confirmed; the platform is told." in browser.text
    run_action(browser, "reject", link("co-3", "AC1|CEDAR2"))
    assert "1 link(s) rejected." in browser.text
    browser.open("/admin/linking/recordlink/")
    run_action(browser, "unlink", link("co-1", "AC1|ACME01"))
    run_action(browser, "undo", link("co-1", "AC1|ACME01"))
    assert "1 link(s) put back as they were." in browser.text
    assert link("co-1", "AC1|ACME01").status == LinkStatus.CONFIRMED

    control = SimulatorControl(platform_simulator)
    try:
        items = [item for d in control.deliveries("acme", "vendors") for item in d["items"]]
    finally:
        control.close()
    assert {(i["key"], i["platform_id"]) for i in items} == {("AC1|ACME01", "co-1")}

    browser.open("/admin/linking/recordlink/")
    rows = [r.text for r in browser.driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")]
    assert any("co-1" in r and "Confirmed" in r for r in rows) and any("Rejected" in r for r in rows)
    shot = browser.screenshot("link-screen")
    README_IMAGE.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, README_IMAGE)
