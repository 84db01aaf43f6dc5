"""The reconciliation screen: who may see and run it, what it shows, the CSV, and tenant scoping."""

from __future__ import annotations

import pytest
from django.test import Client

from spectrum_sync.models import ReconciliationReport, Tenant
from tests.admin.world import World, build_world
from tests.fixtures_spectrum_db import SpectrumDB
from tests.reconciliation.conftest import COMPANY
from tests.reconciliation.test_report import seed_march

pytestmark = pytest.mark.django_db

PAGE = "/admin/spectrum_sync/reconciliationreport/"


@pytest.fixture
def world(wired: Tenant) -> World:
    return build_world(wired)


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_manager_runs_it_now_and_sees_both_differences(world: World, spectrum_db: SpectrumDB) -> None:
    seed_march(world.acme, spectrum_db)
    client = client_for(world.manager)
    page = client.get(PAGE, {"tenant": world.acme.pk, "company": COMPANY, "month": "2026-03"})
    assert page.status_code == 200 and "No report of March 2026" in page.content.decode()
    ran = client.post(PAGE + "run/", {"tenant": world.acme.pk, "company": COMPANY, "month": "2026-03"}, follow=True)
    body = ran.content.decode()
    assert "Reconciled March 2026: 2 difference(s)." in body
    assert "S2001" in body and "S2002" in body and "Only in Spectrum" in body and "Totals differ" in body
    assert 'class="recon-chart"' in body
    assert "<script>" not in body  # the chart is plain SVG; CSP forbids inline scripts
    made = ReconciliationReport.objects.get(tenant=world.acme)
    assert made.created_by == world.manager
    download = client.get(f"{PAGE}{made.pk}/report.csv")
    assert download.status_code == 200 and download["Content-Type"] == "text/csv"
    assert "S2002" in b"".join(download.streaming_content).decode()  # type: ignore[attr-defined]


def test_accountant_sees_it_and_the_index_links_it(world: World) -> None:
    client = client_for(world.accountant)
    assert client.get(PAGE).status_code == 200
    assert 'class="shortcut-reconciliation"' in client.get("/admin/").content.decode()


def test_implementation_staff_may_not(world: World) -> None:
    """Negative control: the role without the permission gets no page and cannot run one."""
    client = client_for(world.staff)
    assert client.get(PAGE).status_code == 403
    assert (
        client.post(PAGE + "run/", {"tenant": world.acme.pk, "company": COMPANY, "month": "2026-03"}).status_code == 403
    )
    assert "shortcut-reconciliation" not in client.get("/admin/").content.decode()


def test_another_tenants_report_is_not_shown(world: World) -> None:
    other = ReconciliationReport.objects.create(
        tenant=world.bolt, company_code="BE1", period_start="2026-03-01", period_end="2026-03-31"
    )
    client = client_for(world.manager)  # serves Acme only
    assert client.get(PAGE, {"report": other.pk}).status_code == 404
    assert client.get(f"{PAGE}{other.pk}/report.csv").status_code == 404
    assert (
        client.post(PAGE + "run/", {"tenant": world.bolt.pk, "company": "BE1", "month": "2026-03"}).status_code == 403
    )


def test_a_bad_month_is_a_message_not_an_error(world: World) -> None:
    client = client_for(world.manager)
    answer = client.post(PAGE + "run/", {"tenant": world.acme.pk, "company": COMPANY, "month": "13/2026"}, follow=True)
    assert answer.status_code == 200 and "write it as YYYY-MM" in answer.content.decode()
    assert not ReconciliationReport.objects.exists()
