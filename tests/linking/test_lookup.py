"""What the pipelines ask: one query per delivered chunk, none for types that are never linked."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linking.lookup import with_platform_ids
from linking.models import LinkStatus, RecordLink
from spectrum_sync.models import Tenant

pytestmark = [pytest.mark.django_db]


def test_a_chunk_of_items_costs_one_query_and_only_confirmed_links_count(tenant: Tenant) -> None:
    RecordLink.objects.create(
        tenant=tenant, object_type="vendor", platform_id="co-1", spectrum_key="AC1|V1", status=LinkStatus.CONFIRMED
    )
    RecordLink.objects.create(
        tenant=tenant, object_type="vendor", platform_id="co-2", spectrum_key="AC1|V2", status=LinkStatus.UNLINKED
    )
    items = [{"action": "upsert", "key": f"AC1|V{i}", "data": {}} for i in range(2000)]
    with CaptureQueriesContext(connection) as queries:
        out = with_platform_ids(tenant.pk, "vendor", items)
    assert len(queries) == 1
    assert [item.get("platform_id") for item in out[:3]] == [None, "co-1", None]  # V2 was unlinked
    with CaptureQueriesContext(connection) as queries:
        assert with_platform_ids(tenant.pk, "phase", items) == items
    assert len(queries) == 0
