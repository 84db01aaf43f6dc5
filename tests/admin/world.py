"""Users in each role, two tenants, and a ledger with a bit of everything (shared with the browser tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.utils import timezone

from spectrum_sync.adminsite.roles import ACCOUNTANT, IMPLEMENTATION_STAFF, MANAGER, sync_roles
from spectrum_sync.models import (
    Direction,
    MirrorRecord,
    ObjectType,
    PollSchedule,
    SpectrumConnection,
    SyncAttempt,
    SyncRecord,
    SyncRun,
    SyncStatus,
    Tenant,
)

PASSWORD = "correct-horse-battery-staple-42"


def make_user(username: str, role: str | None, tenants: tuple[Tenant, ...] = (), **extra: Any) -> User:
    user = User.objects.create_user(username, f"{username}@example.test", PASSWORD, is_staff=True, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    for tenant in tenants:
        tenant.staff.add(user)
    return user


def make_record(tenant: Tenant, number: str, status: str = SyncStatus.SUCCEEDED, **fields: Any) -> SyncRecord:
    fields.setdefault("direction", Direction.EXPORT)
    fields.setdefault("object_type", ObjectType.AR_INVOICE)
    return SyncRecord.objects.create(
        tenant=tenant,
        document_number=number,
        platform_id=f"plat-{number}",
        status=status,
        idempotency_key=f"{tenant.pk}:{number}:{fields['object_type']}",
        company_code="AC1",
        **fields,
    )


@dataclass
class World:
    acme: Tenant
    bolt: Tenant
    acme_failed: SyncRecord
    acme_ok: SyncRecord
    acme_import: SyncRecord
    bolt_failed: SyncRecord
    staff: User  # implementation staff serving Acme only
    accountant: User  # serves Acme only
    manager: User  # serves Acme only
    all_manager: User  # manager who sees every tenant
    superuser: User


def build_world(tenant: Tenant) -> World:
    sync_roles()  # a transactional (browser) test earlier in the run flushes the migration's groups
    acme = tenant
    bolt = Tenant.objects.create(name="Bolt Electric", slug="bolt")
    SpectrumConnection.objects.create(
        tenant=bolt, base_url="http://127.0.0.1:8482", authorization_id="BOLTAUTH77", company_codes="BE1"
    )
    now = timezone.now()
    acme_failed = make_record(
        acme,
        "INV-1001",
        SyncStatus.FAILED,
        error_code="I",
        error_message="GL Account does not match GL Mask",
        error_column="GL_Account",
        spectrum_key="",
        created_at=now - dt.timedelta(hours=2),
    )
    SyncAttempt.objects.create(
        record=acme_failed,
        number=1,
        outcome=SyncAttempt.Outcome.REJECTED,
        service="AddARInvoice",
        http_status=200,
        request="<AddARInvoice><Authorization_ID>ACMEAUTH42</Authorization_ID><GL_Account>40-100</GL_Account>",
        response="<response><error_code>I</error_code><desc>GL Account does not match GL Mask</desc></response>",
        error_code="I",
        error_message="GL Account does not match GL Mask",
        error_column="GL_Account",
    )
    acme_ok = make_record(
        acme, "INV-1000", SyncStatus.SUCCEEDED, spectrum_key="AC1-INV-1000", created_at=now - dt.timedelta(days=3)
    )
    acme_import = make_record(
        acme,
        "",
        SyncStatus.SUCCEEDED,
        direction=Direction.IMPORT,
        object_type=ObjectType.CUSTOMER,
        spectrum_key="CUST01",
        created_at=now - dt.timedelta(days=40),
    )
    bolt_failed = make_record(
        bolt,
        "BOLT-9",
        SyncStatus.FAILED,
        error_code="M",
        error_message="Customer Code is required",
        error_column="Customer_Code",
    )
    SyncRun.objects.create(tenant=acme, object_type=ObjectType.CUSTOMER, status=SyncRun.Status.SUCCEEDED, read_count=7)
    SyncRun.objects.create(tenant=bolt, object_type=ObjectType.VENDOR, status=SyncRun.Status.FAILED, read_count=3)
    MirrorRecord.objects.create(tenant=acme, object_type=ObjectType.CUSTOMER, key="ACMECUST", row_hash="a" * 32)
    MirrorRecord.objects.create(tenant=bolt, object_type=ObjectType.CUSTOMER, key="BOLTCUST", row_hash="b" * 32)
    PollSchedule.objects.create(tenant=acme, object_type=ObjectType.CUSTOMER)
    PollSchedule.objects.create(tenant=bolt, object_type=ObjectType.VENDOR)
    all_manager = make_user("boss", MANAGER)
    all_manager.user_permissions.add(Permission.objects.get(codename="access_all_tenants"))
    return World(
        acme=acme,
        bolt=bolt,
        acme_failed=acme_failed,
        acme_ok=acme_ok,
        acme_import=acme_import,
        bolt_failed=bolt_failed,
        staff=make_user("ivy", IMPLEMENTATION_STAFF, (acme,)),
        accountant=make_user("alice", ACCOUNTANT, (acme,)),
        manager=make_user("max", MANAGER, (acme,)),
        all_manager=all_manager,
        superuser=User.objects.create_superuser("root", "root@example.test", PASSWORD),
    )


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
