"""The lists people work from fit a 1400 px wide laptop screen: no column is cut off or scrolled away.

Measured in a real Chromium at 1400 x 900 with the navigation sidebar open and the filters shown,
on rows as long as real ones get (UUID platform ids, Spectrum's longest messages, held reasons).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from spectrum_sync.models import ObjectType, SyncRun, SyncStatus
from tests.admin.world import PASSWORD, World, make_record
from tests.browser.conftest import SCREENSHOTS, Browser

WIDTH = 1400

# Each cell of a column, and the header, against what the user can see of the list: the window,
# and the list's own box (the admin scrolls an over-wide table inside it, hiding its right part).
MEASURE = """
const results = document.querySelector('#changelist .results');
const box = results.getBoundingClientRect();
const visible = Math.min(window.innerWidth, box.right);
const cells = [...document.querySelectorAll(arguments[0])];
return {
  visible: visible,
  rights: cells.map(c => c.getBoundingClientRect().right),
  hidden_in_list: results.scrollWidth - results.clientWidth,
  page_scroll: document.documentElement.scrollWidth - window.innerWidth,
};
"""


PROBLEM_COLUMN = "#result_list .column-problem, #result_list .field-problem"
LAST_COLUMN = "#result_list tr > :last-child"


def measure(browser: Browser, cells: str, name: str) -> dict[str, Any]:
    browser.driver.set_window_size(WIDTH, 900)
    browser.driver.refresh()
    browser.wait_for("id", "result_list")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.driver.save_screenshot(str(SCREENSHOTS / f"{name}-at-{WIDTH}px.png"))  # as the user sees it
    found: dict[str, Any] = browser.driver.execute_script(MEASURE, cells)
    return found


def assert_fits(found: dict[str, Any]) -> None:
    assert found["rights"], "the column is not on the page"
    overflowing = [right for right in found["rights"] if right > found["visible"] + 0.5]
    assert not overflowing, f"cells end at {overflowing} px, past the visible {found['visible']} px: {found}"
    assert found["hidden_in_list"] <= 0, f"the list scrolls sideways by {found['hidden_in_list']} px"
    assert found["page_scroll"] <= 0, f"the page scrolls sideways by {found['page_scroll']} px"


def seed_long_failures(world: World) -> None:
    """The failed queue as a real tenant's looks: every export type, long ids and Spectrum's long messages."""
    now = timezone.now()
    rows = (
        (ObjectType.AR_INVOICE, "", "I", "GL_Account", "GL Account does not match GL Mask"),
        (ObjectType.MAINTENANCE, "", "M", "Customer_Code", "Customer Code is required for service agreements"),
        (ObjectType.CHANGE_ORDER, "CO-2026-000481-REV-03", "I", "Job_Number", "Job Number is not valid for company"),
        (ObjectType.COMMITMENT, "", "A", "", "Subcontract Number already exists with a different vendor code"),
        (ObjectType.PO_RECEIPT, "PO-77812-RECEIPT-0004", "I", "Cost_Type", "Cost Type is not valid for this phase"),
    )
    for n, (object_type, number, code, column, message) in enumerate(rows):
        record = make_record(
            world.acme,
            number,
            SyncStatus.FAILED,
            object_type=object_type,
            error_code=code,
            error_column=column,
            error_message=message,
            created_at=now - dt.timedelta(minutes=n),
        )
        if not number:  # no number back from Spectrum yet: the platform's id is what people know
            record.document_number = ""
            record.platform_id = f"9f1c2b7e-4a11-4c3e-b8d2-{n:012d}"
            record.save(update_fields=["document_number", "platform_id"])
    make_record(
        world.acme,
        "INV-2026-0099817",
        SyncStatus.HELD,
        held_reason="No revenue GL account is mapped for labor lines of department 20 (company AC1)",
    )


# Someone serving one tenant, and a manager of every tenant (who also gets the tenant column).
USERS = ("accountant", "all_manager")


@pytest.mark.parametrize("who", USERS)
def test_failed_queue_problem_column_fits_1400_px(browser: Browser, world: World, who: str) -> None:
    seed_long_failures(world)
    browser.login(getattr(world, who).username, PASSWORD)
    browser.open("/admin/spectrum_sync/syncrecord/?status=attention&tenant=" + str(world.acme.pk))
    found = measure(browser, PROBLEM_COLUMN, f"failed-queue-{who}")
    assert len(found["rights"]) == 1 + 7  # the header, six failed rows and one held
    assert_fits(found)
    assert "Customer_Code" in browser.text and "department 20" in browser.text
    assert_fits(measure(browser, LAST_COLUMN, f"failed-queue-{who}"))


@pytest.mark.parametrize("who", ("staff", "all_manager"))
def test_poll_runs_fit_1400_px(browser: Browser, world: World, who: str) -> None:
    started = timezone.now() - dt.timedelta(hours=1)
    for object_type in (ObjectType.BUDGET, ObjectType.JOB_COST, ObjectType.PHASE, ObjectType.CUSTOMER):
        SyncRun.objects.create(
            tenant=world.acme,
            object_type=object_type,
            trigger=SyncRun.Trigger.FULL,
            status=SyncRun.Status.SUCCEEDED,
            started_at=started,
            duration_ms=128_340,
            read_count=144_000,
            created_count=143_250,
            updated_count=12_400,
            deleted_count=1_200,
            unchanged_count=130_000,
        )
    SyncRun.objects.create(
        tenant=world.acme,
        object_type=ObjectType.PRIME_CONTRACT,
        status=SyncRun.Status.FAILED,
        started_at=started,
        error="Spectrum's database could not be reached: connection refused by 127.0.0.1:1433 (Info-Link login)",
    )
    browser.login(getattr(world, who).username, PASSWORD)
    browser.open("/admin/spectrum_sync/syncrun/")
    assert_fits(measure(browser, LAST_COLUMN, f"poll-runs-{who}"))
    assert_fits(measure(browser, PROBLEM_COLUMN, f"poll-runs-{who}"))
    assert "connection refused" in browser.text
    assert "Fencing" not in browser.text
