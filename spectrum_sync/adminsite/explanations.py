"""One failed or held record in the admin: who found the problem, in plain words, and each mapping
row to add (the words themselves are in spectrum_sync/plain_words.py); a dry run's context.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from mappings.rules import MappingNeed
from spectrum_sync.exports import periods, preflight
from spectrum_sync.models import Direction, SyncRecord, SyncStatus
from spectrum_sync.plain_words import (
    explain,
)

# --- one record's page: who found the problem, in plain words, and each row to add ------------------


def was_sent(record: SyncRecord) -> bool:
    """Did any call of this record reach Spectrum (an attempt with an answer or an unknown outcome)?"""
    return record.attempts.exists()


def mapping_fix_url(tenant_id: int, need: MappingNeed) -> str:
    """The add form of the GL account mapping, filled in with what the document needs."""
    query = {"tenant": tenant_id, "company_code": need.company, "department": need.department}
    query["line_kind"] = need.line_kind
    return reverse("admin:mappings_glaccountmapping_add") + "?" + urlencode(query)


def explain_record(record: SyncRecord) -> SafeString:
    """The record's problem in plain words, with a "Fix it in" link per mapping row it still needs."""
    found = explain(record.error_code, record.error_message, record.error_column, record.held_reason)
    needs = mapping_needs_of(record)
    if not found and not needs:
        return mark_safe("—")
    parts = [format_html('<p class="plain-explanation">{}</p>', found.plain if found else "")]
    if needs:
        parts.append(
            format_html("<p>This document needs {} mapping row(s); add each, and it goes on by itself:</p>", len(needs))
        )
        items = (
            format_html(
                '<li class="mapping-need">{} — Fix it in: <a class="fix-link" href="{}">GL account mapping</a></li>',
                need.describe().split(": ", 1)[-1],
                mapping_fix_url(record.tenant_id, need),
            )
            for need in needs
        )
        parts.append(
            format_html('<ul class="mapping-needs">{}</ul>', format_html_join("", "{}", ((i,) for i in items)))
        )
    elif found and found.fix_url:
        parts.append(
            format_html('<p>Fix it in: <a class="fix-link" href="{}">{}</a></p>', found.fix_url, found.fix_label)
        )
    elif found and found.fix_label:
        parts.append(format_html("<p>Fix it in: {}.</p>", found.fix_label))
    return format_html_join("", "{}", ((p,) for p in parts))


def mapping_needs_of(record: SyncRecord) -> list[MappingNeed]:
    """The mapping rows a failed or held export still needs (read now, so fixed rows drop off)."""
    if record.direction != Direction.EXPORT or record.status not in (SyncStatus.FAILED, SyncStatus.HELD):
        return []
    return preflight.mapping_needs(record.tenant, record.object_type, record.payload)


VERDICTS = {
    "send": "It would be sent to Spectrum now.",
    "hold": "It would be held: it waits for a mapping row or for a record Spectrum does not have yet.",
    "fail": "It would fail before reaching Spectrum: the problems below must be corrected first.",
}


def dry_run_context(record: SyncRecord) -> dict[str, Any]:
    """The dry-run page of a record: verdict, calls that would be sent, missing mappings, problems."""
    # As it would be sent: with the GL date an accountant moved it to, if one did.
    result = preflight.dry_run(record.tenant, record.object_type, periods.document_of(record))
    problems = [{**p, "plain": explain(p["code"], p["message"], p["column"])} for p in result.problems]
    return {
        "verdict": result.verdict,
        "verdict_text": VERDICTS[result.verdict],
        "calls_json": json.dumps(result.calls, indent=2, sort_keys=True),
        "needs": [
            (need.describe().split(": ", 1)[-1], mapping_fix_url(record.tenant_id, need))
            for need in result.mapping_needs
        ],
        "problems": problems,
        "date_ranges": result.date_ranges,
        "totals": result.totals,
    }
