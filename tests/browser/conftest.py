"""Headless Chromium driving the admin on pytest-django's live server (127.0.0.1 only).

Chromium and chromedriver are the Debian packages (/usr/bin/chromium, /usr/bin/chromedriver);
every run starts with a new, empty profile and no background networking, so nothing but the live
server is contacted. Screenshots of each screen go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from connectors.platform.simulator.app import PlatformSimulatorApp, TenantSecrets
from connectors.platform.simulator.server import RunningSimulator
from connectors.spectrum.simulator.seed import seed
from connectors.spectrum.simulator.server import SpectrumSimulator
from connectors.spectrum.simulator.store import Store
from spectrum_sync.adminsite.roles import sync_roles
from spectrum_sync.models import Tenant
from tests.admin.world import World, build_world

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WAIT_SECONDS = 20
# The tenant the onboarding flow creates, and the platform secrets the platform simulator checks.
SLUG = "cedar-plumbing"
SIGNING_SECRET = "cedar-platform-signing-secret-31"
PLATFORM_SECRETS = {SLUG: SIGNING_SECRET, "acme": "platform-signing-secret-acme"}

pytestmark = pytest.mark.browser


class Browser:
    """A driver plus the few verbs the tests speak: open, log in, click, read, screenshot."""

    def __init__(self, driver: WebDriver, base_url: str, download_dir: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.download_dir = download_dir

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def login(self, username: str, password: str) -> None:
        self.driver.delete_all_cookies()
        self.open("/admin/login/")
        self.driver.find_element(By.ID, "id_username").send_keys(username)
        self.driver.find_element(By.ID, "id_password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        self.wait_for(By.ID, "user-tools")

    def wait_for(self, by: str, value: str) -> Any:
        return WebDriverWait(self.driver, WAIT_SECONDS).until(
            expected_conditions.presence_of_element_located((by, value))
        )

    def click(self, by: str, value: str, *, navigates: bool = True) -> None:
        """Click, and (by default) wait until the next page replaced this one, so reads never see the old page."""
        element = WebDriverWait(self.driver, WAIT_SECONDS).until(
            expected_conditions.element_to_be_clickable((by, value))
        )
        if navigates:
            self.navigating(element.click)
        else:
            element.click()

    def click_link(self, text: str) -> None:
        self.click(By.PARTIAL_LINK_TEXT, text)

    def navigating(self, action: Callable[[], Any]) -> None:
        page = self.driver.find_element(By.TAG_NAME, "html")
        action()

        def replaced(_: Any) -> bool:
            try:
                page.is_enabled()
            except StaleElementReferenceException:
                return True
            except WebDriverException as exc:
                # Asked mid-navigation, chromedriver may answer that the node left the document
                # instead of calling it stale: the page was replaced all the same.
                if "does not belong to the document" in str(exc):
                    return True
                raise
            return False

        WebDriverWait(self.driver, WAIT_SECONDS).until(replaced)
        self.wait_for(By.TAG_NAME, "body")

    @property
    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        # A tall window so the whole screen fits in one image.
        height = self.driver.execute_script("return Math.max(document.body.scrollHeight, 900)")
        self.driver.set_window_size(1600, min(int(height) + 40, 4000))
        self.driver.save_screenshot(str(target))
        return target

    def wait_for_download(self, suffix: str) -> Path:
        def finished(_: Any) -> Path | bool:
            done = [p for p in self.download_dir.iterdir() if p.name.endswith(suffix)]
            return done[0] if done else False

        return WebDriverWait(self.driver, WAIT_SECONDS).until(finished)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def chromium() -> Iterator[WebDriver]:
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1400,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(chromium: WebDriver, live_server: Any, tmp_path: Path, settings: Any) -> Browser:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sync_roles()  # live_server tests flush the database between tests, groups included
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    chromium.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    chromium.set_window_size(1400, 900)
    return Browser(chromium, live_server.url, downloads)


@pytest.fixture
def world(browser: Browser, tenant: Tenant) -> World:
    return build_world(tenant)


@pytest.fixture
def spectrum_simulator(tmp_path: Path) -> Iterator[str]:
    store = Store.open(f"sqlite:///{tmp_path / 'spectrum.sqlite3'}")
    store.create_schema()
    seed(store, "demo")
    simulator = SpectrumSimulator(store)
    url = simulator.start()
    try:
        yield url
    finally:
        simulator.stop()
        store.close()


@pytest.fixture
def platform_simulator() -> Iterator[str]:
    secrets = TenantSecrets()
    for slug, secret in PLATFORM_SECRETS.items():
        secrets.add(slug, secret)
    with RunningSimulator(PlatformSimulatorApp(tenants=secrets)) as running:
        yield running.url
