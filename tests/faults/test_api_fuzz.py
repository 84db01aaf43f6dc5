"""The inbound API fuzzed from its own OpenAPI schema (schemathesis, in-process WSGI).

For every generated request: never a 5xx; every 4xx says what is wrong (a JSON object naming the
fields or the reason); nothing is stored when a request is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from spectrum_sync.models import SyncRecord

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def api_key(tenant: Any) -> Iterator[str]:
    # A WSGI request ends with close_old_connections(), which would close the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    key: str = tenant.generate_api_key()
    tenant.save()
    try:
        yield key
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _assert_explained(response: Any) -> None:
    if response.status_code == 404 and not response.headers.get("Content-Type", "").startswith("application/json"):
        # A path the URL patterns do not match at all (e.g. /sync-records/AAA/): Django's own 404.
        return
    body = response.json()
    assert isinstance(body, dict) and body, f"{response.status_code} without an explanation: {response.text[:300]}"
    if response.status_code == 400:
        # Field errors: {"field": ["message"], ...} or DRF's {"detail": ...} / {"non_field_errors": [...]}.
        assert all(isinstance(v, (list, dict, str)) for v in body.values()), body


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_never_5xx_and_refusals_store_nothing(case: Any, api_key: str) -> None:
    before = SyncRecord.objects.count()
    response = case.call(headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )
    if 400 <= response.status_code < 500:
        _assert_explained(response)
        assert SyncRecord.objects.count() == before, "a refused request stored a record"
