"""After an authorization abort: "Authorization fixed — resume exports" on the tenant and onboarding
pages, or a clean connection check, sends the held exports — and they reach the Spectrum simulator.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from mappings.models import GLAccountMapping
from spectrum_sync.exports import engine, intake, queueing
from spectrum_sync.models import MirrorRecord, SpectrumConnection, SyncRecord, SyncStatus
from tests.admin.world import World, client_for
from tests.fixtures_platform import platform_simulator  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_sqlite  # noqa: F401

RESUME = "Authorization fixed — resume exports"


class Held:
    """Acme wired to the simulators, with invoices held by a revoked Authorization ID."""

    def __init__(self, world: World, spectrum: Any, platform: Any, enqueued: list[int]) -> None:
        self.world, self.spectrum, self.platform, self.enqueued = world, spectrum, platform, enqueued
        tenant = world.acme
        spectrum.use_for(tenant)
        platform.use_for(tenant)
        store = spectrum.store
        customer = store.find("CR_CUSTOMER_MASTER_MC", Company_Code="DC1")[0]["Customer_Code"].strip()
        gl = next(
            r["GL_Account"].strip()
            for r in store.find("GL_ACCOUNT_MASTER_MC", Company_Code="DC1")
            if r["GL_Account"].strip().endswith("4000")
        )
        GLAccountMapping.objects.create(tenant=tenant, line_kind="labor", gl_account=gl)
        MirrorRecord.objects.create(
            tenant=tenant, object_type="customer", key=f"DC1|{customer}", company_code="DC1", row_hash="x"
        )
        self.customer = customer

    def submit(self, number: str, capture: Any) -> SyncRecord:
        document = {
            "document_id": f"doc-{number}",
            "version": "1",
            "invoice_number": number,
            "customer_code": self.customer,
            "invoice_date": timezone.localdate().isoformat(),
            "lines": [{"kind": "labor", "description": "Technician", "amount": "240.00", "taxable": False}],
        }
        record, _ = intake.accept(self.world.acme, "ar_invoice", document["document_id"], "1", document)
        return self.run(record.pk, capture)

    def run(self, record_id: int, capture: Any) -> SyncRecord:
        with capture(execute=True):
            engine.process(record_id)
        return SyncRecord.objects.get(pk=record_id)

    def send_enqueued(self, capture: Any) -> list[SyncRecord]:
        done = [self.run(record_id, capture) for record_id in self.enqueued]
        self.enqueued.clear()
        return done


@pytest.fixture
def held(
    world: World,
    spectrum_simulator_sqlite: Any,  # noqa: F811
    platform_simulator: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> Held:
    enqueued: list[int] = []
    monkeypatch.setattr(queueing, "enqueue", lambda record_id, countdown=None: enqueued.append(record_id))
    setup = Held(world, spectrum_simulator_sqlite, platform_simulator, enqueued)
    auth_id = SpectrumConnection.objects.get(tenant=world.acme).authorization_id
    spectrum_simulator_sqlite.add_auth(auth_id, ["DC1", "DC2"], active=False)  # revoked in Spectrum
    for number in ("RH1", "RH2"):
        record = setup.submit(number, django_capture_on_commit_callbacks)
        assert (record.status, record.error_code) == (SyncStatus.HELD, "A"), (record.status, record.held_reason)
    assert SpectrumConnection.objects.get(tenant=world.acme).exports_held_reason
    assert spectrum_simulator_sqlite.accepted("customer/invoice") == {}
    enqueued.clear()
    spectrum_simulator_sqlite.add_auth(auth_id, ["DC1", "DC2"], active=True)  # and fixed
    return setup


def assert_all_went_through(held: Held, capture: Any) -> None:
    sent = held.send_enqueued(capture)
    assert sorted(r.status for r in sent) == [SyncStatus.SUCCEEDED, SyncStatus.SUCCEEDED]
    assert held.spectrum.accepted("customer/invoice") == {"DC1|RH1": 1, "DC1|RH2": 1}
    results = held.platform.state("acme", "export-results")
    assert sorted(r["status"] for r in results.values() if r.get("status") == "succeeded") == ["succeeded"] * 2
    connection = SpectrumConnection.objects.get(tenant=held.world.acme)
    assert connection.exports_held_reason == "" and connection.exports_held_at is None


@pytest.mark.parametrize("page", ["change", "onboarding"])
def test_the_resume_button_sends_the_held_exports_to_spectrum(
    held: Held, page: str, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(held.world.staff)
    url = reverse(f"admin:spectrum_sync_tenant_{page}", args=[held.world.acme.pk])
    body = client.get(url).content.decode()
    assert RESUME in body and "2 documents waiting" in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:spectrum_sync_tenant_resume_exports", args=[held.world.acme.pk]), {"back": page}
        )
    assert response.status_code == 302 and response["Location"] == url
    assert_all_went_through(held, django_capture_on_commit_callbacks)
    assert RESUME not in client.get(url).content.decode()


def test_a_clean_connection_check_resumes_the_held_exports_by_itself(
    held: Held, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(held.world.staff)
    onboarding = reverse("admin:spectrum_sync_tenant_onboarding", args=[held.world.acme.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(onboarding, {"step": "test"})
    page = client.get(onboarding).content.decode()
    assert "Connected to Spectrum" in page and "resumed: 2 document(s) sent again" in page
    assert_all_went_through(held, django_capture_on_commit_callbacks)


def test_accountants_and_managers_see_the_hold_but_cannot_resume(held: Held) -> None:
    for user in (held.world.accountant, held.world.manager):
        client = client_for(user)
        body = client.get(reverse("admin:spectrum_sync_tenant_change", args=[held.world.acme.pk])).content.decode()
        assert "Exports to Spectrum are held" in body and RESUME not in body
        response = client.post(reverse("admin:spectrum_sync_tenant_resume_exports", args=[held.world.acme.pk]))
        assert response.status_code == 403
    assert SyncRecord.objects.filter(tenant=held.world.acme, status=SyncStatus.HELD).count() == 2
