"""Approval before export: a tenant's rule makes documents of a type wait for an accountant.

Against the in-process fakes of Spectrum and the platform (tests/exports/fakes.py): what the
record's status is, whether Spectrum received anything, what the platform was told, and who may
decide in the approval queue.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from spectrum_sync.adminsite.roles import ACCOUNTANT, MANAGER
from spectrum_sync.exports import approval, engine
from spectrum_sync.models import ApprovalRule, SyncRecord, SyncStatus, Tenant
from tests.admin.world import PASSWORD, make_user
from tests.exports.fakes import Wiring
from tests.exports.test_engine import invoice, ready, run, submit

__all__ = ["ready"]

pytestmark = pytest.mark.django_db

QUEUE = "/admin/spectrum_sync/approvalrule/queue/"


@pytest.fixture
def approving(ready: Tenant) -> Tenant:
    ApprovalRule.objects.create(tenant=ready, object_type="ar_invoice", required=True)
    return ready


@pytest.fixture
def accountant(ready: Tenant) -> User:
    from spectrum_sync.adminsite.roles import sync_roles

    sync_roles()
    return make_user("ana", ACCOUNTANT, (ready,))


def told(wired: Wiring) -> list[dict[str, Any]]:
    return [item["data"] for _, items, _ in wired.platform.deliveries for item in items]


def test_without_a_rule_an_invoice_is_queued_for_spectrum_as_before(
    ready: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    # Negative control: no rule, and a rule switched off, change nothing.
    ApprovalRule.objects.create(tenant=ready, object_type="ar_invoice", required=False)
    ApprovalRule.objects.create(tenant=ready, object_type="job", required=True)  # another type
    with django_capture_on_commit_callbacks(execute=True):
        record = submit(ready, invoice())
    assert record.status == SyncStatus.PENDING
    assert wired.enqueued == [record.pk]
    assert told(wired) == []  # a pending record is not an outcome the platform hears of


def test_with_the_rule_on_the_invoice_waits_and_nothing_reaches_spectrum(
    approving: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record = submit(approving, invoice())
    assert record.status == SyncStatus.AWAITING_APPROVAL
    assert wired.enqueued == []
    assert [d["status"] for d in told(wired)] == ["awaiting_approval"]
    assert engine.process(record.pk) != "succeeded"  # a stray message sends nothing
    record.refresh_from_db()
    assert record.status == SyncStatus.AWAITING_APPROVAL and wired.spectrum.calls == []
    assert list(approval.waiting()) == [record]


def test_approved_invoice_goes_through_the_normal_export(
    approving: Tenant, accountant: User, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    record = submit(approving, invoice())
    with django_capture_on_commit_callbacks(execute=True):
        assert approval.approve(record, accountant) is True
    record.refresh_from_db()
    assert record.status == SyncStatus.PENDING and record.decided_by == accountant and record.decided_at
    assert wired.enqueued == [record.pk]
    record = run(record, django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.SUCCEEDED
    assert wired.spectrum.creates == {"invoice:INV1": 1}
    last = told(wired)[-1]
    assert (last["status"], last["decided_by"], last["decision_comment"]) == ("succeeded", "ana", "")
    assert approval.approve(record, accountant) is False  # decided once


def test_rejected_invoice_tells_the_platform_with_the_comment(
    approving: Tenant, accountant: User, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    record = submit(approving, invoice())
    with pytest.raises(approval.CommentRequired):
        approval.reject(record, accountant, "   ")
    record.refresh_from_db()
    assert record.status == SyncStatus.AWAITING_APPROVAL  # no comment: nothing changed
    with django_capture_on_commit_callbacks(execute=True):
        assert approval.reject(record, accountant, "Wrong customer: bill Harbor Labs") is True
    record.refresh_from_db()
    assert record.status == SyncStatus.REJECTED and record.is_final and record.finished_at
    assert (record.decided_by, record.decision_comment) == (accountant, "Wrong customer: bill Harbor Labs")
    result = told(wired)[-1]
    assert result["status"] == "rejected"
    assert result["decision_comment"] == "Wrong customer: bill Harbor Labs" and result["decided_by"] == "ana"
    assert record.decided_at is not None and result["decided_at"] == record.decided_at.isoformat()
    assert wired.spectrum.calls == [] and wired.enqueued == []
    assert approval.approve(record, accountant) is False


def test_a_new_version_replaces_the_waiting_one(approving: Tenant, wired: Wiring) -> None:
    first = submit(approving, invoice())
    second = submit(approving, invoice(version="2", invoice_number="INV1"))
    first.refresh_from_db()
    assert first.status == SyncStatus.SUPERSEDED and "version 2" in first.resolution_note
    assert second.status == SyncStatus.AWAITING_APPROVAL
    assert list(approval.waiting()) == [second]


def test_a_new_version_leaves_an_older_one_already_on_its_way(ready: Tenant, wired: Wiring) -> None:
    # Negative control: only a waiting version is replaced; one already sent on keeps its course.
    first = submit(ready, invoice())
    ApprovalRule.objects.create(tenant=ready, object_type="ar_invoice")
    second = submit(ready, invoice(version="2"))
    first.refresh_from_db()
    assert first.status == SyncStatus.PENDING
    assert second.status == SyncStatus.AWAITING_APPROVAL


def test_the_api_answers_awaiting_approval_and_the_schema_lists_it(approving: Tenant, wired: Wiring) -> None:
    key = approving.generate_api_key()
    approving.save()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    answer = api.post("/api/v1/ar-invoices/", invoice(), content_type="application/json")
    assert answer.status_code == 202, answer.content
    assert answer.json()["status"] == "awaiting_approval"
    status = api.get(f"/api/v1/sync-records/{answer.json()['id']}/").json()
    assert (status["status"], status["decided_by"], status["decision_comment"]) == ("awaiting_approval", "", "")
    schema = Client().get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assert {"awaiting_approval", "rejected"} <= set(components["SyncStatusEnum"]["enum"])
    for answer_schema in ("SyncRecord", "Accepted"):
        assert components[answer_schema]["properties"]["status"]["allOf"][0]["$ref"].endswith("/SyncStatusEnum")


# --- who may decide ---------------------------------------------------------------------------


def test_an_accountant_approves_and_rejects_in_the_queue(
    approving: Tenant, accountant: User, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    one = submit(approving, invoice("INV1"))
    two = submit(approving, invoice("INV2"))
    client = Client()
    client.force_login(accountant)
    page = client.get(QUEUE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "doc-INV1" in text and "doc-INV2" in text and 'id="approve-selected"' in text
    assert "customer/invoice (REST)" in text and "Invoice_Or_Transaction = INV2" in text  # the Spectrum document
    # A rejection without a comment is refused with a message, and nothing changes.
    client.post(QUEUE, {"reject": str(two.pk), f"comment-{two.pk}": ""})
    two.refresh_from_db()
    assert two.status == SyncStatus.AWAITING_APPROVAL
    with django_capture_on_commit_callbacks(execute=True):
        client.post(QUEUE, {"approve": "selected", "ids": [str(one.pk)]})
        client.post(QUEUE, {"reject": str(two.pk), f"comment-{two.pk}": "Duplicate of INV1"})
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, two.status) == (SyncStatus.PENDING, SyncStatus.REJECTED)
    assert two.decision_comment == "Duplicate of INV1"
    assert client.get(f"/admin/spectrum_sync/syncrecord/{two.pk}/change/").status_code == 200
    assert (
        "Rejected by an approver"
        in client.get(f"/admin/spectrum_sync/syncrecord/?status={two.status}").content.decode()
    )


def test_a_manager_sees_the_queue_but_cannot_decide(approving: Tenant, accountant: User, wired: Wiring) -> None:
    manager = make_user("max", MANAGER, (approving,))
    record = submit(approving, invoice())
    assert accountant.has_perm(approval.APPROVE_PERMISSION)
    assert not manager.has_perm(approval.APPROVE_PERMISSION)
    client = Client()
    client.force_login(manager)
    page = client.get(QUEUE)
    assert page.status_code == 200 and "doc-INV1" in page.content.decode()
    assert 'id="approve-selected"' not in page.content.decode()
    assert client.post(QUEUE, {"approve_one": str(record.pk)}).status_code == 403
    record.refresh_from_db()
    assert record.status == SyncStatus.AWAITING_APPROVAL


def test_an_accountant_of_another_tenant_cannot_approve_this_one(
    approving: Tenant, accountant: User, wired: Wiring
) -> None:
    other = Tenant.objects.create(name="Bolt Electric", slug="bolt")
    outsider = make_user("olga", ACCOUNTANT, (other,))
    record = submit(approving, invoice())
    client = Client()
    client.force_login(outsider)
    assert "doc-INV1" not in client.get(QUEUE).content.decode()
    client.post(QUEUE, {"approve_one": str(record.pk)})
    record.refresh_from_db()
    assert record.status == SyncStatus.AWAITING_APPROVAL
    assert SyncRecord.objects.filter(status=SyncStatus.PENDING).count() == 0
    assert outsider.has_perm(approval.APPROVE_PERMISSION)


def test_the_rule_is_switched_on_in_the_tenant_page(ready: Tenant, wired: Wiring) -> None:
    staff = User.objects.create_superuser("root", "root@example.test", PASSWORD)
    client = Client()
    client.force_login(staff)
    page = client.get(f"/admin/spectrum_sync/tenant/{ready.pk}/change/")
    assert page.status_code == 200
    assert "approval_rules-TOTAL_FORMS" in page.content.decode()
