"""The link screen as implementation staff use it: confirm, reject, unlink, relink, undo, bulk-confirm.

Django's test client on the admin, real platform simulator; asserted: what the screen shows and what
the platform simulator received.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from linking import services
from linking.models import LinkStatus, RecordLink
from spectrum_sync.adminsite.roles import ACCOUNTANT, IMPLEMENTATION_STAFF, sync_roles
from spectrum_sync.models import MirrorRecord, Tenant
from tests.admin.world import make_user
from tests.fixtures_platform import platform_simulator  # noqa: F401

SCREEN = "/admin/linking/recordlink/"

VENDORS = {
    "AC1|ACME01": {"vendor_code": "ACME01", "name": "ACME SUPPLY", "phone_number": "512-555-0100"},
    "AC1|BOLT01": {"vendor_code": "BOLT01", "name": "Bolt Electric", "phone_number": "512-555-0200"},
    "AC1|CEDAR1": {"vendor_code": "CEDAR1", "name": "Cedar Plumbing", "phone_number": "512-555-0300"},
    "AC1|CEDAR2": {"vendor_code": "CEDAR2", "name": "Cedars Plumbing", "phone_number": "254-555-0900"},
}
DIRECTORY = [
    {"platform_id": "co-1", "name": "Acme Supply, Inc.", "phone": "512 555 0100"},  # 90: name + phone
    {"platform_id": "co-2", "name": "Bolt Electric LLC", "code": "BOLT01"},  # 100: code + name
    {"platform_id": "co-3", "name": "Cedar Plumbing", "phone": "512-555-0399"},  # 60 and 40: name only / near
]


@pytest.fixture
def links(tenant: Tenant, platform_simulator: Any) -> dict[str, RecordLink]:  # noqa: F811
    platform_simulator.use_for(tenant)
    for key, data in VENDORS.items():
        MirrorRecord.objects.create(tenant=tenant, object_type="vendor", key=key, row_hash="x", data=data)
    services.receive_directory(tenant, "vendor", DIRECTORY)
    return {f"{link.platform_id}>{link.spectrum_key}": link for link in RecordLink.objects.all()}


@pytest.fixture
def staff(tenant: Tenant) -> Client:
    sync_roles()
    client = Client()
    client.force_login(make_user("sam", IMPLEMENTATION_STAFF, (tenant,)))
    return client


def act(client: Client, action: str, links: list[RecordLink], callbacks: Any, **extra: Any) -> str:
    body = {"action": action, "_selected_action": [link.pk for link in links], "index": 0, **extra}
    with callbacks(execute=True):
        response = client.post(SCREEN, body, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def status_of(link: RecordLink) -> str:
    link.refresh_from_db()
    return link.status


def test_the_screen_lists_proposals_with_score_and_reason(links: dict[str, RecordLink], staff: Client) -> None:
    assert set(links) == {"co-1>AC1|ACME01", "co-2>AC1|BOLT01", "co-3>AC1|CEDAR1", "co-3>AC1|CEDAR2"}
    page = staff.get(SCREEN + "?status__exact=proposed").content.decode()
    for text in ("Same name and phone", "Same code and name", "Same name only", "Nearly the same name"):
        assert text in page
    assert "Confirm every selected proposal scoring at least" in page
    # The admin index links to it.
    assert f'href="{SCREEN}?status__exact=proposed"' in staff.get("/admin/").content.decode()


def test_confirm_tells_the_platform_reject_and_unlink_do_not_and_undo_puts_back(
    links: dict[str, RecordLink],
    staff: Client,
    platform_simulator: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    acme, cedar, near = links["co-1>AC1|ACME01"], links["co-3>AC1|CEDAR1"], links["co-3>AC1|CEDAR2"]
    page = act(staff, "confirm", [acme], django_capture_on_commit_callbacks)
    assert "1 link(s) confirmed" in page and status_of(acme) == LinkStatus.CONFIRMED
    item = platform_simulator.items("acme", "vendors")[-1]
    assert (item["key"], item["platform_id"], item["data"]["name"]) == ("AC1|ACME01", "co-1", "ACME SUPPLY")
    acme.refresh_from_db()
    assert acme.decided_by is not None and acme.decided_by.username == "sam" and acme.delivered_at is not None

    act(staff, "reject", [near], django_capture_on_commit_callbacks)
    assert status_of(near) == LinkStatus.REJECTED
    act(staff, "unlink", [acme], django_capture_on_commit_callbacks)
    assert status_of(acme) == LinkStatus.UNLINKED
    assert len(platform_simulator.items("acme", "vendors")) == 1  # neither was delivered

    page = act(staff, "undo", [acme, near], django_capture_on_commit_callbacks)
    assert (status_of(acme), status_of(near)) == (LinkStatus.CONFIRMED, LinkStatus.PROPOSED)
    history = staff.get(f"{SCREEN}{acme.pk}/change/").content.decode()
    assert "Unlinked" in history and "Undid: unlinked" in history

    # Relink after a second unlink; and a second confirmed link for one platform record is refused.
    act(staff, "unlink", [acme], django_capture_on_commit_callbacks)
    act(staff, "relink", [acme], django_capture_on_commit_callbacks)
    assert status_of(acme) == LinkStatus.CONFIRMED
    act(staff, "confirm", [cedar], django_capture_on_commit_callbacks)
    page = act(staff, "confirm", [near], django_capture_on_commit_callbacks)
    assert "already linked; unlink it first" in page and status_of(near) == LinkStatus.PROPOSED
    # Control: an action that does not fit the status is refused with the reason, nothing changed.
    page = act(staff, "relink", [cedar], django_capture_on_commit_callbacks)
    assert "it cannot be relinked" in page and status_of(cedar) == LinkStatus.CONFIRMED


def test_bulk_confirm_takes_only_proposals_at_or_above_the_score(
    links: dict[str, RecordLink],
    staff: Client,
    platform_simulator: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    everything = list(links.values())
    page = act(staff, "bulk_confirm", everything, django_capture_on_commit_callbacks, min_score="85")
    assert "2 link(s) scoring 85 or more confirmed" in page
    confirmed = set(RecordLink.objects.filter(status=LinkStatus.CONFIRMED).values_list("platform_id", flat=True))
    assert confirmed == {"co-1", "co-2"}  # the Cedar name-only and near-name proposals wait for a person
    delivered = {item["platform_id"] for item in platform_simulator.items("acme", "vendors")}
    assert delivered == {"co-1", "co-2"}  # one delivery for both


def test_an_accountant_sees_no_link_screen(links: dict[str, RecordLink], tenant: Tenant) -> None:
    sync_roles()
    client = Client()
    client.force_login(make_user("alice", ACCOUNTANT, (tenant,)))
    assert client.get(SCREEN).status_code == 403
    assert SCREEN not in client.get("/admin/").content.decode()


def test_a_refused_delivery_is_shown_and_told_again(
    links: dict[str, RecordLink],
    staff: Client,
    platform_simulator: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    acme = links["co-1>AC1|ACME01"]
    platform_simulator.fail(count=1, status=400)
    act(staff, "confirm", [acme], django_capture_on_commit_callbacks)
    acme.refresh_from_db()
    assert acme.status == LinkStatus.CONFIRMED and acme.delivered_at is None
    assert "The platform refused the delivery (HTTP 400)" in acme.delivery_error
    assert "not yet: The platform refused" in staff.get(SCREEN).content.decode()

    page = act(staff, "deliver_again", [acme], django_capture_on_commit_callbacks)
    assert "The platform accepted 1 link(s)." in page
    acme.refresh_from_db()
    assert acme.delivered_at is not None and acme.delivery_error == ""
    assert platform_simulator.items("acme", "vendors")[-1]["platform_id"] == "co-1"
