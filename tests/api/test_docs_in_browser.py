"""The API docs pages render in a real browser under the Content-Security-Policy (no inline script)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import Browser, browser, chromium  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _violations(page: Browser) -> list[str]:
    return list(page.driver.execute_script("return window.__cspViolations || []"))


def _watch_violations(page: Browser) -> None:
    page.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": "window.__cspViolations = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
        },
    )


def test_swagger_ui_renders_every_operation_under_the_policy(browser: Browser) -> None:  # noqa: F811 (the fixture)
    _watch_violations(browser)
    browser.open("/api/docs/")
    WebDriverWait(browser.driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary"))
    assert "Spectrum Sync API" in browser.text
    assert "/api/v1/ar-invoices/" in browser.text
    assert _violations(browser) == []
    browser.screenshot("api-docs-swagger")


def test_redoc_renders_under_the_policy(browser: Browser) -> None:  # noqa: F811 (the fixture)
    _watch_violations(browser)
    browser.open("/api/redoc/")
    WebDriverWait(browser.driver, 20).until(lambda d: "Export a" in d.find_element(By.TAG_NAME, "body").text)
    # Redoc's own fonts and logo come from CDNs: refused by design, the page renders without them.
    cdn = ("googleapis.com", "redoc.ly")
    blocked = [v for v in _violations(browser) if not (urlparse(v.split(" ")[-1]).hostname or "").endswith(cdn)]
    assert blocked == [], _violations(browser)
