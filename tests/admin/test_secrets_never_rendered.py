"""No admin page shows a secret, to any role: every page a role can reach is crawled and searched.

The crawl follows every admin link of the pages it opens (lists, filters, change and view pages,
inlines, history, onboarding, the dashboard, the CSV export), starting from the home page, for
implementation staff, an accountant and a manager serving the tenant.
"""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from spectrum_sync.models import SpectrumConnection
from tests.admin.world import World, client_for

SECRETS = {
    "platform signing secret": "platform-signing-secret-acme",
    "Authorization ID": "ACMEAUTH42",
    "Enhanced Authentication client secret": "enhanced-client-secret-acme-7",
    "database password": "db-password-acme-3141",
}
MAX_PAGES = 400
HREF = re.compile(r'href="([^"#]+)"')
# Leaving the session or changing the user's own password is not part of what a role reads.
SKIPPED = ("/admin/logout/", "/admin/password_change/", "/admin/jsi18n/")


@pytest.fixture
def secret_world(world: World) -> World:
    connection = SpectrumConnection.objects.get(tenant=world.acme)
    connection.auth_mode = SpectrumConnection.AuthMode.ENHANCED
    connection.enhanced_client_id = "acme-client"
    connection.enhanced_client_secret = SECRETS["Enhanced Authentication client secret"]
    connection.enhanced_client_secret_changed_at = timezone.now()
    connection.db_enabled = True
    connection.db_host, connection.db_name, connection.db_user = "127.0.0.1", "acme", "infolink"
    connection.db_password = SECRETS["database password"]
    connection.save()
    # Something in the tenant's history page to read.
    staff = client_for(world.staff)
    staff.post(reverse("admin:spectrum_sync_tenant_onboarding", args=[world.acme.pk]), {"step": "schedule"})
    return world


def links(body: str) -> list[str]:
    found = []
    for href in HREF.findall(body):
        url = unescape(href)
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/admin/") or parts.path.startswith(SKIPPED):
            continue
        found.append(url)
    return found


def crawl(user: User) -> dict[str, str]:
    """Every admin page ``user`` can open by following links from the home page: url → body."""
    client = client_for(user)
    queue: deque[str] = deque(["/admin/"])
    seen: set[str] = {"/admin/"}
    pages: dict[str, str] = {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        if response.status_code != 200:
            continue
        body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
        pages[url] = body + "\n".join(f"{k}: {v}" for k, v in response.items())
        for link in links(body):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return pages


def leaks(pages: dict[str, str]) -> list[tuple[str, str]]:
    return [(url, name) for url, body in pages.items() for name, value in SECRETS.items() if value in body]


def opened(pages: dict[str, str], path: str) -> bool:
    return any(urlsplit(url).path == path for url in pages)


def test_implementation_staff_never_see_a_secret(secret_world: World) -> None:
    world = secret_world
    pages = crawl(world.staff)
    pk = world.acme.pk
    for path in (
        reverse("admin:spectrum_sync_tenant_change", args=[pk]),
        reverse("admin:spectrum_sync_tenant_onboarding", args=[pk]),
        reverse("admin:spectrum_sync_tenant_history", args=[pk]),
        reverse("admin:spectrum_sync_syncrecord_change", args=[world.acme_failed.pk]),
    ):
        assert opened(pages, path), f"the crawl never reached {path}"
    tenant_page = pages[reverse("admin:spectrum_sync_tenant_change", args=[pk])]
    assert 'name="connection-0-db_password"' in tenant_page  # the inline with every secret was read
    assert leaks(pages) == []


@pytest.mark.parametrize("role", ["accountant", "manager"])
def test_view_only_roles_see_set_or_not_set_and_never_a_secret(secret_world: World, role: str) -> None:
    world = secret_world
    pages = crawl(getattr(world, role))
    change = reverse("admin:spectrum_sync_tenant_change", args=[world.acme.pk])
    assert opened(pages, change)
    assert opened(pages, reverse("admin:spectrum_sync_tenant_onboarding", args=[world.acme.pk]))
    assert opened(pages, reverse("admin:spectrum_sync_tenant_history", args=[world.acme.pk]))
    if role == "manager":
        assert opened(pages, reverse("admin:spectrum_sync_dashboard"))
    assert leaks(pages) == []
    view_page = pages[change]
    assert "Platform signing secret" in view_page and "Set" in view_page  # said to be set, not shown


def test_a_superuser_sees_no_secret_of_any_tenant(secret_world: World) -> None:
    client = client_for(secret_world.superuser)
    for tenant in (secret_world.acme, secret_world.bolt):
        body = client.get(reverse("admin:spectrum_sync_tenant_change", args=[tenant.pk])).content.decode()
        assert 'name="connection-0-authorization_id"' in body
        assert "BOLTAUTH77" not in body and leaks({"page": body}) == []


def test_the_view_only_page_says_when_a_secret_last_changed(secret_world: World, settings: Any) -> None:
    tenant = secret_world.acme
    tenant.platform_signing_secret_changed_at = timezone.now().replace(year=2026, month=11, day=2, hour=9, minute=30)
    tenant.save()
    body = client_for(secret_world.accountant).get(reverse("admin:spectrum_sync_tenant_change", args=[tenant.pk]))
    text = body.content.decode()
    assert "Set; changed 2026-11-02 09:30 UTC" in text
    assert SECRETS["platform signing secret"] not in text


def test_a_secret_named_as_a_list_column_shows_only_whether_it_is_set(
    secret_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.contrib import admin as django_admin

    from spectrum_sync.models import Tenant

    tenant_admin = django_admin.site._registry[Tenant]
    monkeypatch.setattr(tenant_admin, "list_display", (*tenant_admin.list_display, "platform_signing_secret"))
    body = client_for(secret_world.accountant).get(reverse("admin:spectrum_sync_tenant_changelist")).content.decode()
    assert "column-platform_signing_secret_state" in body
    assert leaks({"list": body}) == []
