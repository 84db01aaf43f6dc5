from __future__ import annotations

from typing import Any

import pytest

from spectrum_sync.models import Tenant
from tests.admin.world import World, build_world


@pytest.fixture
def world(db: Any, tenant: Tenant) -> World:
    return build_world(tenant)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Five users per test: the production hasher's deliberate slowness is not what is tested here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
