"""Three Spectrum vendors linked to companies the platform already had; the
next vendor poll updates those companies instead of creating new ones.

Real components: the Spectrum simulator (web services, its seeded vendors), the platform simulator
(its own companies, added as the platform's records before any delivery), the import engine's poll,
the inbound API. Asserted: what the platform simulator holds and received.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from linking import services
from linking.matching import BULK_CONFIRM_AT
from linking.models import LinkStatus, RecordLink
from spectrum_sync.adminsite.roles import IMPLEMENTATION_STAFF, sync_roles
from spectrum_sync.imports import actions
from spectrum_sync.models import SyncRun, Tenant
from tests.admin.world import make_user
from tests.fixtures_platform import platform_simulator  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator_sqlite  # noqa: F401

VENDORS = "VN_VENDOR_MASTER_MC"


@pytest.fixture
def wired(tenant: Tenant, spectrum_simulator_sqlite: Any, platform_simulator: Any) -> Tenant:  # noqa: F811
    spectrum_simulator_sqlite.use_for(tenant)
    platform_simulator.use_for(tenant)
    tenant.refresh_from_db()
    return tenant


def poll(tenant: Tenant) -> SyncRun:
    run = actions.run_in_foreground(tenant, "vendor")
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    return run


def mirror_from_a_sandbox_poll(tenant: Tenant, platform: Any) -> None:
    """Onboarding: the first poll ran against the platform's sandbox, so the mirror knows Spectrum's
    vendors while the live platform has only its own companies."""
    live = tenant.platform_url
    platform.add_tenant("acme-sandbox", tenant.platform_signing_secret)
    tenant.platform_url = platform.tenant_url("acme-sandbox")
    tenant.save(update_fields=["platform_url"])
    poll(tenant)
    tenant.platform_url = live
    tenant.save(update_fields=["platform_url"])


def company_of(index: int, vendor: dict[str, Any]) -> dict[str, Any]:
    """How the platform spells the same company: its own id and case, a legal suffix, its phone format."""
    digits = "".join(ch for ch in vendor["Phone"] if ch.isdigit())
    return {
        "platform_id": f"co-{index}",
        "name": f"{vendor['Name'].title()}, Inc.",
        "phone": f"+1 {digits[:3]}.{digits[3:6]}.{digits[6:10]}",
    }


def test_three_linked_vendors_update_the_platforms_companies_on_the_next_poll(
    wired: Tenant,
    spectrum_simulator_sqlite: Any,  # noqa: F811
    platform_simulator: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    mirror_from_a_sandbox_poll(wired, platform_simulator)
    vendors = [v for v in spectrum_simulator_sqlite.store.find(VENDORS, Company_Code="DC1") if v["Status"] == "A"]
    linked, unlinked = vendors[:3], vendors[3]
    companies = [company_of(i, v) for i, v in enumerate(linked)]
    platform_simulator._post("/_sim/own-records", {"tenant": "acme", "resource": "vendors", "records": companies})
    assert set(platform_simulator.state("acme", "vendors")) == {"co-0", "co-1", "co-2"}

    # The platform sends its directory; the matcher proposes; staff confirm everything above the bar.
    key = wired.generate_api_key()
    wired.save()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    sent = api.post("/api/v1/directory/vendors/", {"records": companies}, content_type="application/json")
    assert sent.status_code == 200 and sent.json()["proposed"] >= 3, sent.content
    sync_roles()
    staff = make_user("sam", IMPLEMENTATION_STAFF, (wired,))
    with django_capture_on_commit_callbacks(execute=True):
        done, left = services.bulk_confirm(RecordLink.objects.filter(tenant=wired), BULK_CONFIRM_AT, staff)
    assert done == 3, left
    keys = [f"DC1|{v['Vendor_Code']}" for v in linked]
    confirmed = dict(RecordLink.objects.filter(status=LinkStatus.CONFIRMED).values_list("platform_id", "spectrum_key"))
    assert confirmed == {f"co-{i}": k for i, k in enumerate(keys)}
    # The confirmed links reached the platform: each company now carries its Spectrum key.
    state = platform_simulator.state("acme", "vendors")
    assert {pid: state[pid]["spectrum_key"] for pid in state} == confirmed

    # Spectrum changes all four vendors; the next poll delivers them.
    for vendor in vendors[:4]:
        key_of_row = {"Company_Code": "DC1", "Vendor_Code": vendor["Vendor_Code"]}
        spectrum_simulator_sqlite.store.update(VENDORS, key_of_row, {"Address_1": "1 New Street"})
    run = poll(wired)
    assert run.updated_count == 4 and run.created_count == 0

    state = platform_simulator.state("acme", "vendors")
    # The linked three updated the platform's companies: no second record for any of them...
    for index, key in enumerate(keys):
        assert state[f"co-{index}"]["address"]["line_1"] == "1 New Street"
        assert state[f"co-{index}"]["spectrum_key"] == key and key not in state
    # ...while the unlinked vendor, which the live platform never had, is a new record (the control).
    assert set(state) == {"co-0", "co-1", "co-2", f"DC1|{unlinked['Vendor_Code']}"}
    last = platform_simulator.deliveries("acme", "vendors")[0]
    assert (last["created"], last["updated"]) == (1, 3)
    carried = {item["key"]: item.get("platform_id") for item in last["items"]}
    assert carried == {**{k: f"co-{i}" for i, k in enumerate(keys)}, f"DC1|{unlinked['Vendor_Code']}": None}


def test_an_unlinked_vendor_no_longer_updates_the_company_and_relinking_restores_it(
    wired: Tenant,
    spectrum_simulator_sqlite: Any,  # noqa: F811
    platform_simulator: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    mirror_from_a_sandbox_poll(wired, platform_simulator)
    vendor = next(v for v in spectrum_simulator_sqlite.store.find(VENDORS, Company_Code="DC1") if v["Status"] == "A")
    company = company_of(0, vendor)
    platform_simulator._post("/_sim/own-records", {"tenant": "acme", "resource": "vendors", "records": [company]})
    services.receive_directory(wired, "vendor", [company])
    link = RecordLink.objects.get(tenant=wired, spectrum_key=f"DC1|{vendor['Vendor_Code']}")
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(link, "confirmed", None)
    services.decide(link, "unlinked", None)

    row_key = {"Company_Code": "DC1", "Vendor_Code": vendor["Vendor_Code"]}
    spectrum_simulator_sqlite.store.update(VENDORS, row_key, {"Address_1": "2 Moved Road"})
    poll(wired)
    state = platform_simulator.state("acme", "vendors")
    assert state[link.spectrum_key]["address"]["line_1"] == "2 Moved Road"  # unlinked: a record of its own
    assert state["co-0"]["address"]["line_1"] != "2 Moved Road"

    with django_capture_on_commit_callbacks(execute=True):
        services.undo(link, None)  # the unlink undone: confirmed again, and the platform told
    link.refresh_from_db()
    assert link.status == LinkStatus.CONFIRMED
    assert platform_simulator.state("acme", "vendors")["co-0"]["address"]["line_1"] == "2 Moved Road"
    actions_seen = list(link.events.order_by("pk").values_list("action", flat=True))
    assert actions_seen == ["proposed", "confirmed", "unlinked", "undone"]
