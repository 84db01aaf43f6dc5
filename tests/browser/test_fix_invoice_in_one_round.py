"""An accountant fixes a held invoice in one round: its page names both mapping rows it needs, each
"Fix it in" link opens the add form filled in, and once both are saved the invoice goes to Spectrum by
itself. Real parts: a Celery worker, the Spectrum simulator (its store is checked), the platform simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from connectors.platform import samples
from connectors.spectrum.simulator.seed import seed
from connectors.spectrum.simulator.server import SpectrumSimulator
from connectors.spectrum.simulator.store import Store
from mappings.models import GLAccountMapping
from spectrum_sync.exports.intake import accept
from spectrum_sync.models import ObjectType, SyncStatus
from tests.admin.world import PASSWORD, World
from tests.browser.conftest import Browser
from tests.browser.test_fix_and_retry import choose, point_acme_at_simulators, wait_for_status
from tests.workers import WorkerProcess, celery_worker_process

__all__ = ["celery_worker_process"]


@pytest.fixture
def spectrum(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    """The Spectrum simulator and its store, to see what reached Spectrum."""
    store = Store.open(f"sqlite:///{tmp_path / 'spectrum.sqlite3'}")
    store.create_schema()
    seed(store, "demo")
    simulator = SpectrumSimulator(store)
    url = simulator.start()
    try:
        yield url, store
    finally:
        simulator.stop()
        store.close()


def fix_links(browser: Browser) -> list[str]:
    return [
        str(a.get_attribute("href"))
        for a in browser.driver.find_elements(By.CSS_SELECTOR, "li.mapping-need a.fix-link")
    ]


@pytest.mark.flow
def test_accountant_fixes_a_held_invoice_in_one_round(
    browser: Browser,
    world: World,
    spectrum: tuple[str, Store],
    platform_simulator: str,
    celery_worker_process: WorkerProcess,
) -> None:
    url, store = spectrum
    point_acme_at_simulators(world, url, platform_simulator)
    document = samples.ar_invoice()
    record, _ = accept(world.acme, ObjectType.AR_INVOICE, document["document_id"], "1", document)
    wait_for_status(record, {SyncStatus.FAILED, SyncStatus.HELD}, celery_worker_process)
    assert record.status == SyncStatus.HELD, (record.status, record.error_message)

    browser.login(world.accountant.username, PASSWORD)
    page = f"/admin/spectrum_sync/syncrecord/{record.pk}/change/"
    browser.open(page)
    text = browser.text
    assert "Found before sending (pre-flight):" in text and "Spectrum said" not in text
    assert "Not sent: stopped before sending" in text
    assert "labor lines of department 20 in company DC1" in text
    assert "material lines of department 20 in company DC1" in text
    links = fix_links(browser)
    assert len(links) == 2
    browser.screenshot("held-invoice-needs-two-mappings")

    # The dry run says the same before anything is changed, and shows what would be sent.
    browser.click(By.ID, "dry-run-button")
    assert "It would be held" in browser.text and "Nothing was stored or sent" in browser.text
    assert "material lines of department 20 in company DC1" in browser.text
    assert '"service": "customer/invoice"' in browser.text
    browser.screenshot("held-invoice-dry-run")
    browser.open(page)

    for number, link in enumerate(links):
        browser.driver.get(link)
        browser.wait_for(By.ID, "id_gl_account")
        assert browser.driver.find_element(By.ID, "id_department").get_attribute("value") == "20"
        assert browser.driver.find_element(By.ID, "id_company_code").get_attribute("value") == "DC1"
        kind = browser.driver.find_element(By.ID, "id_line_kind").get_attribute("value")
        assert kind == ("labor", "material")[number]
        choose(browser, "id_gl_account", "204100")
        if number == 0:
            browser.screenshot("gl-mapping-prefilled")
        browser.click(By.CSS_SELECTOR, "input[name=_save]")
        browser.wait_for(By.CSS_SELECTOR, "ul.messagelist")
    assert "1 record(s) held for incomplete mappings" in browser.text
    assert GLAccountMapping.objects.filter(tenant=world.acme, department="20", company_code="DC1").count() == 2

    wait_for_status(record, {SyncStatus.SUCCEEDED, SyncStatus.FAILED}, celery_worker_process)
    assert record.status == SyncStatus.SUCCEEDED, (record.error_message, record.error_column)
    stored = store.find("CR_INVOICE_HEADER_MC", Company_Code="DC1", Invoice_Or_Transaction=document["invoice_number"])
    assert len(stored) == 1
    browser.open(page)
    assert "Succeeded" in browser.text
    browser.screenshot("invoice-through-after-one-round")
