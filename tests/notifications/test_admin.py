"""Implementation staff edit notification rules in the admin, only for the tenants they serve."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from spectrum_sync.models import Tenant
from spectrum_sync.notifications.models import NotificationRule

pytestmark = pytest.mark.django_db


def test_superuser_adds_a_rule_with_events_object_types_and_recipients(tenant: Any, client: Client) -> None:
    client.force_login(User.objects.create_superuser("impl", "impl@example.test", "pw-impl-123456"))
    form = client.get("/admin/notifications/notificationrule/add/")
    assert form.status_code == 200
    assert b"Daily digest" in form.content and b"Poll failed" in form.content
    response = client.post(
        "/admin/notifications/notificationrule/add/",
        {
            "tenant": tenant.pk,
            "name": "Compliance: jobs to review",
            "active": "on",
            "object_types": ["job"],
            "events": ["held", "failed"],
            "recipients": "compliance@acme.test\nqa@acme.test",
            "delivery": "immediate",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    rule = NotificationRule.objects.get()
    assert rule.object_types == ["job"] and rule.events == ["held", "failed"]
    assert rule.recipient_list == ["compliance@acme.test", "qa@acme.test"]


def test_bad_recipient_is_refused(tenant: Any, client: Client) -> None:
    client.force_login(User.objects.create_superuser("impl", "impl@example.test", "pw-impl-123456"))
    response = client.post(
        "/admin/notifications/notificationrule/add/",
        {"tenant": tenant.pk, "name": "x", "events": ["failed"], "recipients": "not-an-address", "delivery": "digest"},
    )
    assert response.status_code == 200
    assert b"is not a valid email address" in response.content
    assert NotificationRule.objects.count() == 0


def test_staff_sees_only_rules_of_tenants_they_serve(tenant: Any, client: Client) -> None:
    other = Tenant.objects.create(name="Other Co", slug="other")
    NotificationRule.objects.create(tenant=tenant, name="Acme rule", events=["failed"], recipients="a@acme.test")
    NotificationRule.objects.create(tenant=other, name="Other rule", events=["failed"], recipients="b@other.test")
    staff = User.objects.create_user("staff", "s@example.test", "pw-staff-123456", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="notificationrule"))
    tenant.staff.add(staff)
    client.force_login(staff)
    listing = client.get("/admin/notifications/notificationrule/")
    assert listing.status_code == 200
    assert b"Acme rule" in listing.content and b"Other rule" not in listing.content
    other_rule = NotificationRule.objects.get(name="Other rule")
    assert client.get(f"/admin/notifications/notificationrule/{other_rule.pk}/change/").status_code == 302
