"""What the platform simulator remembers: deliveries, the records they built, requests, posted documents.

One SQLite database (a file, or memory by default) behind a lock: the simulator's HTTP server is
threaded, and SQLite connections are not safe to share without one. Keeping it in SQLite rather
than dicts lets ``--store var/platform.sqlite3`` survive a restart of ``make run``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    resource TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    item_count INTEGER NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    items TEXT NOT NULL,
    UNIQUE (tenant, delivery_id)
);
CREATE INDEX IF NOT EXISTS deliveries_tenant_resource ON deliveries (tenant, resource, id);
CREATE TABLE IF NOT EXISTS records (
    tenant TEXT NOT NULL,
    resource TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_delivery_id TEXT NOT NULL,
    platform_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, resource, key)
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    tenant TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    status INTEGER NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tenants (
    slug TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    registered_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    document_type TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    document TEXT NOT NULL,
    answer TEXT NOT NULL
);
"""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Applied:
    """What one stored delivery changed."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    duplicate: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "duplicate": self.duplicate,
        }


class SimulatorStore:
    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(records)")}
        if "platform_id" not in columns:  # a store file written before records had the platform's own id
            self._db.execute("ALTER TABLE records ADD COLUMN platform_id TEXT NOT NULL DEFAULT ''")
        self._db.execute("CREATE INDEX IF NOT EXISTS records_platform_id ON records (tenant, resource, platform_id)")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- deliveries ------------------------------------------------------------------------------

    def apply_delivery(self, tenant: str, resource: str, delivery_id: str, items: Sequence[dict[str, Any]]) -> Applied:
        """Store a delivery and apply its items, once per (tenant, delivery id), in one transaction."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                seen = db.execute(
                    "SELECT 1 FROM deliveries WHERE tenant = ? AND delivery_id = ?", (tenant, delivery_id)
                ).fetchone()
                if seen:
                    db.execute("ROLLBACK")
                    return Applied(duplicate=True)
                applied = self._apply_items(tenant, resource, delivery_id, items)
                db.execute(
                    "INSERT INTO deliveries (tenant, resource, delivery_id, received_at, item_count, created, updated,"
                    " deleted, unchanged, items) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        tenant,
                        resource,
                        delivery_id,
                        now_iso(),
                        len(items),
                        applied.created,
                        applied.updated,
                        applied.deleted,
                        applied.unchanged,
                        json.dumps(list(items), separators=(",", ":")),
                    ),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return applied

    def _apply_items(self, tenant: str, resource: str, delivery_id: str, items: Sequence[dict[str, Any]]) -> Applied:
        counts = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
        at = now_iso()
        for item in items:
            counts[self._apply_item(tenant, resource, delivery_id, item, at)] += 1
        return Applied(counts["created"], counts["updated"], counts["deleted"], counts["unchanged"])

    def _find(self, tenant: str, resource: str, item: dict[str, Any]) -> sqlite3.Row | None:
        """The record an item is about: the platform's own record when the item names its
        ``platform_id`` (a linked record), else the record delivered under the item's key."""
        platform_id = item.get("platform_id") or ""
        if platform_id:
            row = self._db.execute(
                "SELECT key, data FROM records WHERE tenant = ? AND resource = ? AND platform_id = ?",
                (tenant, resource, platform_id),
            ).fetchone()
            if row is not None:
                return row
        return self._db.execute(
            "SELECT key, data FROM records WHERE tenant = ? AND resource = ? AND key = ?",
            (tenant, resource, item["key"]),
        ).fetchone()

    def _apply_item(self, tenant: str, resource: str, delivery_id: str, item: dict[str, Any], at: str) -> str:
        current = self._find(tenant, resource, item)
        where = (tenant, resource, current["key"]) if current is not None else ()
        if item["action"] == "delete":
            if current is None:
                return "unchanged"
            self._db.execute("DELETE FROM records WHERE tenant = ? AND resource = ? AND key = ?", where)
            return "deleted"
        record = dict(item.get("data") or {})
        platform_id = item.get("platform_id") or ""
        if platform_id:  # the platform's record keeps its own id and gains the Spectrum key
            record.update(platform_id=platform_id, spectrum_key=item["key"])
        data = json.dumps(record, sort_keys=True, separators=(",", ":"))
        if current is None:
            self._db.execute(
                "INSERT INTO records (tenant, resource, key, data, version, created_at, updated_at,"
                " last_delivery_id, platform_id) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
                (tenant, resource, item["key"], data, at, at, delivery_id, platform_id),
            )
            return "created"
        if current["data"] == data:
            return "unchanged"
        self._db.execute(
            "UPDATE records SET data = ?, version = version + 1, updated_at = ?, last_delivery_id = ?"
            " WHERE tenant = ? AND resource = ? AND key = ?",
            (data, at, delivery_id, *where),
        )
        return "updated"

    def add_own_records(self, tenant: str, resource: str, records: Sequence[dict[str, Any]]) -> int:
        """Records the platform made itself (before any delivery): keyed and identified by their
        ``platform_id``, with no Spectrum key until a linked item names that id."""
        at = now_iso()
        with self._lock:
            for record in records:
                platform_id = str(record["platform_id"])
                data = json.dumps(dict(record), sort_keys=True, separators=(",", ":"))
                self._db.execute(
                    "INSERT INTO records (tenant, resource, key, data, version, created_at, updated_at,"
                    " last_delivery_id, platform_id) VALUES (?, ?, ?, ?, 1, ?, ?, '', ?)"
                    " ON CONFLICT (tenant, resource, key) DO UPDATE SET data = excluded.data",
                    (tenant, resource, platform_id, data, at, at, platform_id),
                )
        return len(records)

    def deliveries(
        self, tenant: str = "", resource: str = "", limit: int = 1000, with_items: bool = True
    ) -> list[dict[str, Any]]:
        """Deliveries newest first, optionally for one tenant and/or resource."""
        sql, params = _filtered(
            "SELECT * FROM deliveries", {"tenant": tenant, "resource": resource}, "ORDER BY id DESC LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, (*params, limit)).fetchall()
        out = []
        for row in rows:
            entry = {k: row[k] for k in row.keys() if k != "items"}  # noqa: SIM118 (sqlite3.Row has no __iter__ of keys)
            if with_items:
                entry["items"] = json.loads(row["items"])
            out.append(entry)
        return out

    def state(self, tenant: str, resource: str) -> dict[str, dict[str, Any]]:
        """The platform's current copy of one resource: key → data."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key, data FROM records WHERE tenant = ? AND resource = ? ORDER BY key", (tenant, resource)
            ).fetchall()
        return {row["key"]: json.loads(row["data"]) for row in rows}

    def records(self, tenant: str, resource: str, limit: int = 50) -> list[dict[str, Any]]:
        """Records of one resource, most recently changed first (for the page)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key, data, version, updated_at FROM records WHERE tenant = ? AND resource = ?"
                " ORDER BY updated_at DESC, key LIMIT ?",
                (tenant, resource, limit),
            ).fetchall()
        return [
            {"key": r["key"], "data": json.loads(r["data"]), "version": r["version"], "updated_at": r["updated_at"]}
            for r in rows
        ]

    def summary(self) -> list[dict[str, Any]]:
        """Per (tenant, resource): current records, deliveries and items received, last delivery time."""
        with self._lock:
            rows = self._db.execute(
                "SELECT d.tenant, d.resource, COUNT(*) AS deliveries, SUM(d.item_count) AS items,"
                " MAX(d.received_at) AS last_at,"
                " (SELECT COUNT(*) FROM records r WHERE r.tenant = d.tenant AND r.resource = d.resource) AS records"
                " FROM deliveries d GROUP BY d.tenant, d.resource ORDER BY d.tenant, last_at DESC"
            ).fetchall()
        return [dict(row) for row in rows]

    # --- requests and documents ------------------------------------------------------------------

    def log_request(self, method: str, path: str, tenant: str, delivery_id: str, status: int, note: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO requests (at, method, path, tenant, delivery_id, status, note)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (now_iso(), method, path, tenant, delivery_id, status, note),
            )

    def requests(self, tenant: str = "", limit: int = 1000) -> list[dict[str, Any]]:
        sql, params = _filtered("SELECT * FROM requests", {"tenant": tenant}, "ORDER BY id DESC LIMIT ?")
        with self._lock:
            return [dict(row) for row in self._db.execute(sql, (*params, limit)).fetchall()]

    def log_document(self, document_type: str, url: str, status: int, document: dict[str, Any], answer: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO documents (at, document_type, url, status, document, answer) VALUES (?, ?, ?, ?, ?, ?)",
                (now_iso(), document_type, url, status, json.dumps(document), answer),
            )

    def documents(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM documents ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [{**dict(row), "document": json.loads(row["document"])} for row in rows]

    # --- tenants registered over HTTP (kept across restarts; reset leaves them) -------------------

    def register_tenant(self, slug: str, secret: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO tenants (slug, secret, registered_at) VALUES (?, ?, ?)"
                " ON CONFLICT (slug) DO UPDATE SET secret = excluded.secret, registered_at = excluded.registered_at",
                (slug, secret, now_iso()),
            )

    def registered_tenants(self) -> dict[str, str]:
        with self._lock:
            return {row["slug"]: row["secret"] for row in self._db.execute("SELECT slug, secret FROM tenants")}

    def reset(self) -> None:
        with self._lock:
            for table in ("deliveries", "records", "requests", "documents"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)


def _filtered(select: str, filters: dict[str, str], tail: str) -> tuple[str, list[str]]:
    clauses = [f"{column} = ?" for column, value in filters.items() if value]
    params = [value for value in filters.values() if value]
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return f"{select}{where} {tail}", params
