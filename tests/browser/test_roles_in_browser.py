"""Each role logs in to a real Chromium and does its job; what is not its job is not there."""

from __future__ import annotations

import csv
import datetime as dt

from django.utils import timezone
from selenium.webdriver.common.by import By

from spectrum_sync.models import SyncStatus
from tests.admin.world import PASSWORD, World, make_record
from tests.browser.conftest import Browser

HISTORY = "/admin/spectrum_sync/syncrecord/"


def test_manager_filters_history_searches_and_exports_csv(browser: Browser, world: World) -> None:
    browser.login(world.manager.username, PASSWORD)
    browser.open(HISTORY)
    assert "INV-1001" in browser.text and "CUST01" in browser.text
    assert "BOLT-9" not in browser.text  # another tenant's record
    browser.screenshot("history")

    # Filter: direction, then a date range through the from / to form.
    browser.click_link("Platform → Spectrum")
    assert "CUST01" not in browser.text and "INV-1001" in browser.text
    week_ago = (dt.date.today() - dt.timedelta(days=7)).isoformat()
    field = browser.driver.find_element(By.ID, "id_created_from")
    browser.driver.execute_script("arguments[0].value = arguments[1]", field, week_ago)
    browser.click(By.ID, "apply-dates")
    browser.wait_for(By.ID, "result_list")
    assert "direction__exact=export" in browser.driver.current_url and "created_from=" in browser.driver.current_url
    assert "INV-1001" in browser.text and "INV-1000" in browser.text

    # Exact search by document number.
    search = browser.driver.find_element(By.ID, "searchbar")
    search.clear()
    browser.navigating(lambda: search.send_keys("INV-1000\n"))
    browser.wait_for(By.ID, "result_list")
    assert "INV-1000" in browser.text and "INV-1001" not in browser.text
    browser.screenshot("history-filtered")

    # CSV of exactly what is on screen.
    browser.click(By.CSS_SELECTOR, "a.export-csv-link", navigates=False)
    exported = browser.wait_for_download(".csv")
    rows = list(csv.DictReader(exported.open()))
    assert [r["document_number"] for r in rows] == ["INV-1000"]

    # Nothing here lets a manager change the fate of a record.
    browser.open(HISTORY)
    options = [
        o.get_attribute("value") for o in browser.driver.find_elements(By.CSS_SELECTOR, "select[name=action] option")
    ]
    assert "retry_selected" not in options and "bypass_selected" not in options
    browser.open(f"{HISTORY}{world.acme_failed.pk}/change/")
    assert not browser.driver.find_elements(By.ID, "retry-button")
    assert "Retry now" not in browser.text


def seed_two_weeks(world: World) -> None:
    """Two weeks of exports for both tenants: a few failures, latencies of a few seconds."""
    now = timezone.now()
    for day in range(14):
        for n in range(3 + day % 5):
            for tenant in (world.acme, world.bolt):
                created = now - dt.timedelta(days=day, minutes=n * 7)
                failed = (n + day) % 6 == 0
                make_record(
                    tenant,
                    f"{tenant.slug.upper()}-{day:02d}{n:02d}",
                    SyncStatus.FAILED if failed else SyncStatus.SUCCEEDED,
                    created_at=created,
                    finished_at=created + dt.timedelta(seconds=2 + (n * day) % 9),
                )


def test_manager_dashboard_charts(browser: Browser, world: World) -> None:
    seed_two_weeks(world)
    browser.login(world.manager.username, PASSWORD)
    browser.open(HISTORY)
    browser.click(By.CSS_SELECTOR, "a.dashboard-link")
    browser.wait_for(By.ID, "chart-volume")
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "svg.chart")) == 3
    assert "Acme Mechanical" in browser.text and "Bolt Electric" not in browser.text
    assert "No data in these days" not in browser.text
    browser.screenshot("dashboard")


def test_accountant_sees_why_an_invoice_failed_and_where_to_fix_it(browser: Browser, world: World) -> None:
    browser.login(world.accountant.username, PASSWORD)
    browser.open(HISTORY)
    browser.click(By.CSS_SELECTOR, "a.failed-queue-link")
    browser.wait_for(By.ID, "result_list")
    assert "INV-1001" in browser.text and "INV-1000" not in browser.text
    assert "GL mask" in browser.text
    browser.screenshot("failed-queue")

    browser.click_link("INV-1001")
    browser.wait_for(By.ID, "retry-button")
    assert "GL Account does not match GL Mask" in browser.text
    assert "GL_Account" in browser.text
    assert "ACMEAUTH42" not in browser.driver.page_source  # the attempt's request is redacted
    assert browser.driver.find_element(By.CSS_SELECTOR, "a.fix-link").text == "GL account mapping"
    browser.screenshot("failed-record")

    # Not an accountant's job: the dashboard, the CSV export, onboarding.
    browser.open("/admin/spectrum_sync/syncrecord/dashboard/")
    assert "403" in browser.driver.title or "Forbidden" in browser.text


def test_staff_limited_to_one_tenant_never_sees_another(browser: Browser, world: World) -> None:
    browser.login(world.staff.username, PASSWORD)
    for path in (
        "/admin/spectrum_sync/tenant/",
        HISTORY,
        "/admin/spectrum_sync/syncrun/",
        "/admin/spectrum_sync/mirrorrecord/",
    ):
        browser.open(path)
        assert "Bolt" not in browser.text and "BOLT" not in browser.text, path
    browser.open(f"/admin/spectrum_sync/tenant/{world.bolt.pk}/onboarding/")
    assert "Bolt Electric" not in browser.text
    browser.open(f"{HISTORY}{world.bolt_failed.pk}/change/")
    assert "BOLT-9" not in browser.text
    # And no retry for implementation staff on their own tenant either.
    browser.open(f"{HISTORY}{world.acme_failed.pk}/change/")
    assert not browser.driver.find_elements(By.ID, "retry-button")
