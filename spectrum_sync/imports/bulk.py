"""Bulk writes of a poll's results: mirror rows and import sync records.

On PostgreSQL rows go in with ``COPY`` (reliability-performance.md 3.2: per-row INSERT overhead
dominates at 100k rows); the mirror upsert is ``COPY`` into a temporary table plus one
``INSERT … ON CONFLICT DO UPDATE``. On SQLite (``make run`` only) the ORM's bulk operations do the
same job more slowly. Callers run these inside their own transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

from connectors.spectrum.records import SpectrumRecord
from spectrum_sync.models import MirrorRecord

MIRROR_TABLE = MirrorRecord._meta.db_table


@dataclass(frozen=True)
class MirrorRow:
    key: str
    company_code: str
    row_hash: str  # hex
    data: dict[str, Any]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _raw_cursor() -> Any:
    """The psycopg cursor under Django's wrapper (needed for COPY)."""
    connection.ensure_connection()
    return connection.connection.cursor()


def relax_commit() -> None:
    """Inside a transaction: let its commit return before the WAL reaches the disk (PostgreSQL)."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


_FIELD_NAMES: dict[type[SpectrumRecord], tuple[str, ...]] = {}


def _field_names(record_type: type[SpectrumRecord]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(record_type)
    if names is None:
        names = _FIELD_NAMES[record_type] = tuple(f.name for f in dataclasses.fields(record_type))
    return names


def record_data(record: SpectrumRecord) -> dict[str, Any]:
    """``record.as_dict()`` without looking the dataclass fields up for every record."""
    out: dict[str, Any] = {}
    for name in _field_names(type(record)):
        value = getattr(record, name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal | date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return DjangoJSONEncoder().default(value)


def json_text(value: Any) -> str:
    """JSON for a jsonb column; orjson because a 100k-record poll serialises 200k documents."""
    return orjson.dumps(value, default=_json_default).decode()


def _json_text(value: Any) -> str | None:
    return None if value is None else json_text(value)


def insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert new rows given as ``{attname: value}`` (no ids needed back); missing fields get their
    model default, so columns added to the model later still get a value.

    Values are plain Python (str, int, datetime, dict for JSON): psycopg adapts them directly, which
    avoids building a model instance per row (the dominant cost at 100k rows).
    """
    if not rows:
        return
    if not is_postgres():
        model._default_manager.bulk_create([model(**row) for row in rows], batch_size=500)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    given = rows[0].keys()
    defaults = {
        f.attname: f.get_db_prep_save(f.get_default(), connection) if not isinstance(f, models.JSONField)
        else _json_text(f.get_default())
        for f in fields
        if f.attname not in given
    }  # fmt: skip
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    names = [f.attname for f in fields]
    with _raw_cursor() as cursor, cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    defaults[name] if name in defaults
                    else _json_text(row[name]) if name in json_fields
                    else row[name]
                    for name in names
                ]
            )  # fmt: skip


def upsert_mirror(tenant_id: int, object_type: str, rows: Sequence[MirrorRow], now: datetime) -> None:
    """Insert or update mirror rows; a row that comes back after a deletion is live again."""
    if not rows:
        return
    if not is_postgres():
        MirrorRecord.objects.bulk_create(
            [
                MirrorRecord(
                    tenant_id=tenant_id,
                    object_type=object_type,
                    key=row.key,
                    company_code=row.company_code,
                    row_hash=row.row_hash,
                    data=row.data,
                    first_seen_at=now,
                    changed_at=now,
                    deleted_at=None,
                )
                for row in rows
            ],
            batch_size=500,
            update_conflicts=True,
            unique_fields=["tenant", "object_type", "key"],
            update_fields=["company_code", "row_hash", "data", "changed_at", "deleted_at"],
        )
        return
    with _raw_cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_mirror_in "
            "(key text, company_code text, row_hash text, data jsonb) ON COMMIT DELETE ROWS"
        )
        with cursor.copy("COPY import_mirror_in (key, company_code, row_hash, data) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((row.key, row.company_code, row.row_hash, json_text(row.data)))
        cursor.execute(
            f"INSERT INTO {MIRROR_TABLE} "  # noqa: S608 (table name is ours)
            "(tenant_id, object_type, key, company_code, row_hash, data, first_seen_at, changed_at, deleted_at) "
            "SELECT %s, %s, key, company_code, row_hash, data, %s, %s, NULL FROM import_mirror_in "
            "ON CONFLICT (tenant_id, object_type, key) DO UPDATE SET company_code = EXCLUDED.company_code, "
            "row_hash = EXCLUDED.row_hash, data = EXCLUDED.data, changed_at = EXCLUDED.changed_at, deleted_at = NULL",
            (tenant_id, object_type, now, now),
        )
        cursor.execute("DELETE FROM import_mirror_in")


def mark_deleted(tenant_id: int, object_type: str, keys: Sequence[str], now: datetime) -> None:
    """Keep the row (accountants need history) but note that Spectrum no longer has it."""
    for start in range(0, len(keys), 1000):
        MirrorRecord.objects.filter(
            tenant_id=tenant_id, object_type=object_type, key__in=keys[start : start + 1000]
        ).update(deleted_at=now, changed_at=now)


def live_hashes(tenant_id: int, object_type: str) -> dict[str, bytes]:
    """key → 16-byte digest of every live mirror row of one object type (compact: ~100 B a row)."""
    rows = (
        MirrorRecord.objects.filter(tenant_id=tenant_id, object_type=object_type, deleted_at__isnull=True)
        .values_list("key", "row_hash")
        .iterator(chunk_size=20_000)
    )
    return {key: bytes.fromhex(row_hash) for key, row_hash in rows}


# --- a chunk's changes staged once, then written by the server ---------------------------------

STAGE_TABLE = "import_changes_in"

# key, company code, hex hash, action, what the mirror keeps (None for a delete), the platform item,
# the import record's idempotency key
StagedChange = tuple[str, str, str, str, dict[str, Any] | None, dict[str, Any], str]


def stage_changes(changes: Iterable[StagedChange]) -> None:
    """PostgreSQL: ``COPY`` one chunk's changes into the session's temporary table.

    Each change crosses the wire once, as seven columns; :func:`upsert_staged_mirror` and
    :func:`insert_staged` then build the mirror rows and import records on the server (per-row
    Python work and round trips are what a 100k-record poll spends its time on).
    """
    with _raw_cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} (key text, company_code text, row_hash text, "
            "action text, data jsonb, item jsonb, idempotency_key text) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"DELETE FROM {STAGE_TABLE}")  # noqa: S608 (ours); a longer transaction (tests) leaves rows
        with cursor.copy(f"COPY {STAGE_TABLE} FROM STDIN") as copy:
            write = copy.write_row
            for key, company, row_hash, action, data, item, idempotency_key in changes:
                write((key, company, row_hash, action, _json_text(data), json_text(item), idempotency_key))


def upsert_staged_mirror(tenant_id: int, object_type: str, now: datetime) -> None:
    """The staged creates and updates into the mirror (what :func:`upsert_mirror` does for given rows)."""
    with _raw_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MIRROR_TABLE} "  # noqa: S608 (table names are ours)
            "(tenant_id, object_type, key, company_code, row_hash, data, first_seen_at, changed_at, deleted_at) "
            f"SELECT %s, %s, key, company_code, row_hash, data, %s, %s, NULL FROM {STAGE_TABLE} "
            "WHERE action <> 'delete' AND data IS NOT NULL "
            "ON CONFLICT (tenant_id, object_type, key) DO UPDATE SET company_code = EXCLUDED.company_code, "
            "row_hash = EXCLUDED.row_hash, data = EXCLUDED.data, changed_at = EXCLUDED.changed_at, deleted_at = NULL",
            (tenant_id, object_type, now, now),
        )


def insert_staged(
    model: type[models.Model], computed: dict[str, tuple[str, Sequence[Any]]], constants: dict[str, Any]
) -> None:
    """One row of ``model`` per staged change, built by the server.

    ``computed``: attname → (SQL over the stage's columns, its parameters); ``constants``: the same
    value for every row; every other field gets its model default, so columns added to the model
    later still get a value (as in :func:`insert`).
    """
    columns: list[str] = []
    select: list[str] = []
    params: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.attname in computed:
            sql, values = computed[f.attname]
            select.append(sql)
            params.extend(values)
            continue
        value = constants[f.attname] if f.attname in constants else f.get_default()
        if isinstance(f, models.JSONField):
            value = _json_text(value)
        elif f.attname not in constants:
            value = f.get_db_prep_save(value, connection)
        select.append(f"%s::{f.db_type(connection)}")
        params.append(value)
    with _raw_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 (names are the model's)
            f"SELECT {', '.join(select)} FROM {STAGE_TABLE}",
            params,
        )
