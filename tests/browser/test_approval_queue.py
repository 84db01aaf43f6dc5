"""An accountant approves one invoice and rejects another with a comment; the platform sees both.

Real parts: intake with the tenant's approval rule on, the approval queue in headless Chromium,
the export engine in a Celery worker process, the Spectrum simulator, and the platform simulator
whose page shows what it was told. The queue's screenshot is the README's (docs/images/approval-queue.png).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from connectors.platform import samples
from mappings.models import GLAccountMapping
from spectrum_sync.exports.intake import accept
from spectrum_sync.models import ApprovalRule, ObjectType, SyncRecord, SyncStatus
from tests.admin.world import PASSWORD, World
from tests.browser.conftest import Browser
from tests.browser.test_fix_and_retry import point_acme_at_simulators, wait_for_status
from tests.workers import WorkerProcess, celery_worker_process

__all__ = ["celery_worker_process"]

README_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "approval-queue.png"
COMMENT = "Wrong customer: this work was for Harbor Labs"


def submit(world: World, number: str) -> SyncRecord:
    document = samples.ar_invoice(number=number)
    record, _ = accept(world.acme, ObjectType.AR_INVOICE, document["document_id"], "1", document)
    return record


def wait_until(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{condition.__name__} did not happen within {seconds:g} s"
        time.sleep(0.5)


@pytest.mark.flow
def test_accountant_approves_one_invoice_and_rejects_another_with_a_comment(
    browser: Browser,
    world: World,
    spectrum_simulator: str,
    platform_simulator: str,
    celery_worker_process: WorkerProcess,
) -> None:
    point_acme_at_simulators(world, spectrum_simulator, platform_simulator)
    GLAccountMapping.objects.create(tenant=world.acme, gl_account="204100")
    ApprovalRule.objects.create(tenant=world.acme, object_type=ObjectType.AR_INVOICE, required=True)
    approved, rejected = submit(world, "7101"), submit(world, "7102")
    assert (approved.status, rejected.status) == (SyncStatus.AWAITING_APPROVAL, SyncStatus.AWAITING_APPROVAL)

    # The manager sees the queue, and cannot decide.
    browser.login(world.manager.username, PASSWORD)
    browser.open("/admin/")
    browser.click(By.CSS_SELECTOR, "a.shortcut-approvals")
    assert approved.platform_id in browser.text and "approving and rejecting is for accountants" in browser.text
    assert not browser.driver.find_elements(By.ID, "approve-selected")

    browser.login(world.accountant.username, PASSWORD)
    browser.open("/admin/")
    browser.click(By.CSS_SELECTOR, "a.shortcut-approvals")
    browser.wait_for(By.ID, f"approval-{approved.pk}")
    assert "2 document(s) wait for approval" in browser.text
    assert "customer/invoice (REST)" in browser.text and "It would be sent to Spectrum now." in browser.text
    README_IMAGE.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(browser.screenshot("approval-queue"), README_IMAGE)

    # Reject without a comment: refused, nothing changes.
    browser.click(By.ID, f"reject-{rejected.pk}")
    assert "not rejected" in browser.text
    rejected.refresh_from_db()
    assert rejected.status == SyncStatus.AWAITING_APPROVAL

    browser.click(By.ID, f"tick-{approved.pk}", navigates=False)
    browser.click(By.ID, "approve-selected")
    assert "Approved 1 document(s)" in browser.text
    browser.driver.find_element(By.ID, f"comment-{rejected.pk}").send_keys(COMMENT)
    browser.click(By.ID, f"reject-{rejected.pk}")
    assert "the platform is told why" in browser.text and "Nothing waits for approval" in browser.text

    wait_for_status(approved, {SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.HELD}, celery_worker_process)
    assert approved.status == SyncStatus.SUCCEEDED, (approved.error_message, approved.held_reason)
    rejected.refresh_from_db()
    assert (rejected.status, rejected.decided_by, rejected.decision_comment) == (
        SyncStatus.REJECTED,
        world.accountant,
        COMMENT,
    )

    # The platform simulator's page shows both outcomes, the comment with the rejected one.
    def told_both() -> bool:
        records = SyncRecord.objects.filter(pk__in=[approved.pk, rejected.pk], platform_notified_at__isnull=False)
        return records.count() == 2

    wait_until(told_both)
    browser.driver.get(f"{platform_simulator}/?tenant=acme")
    browser.wait_for(By.CSS_SELECTOR, "td.decision")
    rows = {
        row.find_element(By.XPATH, "td[2]").text: row.text
        for row in browser.driver.find_elements(By.XPATH, "//caption[starts-with(., 'Export results')]/..//tr[td]")
    }
    approved_row = next(text for document, text in rows.items() if approved.platform_id in document)
    rejected_row = next(text for document, text in rows.items() if rejected.platform_id in document)
    assert "succeeded" in approved_row and f"approved by {world.accountant.username}" in approved_row
    assert "rejected" in rejected_row and f"rejected by {world.accountant.username}: {COMMENT}" in rejected_row
    browser.screenshot("platform-simulator-approvals")
