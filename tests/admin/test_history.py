"""Managers' history: filters, exact search, CSV export; few queries and no full-table COUNT / DISTINCT."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from spectrum_sync.plain_words import explain
from tests.admin.world import World, client_for

CHANGELIST = reverse("admin:spectrum_sync_syncrecord_changelist")


def listed(world: World, query: str, user: Any = None) -> str:
    return client_for(user or world.manager).get(CHANGELIST + query).content.decode()


def test_filter_by_status_direction_type(world: World) -> None:
    failed = listed(world, "?status=failed")
    assert "INV-1001" in failed and "INV-1000" not in failed
    imports = listed(world, "?direction=import")
    assert "CUST01" in imports and "INV-1001" not in imports
    invoices = listed(world, "?object_type=ar_invoice")
    assert "INV-1000" in invoices and "CUST01" not in invoices


def test_needs_attention_is_the_failed_and_held_queue(world: World) -> None:
    body = listed(world, "?status=attention", world.accountant)
    assert "INV-1001" in body and "INV-1000" not in body
    assert "GL mask" in body  # plain words right in the queue


def test_filter_by_date_range(world: World) -> None:
    today = timezone.localdate()
    recent = listed(world, f"?created_from={(today - dt.timedelta(days=7)).isoformat()}")
    assert "INV-1001" in recent and "INV-1000" in recent and "CUST01" not in recent
    old = listed(world, f"?created_to={(today - dt.timedelta(days=30)).isoformat()}")
    assert "CUST01" in old and "INV-1001" not in old


def test_exact_search_by_document_number_or_spectrum_key(world: World) -> None:
    assert "INV-1001" in listed(world, "?q=INV-1001")
    assert "INV-1000" not in listed(world, "?q=INV-1001")
    by_key = listed(world, "?q=AC1-INV-1000")
    assert "INV-1000" in by_key and "INV-1001" not in by_key
    assert "INV-100" not in listed(world, "?q=INV-10")  # exact, not "contains"


def test_csv_export_follows_the_filters(world: World) -> None:
    response = client_for(world.manager).get(reverse("admin:spectrum_sync_syncrecord_export") + "?status=failed")
    assert response["Content-Type"] == "text/csv"
    assert response.streaming  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]
    assert [r["document_number"] for r in rows] == ["INV-1001"]
    assert rows[0]["tenant"] == "acme" and rows[0]["error_column"] == "GL_Account"


def test_history_list_runs_few_queries_and_no_full_count_or_distinct(world: World) -> None:
    client = client_for(world.manager)
    client.get(CHANGELIST)  # the tenant dropdown's labels are cached for a few seconds after the first view
    for query in ("", "?status=failed", "?q=INV-1001", f"?tenant={world.acme.pk}&direction=export"):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CHANGELIST + query).status_code == 200
        sql = [q["sql"].upper() for q in captured.captured_queries]
        assert len(sql) <= 6, "\n".join(sql)
        assert not any("DISTINCT" in s for s in sql)
        # Every count is bounded by a LIMIT in its subquery.
        assert all("LIMIT" in s for s in sql if "COUNT(" in s), "\n".join(sql)


def test_explanations_cover_spectrum_common_messages() -> None:
    abort = explain(
        "A", "The Web Service is not authorized. Authorization ID is not setup in the system.", "Authorization_ID"
    )
    assert abort and abort.fix == "connection" and "Authorized Web Services" in abort.plain
    gl = explain("I", "GL Account does not match GL Mask", "GL_Account")
    assert gl and gl.fix == "gl_mapping"
    customer = explain("M", "Customer Code is required", "Customer_Code")
    assert customer and customer.fix == "spectrum_customer"
    duplicate = explain("I", "Invoice number already exists", "Invoice_Or_Transaction")
    assert duplicate and "bypass" in duplicate.plain
    incomplete = explain("CFG", "Mappings incomplete: GL account mapping: no default GL account for labor lines", "")
    assert incomplete and incomplete.fix == "gl_mapping"
    assert explain("", "", "") is None
    held = explain("", "", "", "Customer C100 is not in Spectrum yet")
    assert held and held.plain.startswith("Customer C100")


def test_facet_counts_cannot_be_switched_on(world: World) -> None:
    with CaptureQueriesContext(connection) as captured:
        body = client_for(world.manager).get(CHANGELIST + "?_facets=True").content.decode()
    assert "Show counts" not in body
    assert sum("COUNT(" in q["sql"].upper() for q in captured.captured_queries) <= 1
