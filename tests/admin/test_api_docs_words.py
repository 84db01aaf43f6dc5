"""The API docs name each document the way an accountant would say it."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator


def test_operation_summaries_use_proper_names_and_articles() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    summaries = {op["operationId"]: op["summary"] for path in schema["paths"].values() for op in path.values()}
    assert summaries["export_ar_invoice"] == "Export an AR invoice to Spectrum"
    assert summaries["export_po_receipt"] == "Export a PO receipt to Spectrum"
    assert summaries["export_job"] == "Export a job to Spectrum"
    assert summaries["export_change_order"] == "Export a change order to Spectrum"
    assert not [s for s in summaries.values() if " a ar " in s.lower() or " po " in s]
