"""The simulator's one HTML page: plain server-rendered tables, inline CSS, no outside assets.

Everything shown is escaped: record data comes from deliveries and is not trusted.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from connectors.platform import samples

if TYPE_CHECKING:
    from connectors.platform.simulator.app import PlatformSimulatorApp

RECORDS_SHOWN = 25
DELIVERIES_SHOWN = 10
DATA_PREVIEW = 160

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2733;background:#f7f8fa}
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:1.6rem 0 .4rem;border-bottom:2px solid #d5dbe3}
h3{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;background:#fff;margin:.3rem 0 .8rem;min-width:40rem}
th,td{border:1px solid #d5dbe3;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f5}
caption{text-align:left;font-weight:600;padding:.2rem 0;color:#39495c}td.n{text-align:right}
code{font-size:12px;color:#39495c}
.muted{color:#6b7785}.ok{color:#17692e}.bad{color:#a4161a}
form{background:#fff;border:1px solid #d5dbe3;padding:.6rem;display:inline-block}
"""


def render(app: PlatformSimulatorApp, only_tenant: str = "") -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Platform simulator</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Operations platform simulator</h1>",
        "<p class='muted'>What Spectrum Sync delivered to the platform, per tenant and resource, newest first. "
        f"Tenants: {escape(', '.join(app.tenants.slugs()) or 'none configured')}. "
        f"Injected failures pending: {app.faults.pending()}. <a href='/'>Refresh</a> · "
        "<a href='/openapi.json'>Delivery contract (OpenAPI)</a></p>",
        _post_form(app),
        _documents(app),
    ]
    summary = app.store.summary()
    if not summary:
        parts.append("<h2>Deliveries</h2><p class='muted'>Nothing delivered yet.</p>")
    tenants = sorted({row["tenant"] for row in summary if not only_tenant or row["tenant"] == only_tenant})
    for tenant in tenants:
        rows = [row for row in summary if row["tenant"] == tenant]
        parts.append(_tenant(app, tenant, rows))
    parts.append("</body></html>")
    return "".join(parts)


def _post_form(app: PlatformSimulatorApp) -> str:
    options = "".join(f"<option value='{escape(s.name)}'>{escape(s.label)}</option>" for s in samples.SAMPLES.values())
    key = app.inbound.key()
    key_note = f"configured ({escape(key[:8])}…)" if key else "not configured: give one"
    return (
        "<h2>Post a document to Spectrum Sync</h2>"
        "<form method='post' action='/_sim/post-document'>"
        f"<label>Sample <select name='sample'>{options}</select></label> "
        f"<label>Spectrum Sync URL <input name='sync_url' size='28' value='{escape(app.inbound.sync_url)}'></label> "
        f"<label>API key <input name='api_key' type='password' size='20' placeholder='{key_note}'></label> "
        "<button type='submit'>Post</button></form>"
    )


def _documents(app: PlatformSimulatorApp) -> str:
    docs = app.store.documents(limit=20)
    if not docs:
        return "<h3 id='documents'>Documents posted</h3><p class='muted'>None yet.</p>"
    rows = "".join(
        f"<tr><td>{escape(d['at'])}</td><td>{escape(d['document_type'])}</td>"
        f"<td>{escape(str(d['document'].get('document_id', '')))}</td>"
        f"<td class='{'ok' if 200 <= d['status'] < 300 else 'bad'}'>{d['status'] or 'no answer'}</td>"
        f"<td><code>{escape(_preview(d['answer']))}</code></td></tr>"
        for d in docs
    )
    return (
        "<h3 id='documents'>Documents posted</h3><table><tr><th>At</th><th>Type</th><th>Platform id</th>"
        f"<th>HTTP</th><th>Answer</th></tr>{rows}</table>"
    )


def _tenant(app: PlatformSimulatorApp, tenant: str, rows: list[dict[str, Any]]) -> str:
    overview = "".join(
        f"<tr><td><a href='#{escape(tenant)}-{escape(r['resource'])}'>{escape(r['resource'])}</a></td>"
        f"<td class='n'>{r['records']}</td><td class='n'>{r['deliveries']}</td><td class='n'>{r['items'] or 0}</td>"
        f"<td>{escape(r['last_at'] or '')}</td></tr>"
        for r in rows
    )
    parts = [
        f"<h2>Tenant <a href='/?tenant={escape(tenant)}'>{escape(tenant)}</a></h2>",
        "<table><tr><th>Resource</th><th>Current records</th><th>Deliveries</th><th>Items received</th>"
        f"<th>Last delivery</th></tr>{overview}</table>",
    ]
    for row in rows:
        parts.append(_resource(app, tenant, row["resource"], row["records"]))
    return "".join(parts)


def _resource(app: PlatformSimulatorApp, tenant: str, resource: str, count: int) -> str:
    anchor = f"{escape(tenant)}-{escape(resource)}"
    records = app.store.records(tenant, resource, RECORDS_SHOWN)
    if resource == "export-results":
        table = _export_results(records)
    else:
        body = "".join(
            f"<tr><td>{escape(r['key'])}</td><td class='n'>{r['version']}</td><td>{escape(r['updated_at'])}</td>"
            f"<td><code>{escape(_preview(json.dumps(r['data'], sort_keys=True)))}</code></td></tr>"
            for r in records
        )
        table = (
            "<table><caption>Current records, most recently changed first</caption>"
            "<tr><th>Key</th><th>Version</th><th>Changed</th><th>Data</th></tr>"
            f"{body or '<tr><td colspan=4 class=muted>none</td></tr>'}</table>"
        )
    deliveries = app.store.deliveries(tenant, resource, DELIVERIES_SHOWN, with_items=False)
    history = "".join(
        f"<tr><td>{escape(d['received_at'])}</td><td><code>{escape(d['delivery_id'])}</code></td>"
        f"<td class='n'>{d['item_count']}</td><td class='n'>{d['created']}</td><td class='n'>{d['updated']}</td>"
        f"<td class='n'>{d['deleted']}</td><td class='n'>{d['unchanged']}</td></tr>"
        for d in deliveries
    )
    shown = f" (latest {RECORDS_SHOWN} of {count})" if count > RECORDS_SHOWN else f" ({count})"
    return (
        f"<h3 id='{anchor}'>{escape(tenant)} / {escape(resource)}{shown}</h3>{table}"
        f"<table><caption>Deliveries, newest first (latest {DELIVERIES_SHOWN})</caption>"
        "<tr><th>Received</th><th>Delivery id</th><th>Items</th><th>Created</th><th>Updated</th>"
        f"<th>Deleted</th><th>Unchanged</th></tr>{history}</table>"
    )


def _export_results(records: list[dict[str, Any]]) -> str:
    body = "".join(
        "<tr>"
        f"<td>{escape(str(r['data'].get('sync_record_id', r['key'])))}</td>"
        f"<td>{escape(str(r['data'].get('document_type', '')))} {escape(str(r['data'].get('platform_id', '')))}</td>"
        f"<td class='{'ok' if r['data'].get('status') == 'succeeded' else 'bad'}'>"
        f"{escape(str(r['data'].get('status', '')))}</td>"
        f"<td>{escape(str(r['data'].get('document_number', '')))}</td>"
        f"<td>{escape(_error(r['data']))}</td><td class='decision'>{escape(_decision(r['data']))}</td>"
        f"<td>{escape(r['updated_at'])}</td></tr>"
        for r in records
    )
    return (
        "<table><caption>Export results, latest outcome per sync record</caption>"
        "<tr><th>Sync record</th><th>Document</th><th>Status</th><th>Spectrum number</th>"
        "<th>Error</th><th>Approval</th>"
        f"<th>Changed</th></tr>{body or '<tr><td colspan=7 class=muted>none</td></tr>'}</table>"
    )


def _decision(data: dict[str, Any]) -> str:
    """ "rejected by ana: wrong customer" — who decided on an export that needed approval, and why."""
    who, comment = str(data.get("decided_by") or ""), str(data.get("decision_comment") or "")
    if data.get("status") == "awaiting_approval":
        return "waiting for an accountant"
    if not (who or comment):
        return ""
    verb = "rejected" if data.get("status") == "rejected" else "approved"
    return f"{verb} by {who or 'an accountant'}" + (f": {comment}" if comment else "")


def _error(data: dict[str, Any]) -> str:
    code, message, column = (str(data.get(k) or "") for k in ("error_code", "error_message", "error_column"))
    if not (code or message):
        return str(data.get("held_reason") or "")
    return f"{code}: {message}" + (f" [{column}]" if column else "")


def _preview(text: str) -> str:
    return text if len(text) <= DATA_PREVIEW else text[:DATA_PREVIEW] + "…"
