"""A manager opens the reconciliation screen on seeded data, runs March now, and sees the two differences.

The screenshot is the one in the README (docs/images/reconciliation.png).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.admin.world import PASSWORD, World
from tests.browser.conftest import Browser
from tests.fixtures_spectrum_db import SpectrumDB, spectrum_db  # noqa: F401
from tests.reconciliation.conftest import COMPANY, wire
from tests.reconciliation.test_report import seed_march

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

README_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "reconciliation.png"


def rows_of(browser: Browser, table: str) -> list[str]:
    return [str(r.text) for r in browser.driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")]


def test_manager_sees_the_one_sided_and_the_mismatched_invoice(
    browser: Browser,
    world: World,
    spectrum_db: SpectrumDB,  # noqa: F811
) -> None:
    wire(world.acme, spectrum_db)
    seed_march(world.acme, spectrum_db)
    browser.login(world.manager.username, PASSWORD)
    browser.click(By.CSS_SELECTOR, "a.shortcut-reconciliation")
    month = browser.wait_for(By.ID, "recon-month")
    browser.driver.execute_script("arguments[0].value = '2026-03'", month)
    browser.click(By.ID, "recon-show")
    assert "No report of March 2026 for Acme Mechanical DC1 yet." in browser.text

    browser.click(By.ID, "run-now")
    browser.wait_for(By.ID, "recon-differences")
    assert "Reconciled March 2026: 2 difference(s)." in browser.text
    differences = rows_of(browser, "recon-differences")
    assert len(differences) == 2
    spectrum_only = next(r for r in differences if "S2001" in r)
    mismatched = next(r for r in differences if "S2002" in r)
    assert spectrum_only.startswith("Only in Spectrum") and "1082.50" in spectrum_only
    assert mismatched.startswith("Totals differ") and "596.50" in mismatched and "594.56" in mismatched
    assert "Spectrum's tax is 14.56, the platform's tax lines 16.50." in mismatched
    invoices = next(r for r in rows_of(browser, "recon-summary") if r.startswith("AR invoice"))
    assert invoices.split()[2:6] == ["2", "813.00", "3", "1893.56"]
    assert browser.driver.find_elements(By.CSS_SELECTOR, "#recon-chart svg.recon-chart rect")

    shot = browser.screenshot("reconciliation")
    README_IMAGE.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, README_IMAGE)

    browser.click(By.ID, "recon-csv", navigates=False)
    rows = list(csv.DictReader(browser.wait_for_download(".csv").open()))
    assert sorted(r["document"] for r in rows if r["row"] == "difference") == ["S2001", "S2002"]
    assert {r["document_type"] for r in rows if r["row"] == "total"} >= {"AR invoice"}
    assert COMPANY in browser.text
