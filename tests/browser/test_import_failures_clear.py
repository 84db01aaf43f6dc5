"""An accountant's queue holds no stale import failures: a later success clears them, and one nobody
needs is dismissed with a reason.

The story: a tenant's platform URL was wrong, so every delivery of its first polls failed. Once
the URL is fixed the next poll delivers the same records, and their failures leave the queue by
themselves (history keeps them). Real parts: the Spectrum simulator (web services), the platform
simulator, the import engine (polls run in this process), Chromium on the live admin.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from connectors.spectrum.simulator.server import DEMO_AUTH_ID
from spectrum_sync.imports import actions
from spectrum_sync.models import Direction, SpectrumConnection, SyncRecord, SyncRun, SyncStatus
from tests.admin.world import PASSWORD, World
from tests.browser.conftest import Browser

QUEUE = "/admin/spectrum_sync/syncrecord/?status=attention&direction__exact=import"


def point_acme_at(world: World, spectrum_url: str, platform_url: str) -> None:
    connection = SpectrumConnection.objects.get(tenant=world.acme)
    connection.base_url, connection.company_codes, connection.authorization_id = spectrum_url, "DC1", DEMO_AUTH_ID
    connection.save()
    world.acme.platform_url = platform_url
    world.acme.save()


def poll(world: World, object_type: str, expected: str) -> SyncRun:
    run = actions.run_in_foreground(world.acme, object_type)
    assert run.status == expected, run.error
    return run


def newest_failure(object_type: str) -> SyncRecord:
    failed = SyncRecord.objects.filter(direction=Direction.IMPORT, object_type=object_type, status=SyncStatus.FAILED)
    newest = failed.order_by("-pk").first()
    assert newest is not None, f"no {object_type} import failed"
    return newest


def queue_lists(browser: Browser, record: SyncRecord) -> bool:
    """Does the accountant's failed queue show this record? (Searched by its id: the queue is long.)"""
    browser.open(f"{QUEUE}&q=%23{record.pk}")
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    return any(record.document_number in row.text for row in rows)


@pytest.mark.django_db(transaction=True)
def test_stale_import_failures_leave_the_queue_and_one_is_dismissed_with_a_reason(
    browser: Browser, world: World, spectrum_simulator: str, platform_simulator: str
) -> None:
    # A typo in the platform URL: the platform answers every delivery with an error.
    point_acme_at(world, spectrum_simulator, f"{platform_simulator}/deliveries/acme-typo")
    poll(world, "customer", SyncRun.Status.FAILED)
    poll(world, "vendor", SyncRun.Status.FAILED)
    stale, unwanted = newest_failure("customer"), newest_failure("vendor")

    browser.login(world.accountant.username, PASSWORD)
    browser.open(QUEUE)
    assert "Needs attention" in browser.text
    browser.screenshot("import-failures-before-the-fix")
    assert queue_lists(browser, stale) and queue_lists(browser, unwanted)

    # The URL is fixed and the next customer poll delivers the same records.
    world.acme.platform_url = f"{platform_simulator}/deliveries/acme"
    world.acme.save()
    poll(world, "customer", SyncRun.Status.SUCCEEDED)

    assert not queue_lists(browser, stale)
    assert queue_lists(browser, unwanted)  # no vendor poll yet: still waiting for one
    browser.open(f"/admin/spectrum_sync/syncrecord/{stale.pk}/change/")
    assert "Superseded by a later delivery" in browser.text  # history keeps it, resolved
    browser.screenshot("import-failure-superseded")

    # The vendor is not wanted on the platform: dismiss it, saying why.
    browser.open(f"/admin/spectrum_sync/syncrecord/{unwanted.pk}/change/")
    browser.driver.find_element(By.ID, "id_dismiss_reason").send_keys("Vendor closed; the platform must not get it")
    browser.click(By.ID, "dismiss-button")
    browser.wait_for(By.CSS_SELECTOR, "ul.messagelist")
    assert "1 import failure(s) dismissed" in browser.text
    assert "Dismissed" in browser.text and "Vendor closed; the platform must not get it" in browser.text
    browser.screenshot("import-failure-dismissed")
    unwanted.refresh_from_db()
    assert (unwanted.status, unwanted.resolved_by) == (SyncStatus.DISMISSED, world.accountant)
    assert unwanted.resolved_at is not None

    assert not queue_lists(browser, unwanted)
    assert not queue_lists(browser, stale)
