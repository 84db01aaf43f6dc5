"""Single-statement writes for the Put services, safe inside ``store.transaction()``.

``Store.insert`` / ``Store.upsert`` open their own transaction, and SQLite cannot nest one, so the
Put services write through these helpers (plain ``Store.execute``) and group a document's
statements with one ``store.transaction()`` of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.spectrum.simulator.store import Store, pad


def insert(store: Store, table: str, row: Mapping[str, Any]) -> None:
    spec = store.table(table)
    names = [n for n in spec.column_names if n in row]
    unknown = set(row) - set(spec.column_names)
    if unknown:
        raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
    sql = f"INSERT INTO {spec.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"  # noqa: S608
    store.execute(sql, [pad(n, row[n]) for n in names])


def update(store: Store, table: str, key: Mapping[str, Any], changes: Mapping[str, Any]) -> int:
    spec = store.table(table)
    for name in changes:
        spec.column(name)
    if not changes:
        return 0
    sets = ", ".join(f"{n} = ?" for n in changes)
    where = " AND ".join(f"{k} = ?" for k in spec.key)
    params = [pad(n, value) for n, value in changes.items()] + [pad(k, key[k]) for k in spec.key]
    return store.execute(f"UPDATE {spec.name} SET {sets} WHERE {where}", params)  # noqa: S608


def upsert(store: Store, table: str, row: Mapping[str, Any]) -> bool:
    """Insert, or update the given non-key columns when the key exists; True when inserted."""
    spec = store.table(table)
    key = {k: row[k] for k in spec.key}
    if store.get(table, key) is None:
        insert(store, table, row)
        return True
    update(store, table, key, {k: val for k, val in row.items() if k not in spec.key})
    return False
