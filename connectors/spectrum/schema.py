"""Info-Link schema discovery: which of the names we read exist in this customer's Spectrum database.

Several table and column names the reader uses are our own reading, and public third-party schema
listings of hosted Spectrum databases spell some of them differently (docs/spectrum.md#info-link-schema).
Against a real Spectrum a wrong name fails or reads nothing, so the connection test and the daily
health check read the database's catalog (:meth:`SpectrumDatabase.catalog`: INFORMATION_SCHEMA.COLUMNS
on SQL Server and PostgreSQL) and resolve every table and column each object type reads:

1. the connection's override for the name, when there is one (``SpectrumConnection.schema_overrides``:
   ``{"GL_ACCOUNT_MASTER_MC": "GL_MASTER_MC", "CR_CUSTOMER_MASTER_MC.Contact_Phone": "Phone"}``; a key
   without a table applies to the column in every table);
2. otherwise the first candidate the catalog has: our reading first, then each public name
   (:data:`TABLE_CANDIDATES`, :data:`COLUMN_CANDIDATES`, each with its source).

Names compare case-insensitively (PostgreSQL folds unquoted names to lower case; SQL Server's default
collation ignores case). :func:`discover` returns a :class:`SchemaReport`: per object type and per
exported document kind "ready" or what is missing, in plain words, and the :class:`Schema` the reader
then uses. Nothing here imports Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.spectrum.tables import _QUERIES, DOCUMENT_KINDS

OURS = "our reading"
SNAPSHOT = "public schema snapshot of a hosted Spectrum"
INTEGRATOR = "public integrator SQL"
OVERRIDE = "this connection's override"

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,127}$")


@dataclass(frozen=True)
class Candidate:
    name: str
    source: str


# Alternatives to our own name, in the order they are tried (docs/spectrum.md#info-link-schema).
TABLE_CANDIDATES: dict[str, tuple[Candidate, ...]] = {
    "GL_ACCOUNT_MASTER_MC": (Candidate("GL_MASTER_MC", SNAPSHOT),),
    "GL_DEPARTMENT_MASTER_MC": (Candidate("GL_DEPARTMENT_MC", SNAPSHOT),),
    "VN_SUBCONTRACT_DETAIL_MC": (Candidate("VN_SUBCONTRACT_PHASE_MC", SNAPSHOT),),
}
COLUMN_CANDIDATES: dict[tuple[str, str], tuple[Candidate, ...]] = {
    # The customer master's own phone number, which integrator SQL reads as the primary contact's.
    ("CR_CUSTOMER_MASTER_MC", "Contact_Phone"): (Candidate("Phone", INTEGRATOR),),
}


def reads_of_object(object_type: str) -> dict[str, set[str]]:
    """The table an object type reads, with the columns it reads from it (our names)."""
    query = _QUERIES[object_type]
    columns = {"Company_Code", *query.key, *query.columns.values(), *(c for c, _ in query.filters), *query.non_empty}
    return {query.table: columns}


def reads_of_document(kind: str) -> dict[str, set[str]]:
    """The tables ``find_document`` reads for an exported document kind, with the columns it names."""
    spec = DOCUMENT_KINDS[kind]
    reads = {spec.table: {"Company_Code", *spec.key_aliases.values(), *spec.lines_join}}
    if spec.lines_table:
        reads[spec.lines_table] = {"Company_Code", *spec.lines_join}
    return reads


def _needed() -> dict[str, set[str]]:
    needed: dict[str, set[str]] = {}
    reads = [*map(reads_of_object, _QUERIES), *map(reads_of_document, DOCUMENT_KINDS)]
    for table, columns in (pair for read in reads for pair in read.items()):
        needed.setdefault(table, set()).update(columns)
    return needed


NEEDED_COLUMNS: dict[str, set[str]] = _needed()  # every table any declaration reads, with its columns


# --- What the reader uses ------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """The names one database uses for one of our tables and for those of its columns that differ."""

    table: str
    columns: Mapping[str, str] = field(default_factory=dict)  # our column name -> the database's

    def column(self, name: str) -> str:
        return self.columns.get(name, name)


@dataclass(frozen=True)
class Schema:
    """The resolved names, by our table name; a table not in it is read under our own names."""

    tables: Mapping[str, Names] = field(default_factory=dict)

    def names(self, table: str) -> Names:
        return self.tables.get(table) or Names(table)

    def as_json(self) -> dict[str, Any]:
        return {ours: {"table": n.table, "columns": dict(n.columns)} for ours, n in self.tables.items()}

    @classmethod
    def from_json(cls, data: Any) -> Schema:
        """Back from ``as_json``; anything malformed or not a plain name is ignored (our names then)."""
        tables: dict[str, Names] = {}
        for ours, entry in (data or {}).items() if isinstance(data, Mapping) else ():
            if ours not in NEEDED_COLUMNS or not isinstance(entry, Mapping):
                continue
            table, columns = entry.get("table"), entry.get("columns") or {}
            if not (isinstance(table, str) and _NAME.match(table) and isinstance(columns, Mapping)):
                continue
            plain = {k: v for k, v in columns.items() if isinstance(v, str) and _NAME.match(v)}
            tables[ours] = Names(table, plain)
        return cls(tables)


# --- Discovery -----------------------------------------------------------------------------------


class Catalog(Protocol):
    def catalog(self, tables: Sequence[str]) -> dict[str, set[str]]: ...


@dataclass
class Readiness:
    """One object type or document kind: ready, or what is missing (plain words)."""

    ready: bool
    tables: dict[str, str] = field(default_factory=dict)  # our table -> the name found, with its source
    missing: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"ready": self.ready, "tables": self.tables, "missing": self.missing}


@dataclass
class SchemaReport:
    schema: Schema
    objects: dict[str, Readiness]
    documents: dict[str, Readiness]

    @property
    def unresolved(self) -> list[str]:
        return [t for t, r in self.objects.items() if not r.ready]

    def as_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema.as_json(),
            "objects": {t: r.as_json() for t, r in self.objects.items()},
            "documents": {k: r.as_json() for k, r in self.documents.items()},
        }


@dataclass
class _Table:
    """How one of our tables resolved: the name found (or "") and, per our column, the database's."""

    ours: str
    found: str = ""
    source: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    absent: str = ""  # why the table is missing
    missing: dict[str, str] = field(default_factory=dict)  # our column -> why it is missing


def discover(
    database: Catalog,
    object_types: Iterable[str],
    kinds: Iterable[str] = tuple(DOCUMENT_KINDS),
    overrides: Mapping[str, str] | None = None,
) -> SchemaReport:
    """Resolve every table and column ``object_types`` and document ``kinds`` read, in one catalog read."""
    objects = {t: reads_of_object(t) for t in object_types}
    documents = {k: reads_of_document(k) for k in kinds}
    ours = sorted({table for reads in (*objects.values(), *documents.values()) for table in reads})
    lookup = {k.upper(): v for k, v in (overrides or {}).items()}
    catalog = database.catalog([name for table in ours for name, _ in _table_candidates(table, lookup)])
    resolved = {table: _resolve(table, catalog, lookup) for table in ours}
    schema = Schema({t: Names(r.found, r.columns) for t, r in resolved.items() if r.found})
    return SchemaReport(
        schema,
        {t: _readiness(reads, resolved) for t, reads in objects.items()},
        {k: _readiness(reads, resolved) for k, reads in documents.items()},
    )


def _table_candidates(table: str, overrides: Mapping[str, str]) -> list[tuple[str, str]]:
    if table.upper() in overrides:
        return [(overrides[table.upper()], OVERRIDE)]
    return [(table, OURS), *((c.name, c.source) for c in TABLE_CANDIDATES.get(table, ()))]


def _column_candidates(table: str, column: str, overrides: Mapping[str, str]) -> list[tuple[str, str]]:
    for key in (f"{table}.{column}".upper(), column.upper()):
        if key in overrides:
            return [(overrides[key], OVERRIDE)]
    return [(column, OURS), *((c.name, c.source) for c in COLUMN_CANDIDATES.get((table, column), ()))]


def _resolve(table: str, catalog: Mapping[str, set[str]], overrides: Mapping[str, str]) -> _Table:
    result = _Table(table)
    candidates = _table_candidates(table, overrides)
    for name, source in candidates:
        if name.upper() in catalog:
            result.found, result.source = name, source
            break
    else:
        looked = " and ".join(name for name, _ in candidates)
        result.absent = f"table {table} is not in the database, or this login may not read it (looked for {looked})"
        return result
    present = catalog[result.found.upper()]
    for column in sorted(NEEDED_COLUMNS[table]):
        options = _column_candidates(table, column, overrides)
        found = next((name for name, _ in options if name.upper() in present), "")
        if not found:
            looked = " or ".join(name for name, _ in options)
            result.missing[column] = f"column {column} is not in table {result.found} (looked for {looked})"
        elif found.upper() != column.upper():
            result.columns[column] = found
    return result


def _readiness(reads: Mapping[str, set[str]], resolved: Mapping[str, _Table]) -> Readiness:
    tables = [resolved[table] for table in reads]
    found = {t.ours: f"{t.found} ({t.source})" for t in tables if t.found}
    missing = [t.absent for t in tables if t.absent]
    missing += [t.missing[c] for t in tables for c in sorted(reads[t.ours]) if c in t.missing]
    return Readiness(ready=not missing, tables=found, missing=missing)


# --- Overrides entered in the admin --------------------------------------------------------------

OVERRIDES_HELP = (
    "Only for names the connection test reports missing: our name, then the name this Spectrum uses, e.g. "
    '{"GL_ACCOUNT_MASTER_MC": "GL_MASTER_MC", "CR_CUSTOMER_MASTER_MC.Contact_Phone": "Phone"}. '
    "A column name without its table applies in every table."
)


def override_problems(overrides: Any) -> list[str]:
    """What is wrong with a connection's overrides, in words for the admin form; [] when usable."""
    if not isinstance(overrides, Mapping):
        return ['Enter an object of names, for example {"GL_ACCOUNT_MASTER_MC": "GL_MASTER_MC"}.']
    problems = []
    for key, value in overrides.items():
        if not isinstance(value, str) or not _NAME.match(value):
            problems.append(f"{key}: {value!r} is not a table or column name (letters, digits and _ only).")
        elif not _known(str(key)):
            problems.append(
                f"{key}: not a table or column Spectrum Sync reads. Use a table name such as GL_ACCOUNT_MASTER_MC, "
                "a TABLE.Column such as CR_CUSTOMER_MASTER_MC.Contact_Phone, or a column name."
            )
    return problems


def _known(key: str) -> bool:
    upper = {t.upper(): {c.upper() for c in cols} for t, cols in NEEDED_COLUMNS.items()}
    table, _, column = key.upper().rpartition(".")
    if table:
        return column in upper.get(table, set())
    return column in upper or any(column in cols for cols in upper.values())
