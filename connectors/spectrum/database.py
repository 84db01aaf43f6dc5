"""Read Spectrum straight from its SQL Server database over ODBC (an Info-Link read-only login).

Several objects the service imports have no Get web service at all — GL accounts, GL departments,
AR sales and AP use tax codes, AR cash receipts, AP invoices (PO bills), cost types, job cost and
prime contracts (docs/spectrum.md#objects-without-a-get-service). Spectrum keeps everything in Microsoft
SQL Server and lets outside readers in through Info-Link logins (docs/spectrum.md#access-model; cloud:
docs/spectrum.md#spectrum-cloud-database). This module
reads those tables with ``pyodbc`` and yields the same typed records (``records.py``) as the
web-service reader does for the objects both can read (customers, vendors, jobs, phases), so the
import engine does not care where a record came from.

How it reads
    * Only the multi-company base tables (``*_MC``) filtered by ``Company_Code = ?``: the
      single-company views filter on the login's first three letters, which is wrong for a login
      serving several companies (docs/spectrum.md#access-model).
    * Keyset pagination over the table's primary key (``WHERE key > last ORDER BY key``, pages of
      ``page_size`` rows, fetched with ``fetchmany``): memory stays flat whatever the table size (one
      page at a time), no page re-reads rows (unlike OFFSET paging), and no statement stays open
      while the caller works, so a poll may look other things up on the same connection. Keys are
      compared as stored (padded), and trimmed only in the records.
    * Every value is a ``?`` parameter; table and column names come from the declarations below only.
    * The SQL is the same text on SQL Server and PostgreSQL (the tests run it through the PostgreSQL
      ODBC driver): ANSI ``OFFSET 0 ROWS FETCH NEXT ? ROWS ONLY``, ``COUNT(*)``, no ``TOP``, no
      ``LIMIT``, no vendor functions, unquoted identifiers (PostgreSQL folds them to lower case,
      SQL Server's default collation ignores case).

Which tables and columns are read, and the candidates each name resolves from, are declared in
``tables.py`` and ``schema.py`` (docs/spectrum.md#info-link-schema); ``schema.discover`` resolves them
against the database's catalog and :class:`SpectrumDatabase` then reads with the resolved names.

SQL Server driver setup (Linux)
    * Microsoft ODBC Driver 18 for SQL Server: install ``msodbcsql18`` from Microsoft's package
      repository (https://learn.microsoft.com/sql/connect/odbc/linux-mac/installing-the-microsoft-odbc-driver-for-sql-server)
      plus ``unixodbc``; it registers itself in ``/etc/odbcinst.ini`` as "ODBC Driver 18 for SQL
      Server". Driver 18 encrypts by default: keep ``Encrypt=yes`` and, for an on-premise server with a
      self-signed certificate, either install its CA or set ``TrustServerCertificate=yes`` in the
      connection's extra options (weaker; on-premise only). Spectrum Cloud's TLS database endpoint
      (``xxxx-data.dexterchaney.com`` on a custom port) has a public certificate.
    * FreeTDS: ``apt-get install unixodbc tdsodbc`` and register the driver (``odbcinst -i -d -f
      /usr/share/tdsodbc/odbcinst.ini``) as "FreeTDS"; set ``TDS_Version=7.4`` in the extra options.
    * ``odbcinst -q -d`` lists the registered drivers; the connection's driver field must match one.

Demo-only path
    A :class:`DatabaseConfig` whose ``driver`` is ``"sqlite3"`` opens ``database`` (a file path) with
    Python's ``sqlite3`` module, read-only, and runs the very same statements (``?`` placeholders are
    common to pyodbc and sqlite3) except the page clause, which SQLite spells ``LIMIT ?``. It exists so
    ``make run`` works on a machine without unixODBC, against the simulator's SQLite file. Never use it
    for a customer.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from connectors.spectrum import kept, records
from connectors.spectrum.config import DatabaseConfig
from connectors.spectrum.db_errors import SQLITE_DRIVER, classify_error
from connectors.spectrum.errors import SpectrumAuthorizationError, SpectrumConfigurationError
from connectors.spectrum.schema import Names, Schema
from connectors.spectrum.tables import (
    _IDENTIFIER,
    _PADDING,
    _QUERIES,
    CUSTOMER_STATUS_TEXT,
    CUSTOMER_TAXABLE_TEXT,
    DOCUMENT_KINDS,
    OBJECT_TYPES,
    DocumentKind,
    ObjectQuery,
    customer_status,
    customer_taxable,
    date_or_none,
    decimal_or_none,
    integer,
    padded,
    text,
)

# Names other modules import from here since before the declarations moved to tables.py.
__all__ = [
    "CUSTOMER_STATUS_TEXT",
    "CUSTOMER_TAXABLE_TEXT",
    "DOCUMENT_KINDS",
    "OBJECT_TYPES",
    "SQLITE_DRIVER",
    "_PADDING",
    "_QUERIES",
    "DocumentKind",
    "ObjectQuery",
    "Row",
    "SpectrumDatabase",
    "classify_error",
    "connection_string",
    "customer_status",
    "customer_taxable",
    "date_or_none",
    "decimal_or_none",
    "integer",
    "padded",
    "text",
]

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 2000
FETCH_BATCH = 250


def _escape(value: str) -> str:
    # ODBC connection-string values with ; { } or spaces at the ends must be braced, '}' doubled.
    if re.search(r"[;{}]|^\s|\s$", value):
        return "{" + value.replace("}", "}}") + "}"
    return value


def connection_string(config: DatabaseConfig) -> str:
    """The ODBC connection string (holds the password: never log it)."""
    parts = [f"DRIVER={{{config.driver}}}"]
    if "sql server" in config.driver.lower():
        # Microsoft's drivers take the port after a comma; PORT= is ignored there.
        server = f"{config.host},{config.port}" if config.port else config.host
        parts.append(f"SERVER={_escape(server)}")
    else:
        parts.append(f"SERVER={_escape(config.host)}")
        if config.port:
            parts.append(f"PORT={config.port}")
    parts += [f"DATABASE={_escape(config.database)}", f"UID={_escape(config.user)}", f"PWD={_escape(config.password)}"]
    if config.options:
        parts.append(config.options.strip(";"))
    return ";".join(parts) + ";"


# ---------------------------------------------------------------------------------------------------
# The reader


class SpectrumDatabase:
    """Reads Spectrum tables for one connection. Not thread-safe: one per task.

    ``iter_records(object_type, company)`` for every type in :data:`records.RECORD_TYPES`;
    ``find_document(kind, company, key)`` for reconciling exports; ``test()`` for the connection check;
    ``catalog(tables)`` for schema discovery. ``schema`` holds the names discovery resolved for this
    connection (docs/spectrum.md#info-link-schema); without it every table and column is read under
    our own name (``tables.py``).
    """

    def __init__(
        self,
        config: DatabaseConfig,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        schema: Schema | None = None,
        keep: bool = False,
    ) -> None:
        self.config = config
        self.page_size = page_size
        self.schema = schema or Schema()
        self._conn: Any = None
        self._sqlite = config.driver == SQLITE_DRIVER
        # keep: on close, an ODBC connection that saw no error stays open for this process's next
        # reader of the same connection (see KEEP_IDLE_SECONDS).
        self._keep_key = hashlib.sha256(connection_string(config).encode()).hexdigest() if keep else ""
        self._reused = False
        self._failed = False

    # -- connection -------------------------------------------------------------------------------

    def _connect(self) -> Any:
        if self._conn is not None:
            return self._conn
        problems = self.config.problems()
        if problems:  # before unixODBC is asked to load anything
            raise SpectrumConfigurationError("; ".join(problems.values()), service="database")
        if self._keep_key and not self._sqlite:
            self._conn = kept.take(self._keep_key)
            if self._conn is not None:
                self._reused = True
                return self._conn
        started = time.monotonic()
        if self._sqlite:
            self._conn = self._connect_sqlite()
        else:
            self._conn = self._connect_odbc()
        log.info(
            "spectrum database connected",
            extra={"tenant": self.config.tenant, "driver": self.config.driver, "ms": _ms(started)},
        )
        return self._conn

    def _connect_sqlite(self) -> sqlite3.Connection:
        try:
            path = quote(self.config.database)  # a URI: "?" or "#" in a path must not end it
            return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=self.config.timeout)
        except sqlite3.Error as exc:
            raise classify_error(exc, self.config) from exc

    def _connect_odbc(self) -> Any:
        try:
            import pyodbc
        except ImportError as exc:  # unixODBC's libodbc.so missing, or pyodbc not installed
            raise SpectrumConfigurationError(
                "pyodbc cannot load: the unixODBC driver manager is missing. Fix: apt-get install unixodbc "
                "(and a SQL Server ODBC driver), or use the Data Exchange web services for this connection.",
                service="database",
                detail=str(exc),
            ) from exc
        try:
            conn = pyodbc.connect(connection_string(self.config), timeout=self.config.timeout, autocommit=True)
        except pyodbc.Error as exc:
            raise classify_error(exc, self.config) from exc
        try:
            conn.timeout = self.config.timeout  # per-statement timeout (SQL_ATTR_QUERY_TIMEOUT)
        except pyodbc.Error:
            # Microsoft's and FreeTDS's drivers take it; psqlODBC (the test stand-in) refuses it at
            # connection level: there the server's statement_timeout is the bound.
            log.debug("ODBC driver %s has no connection-level query timeout", self.config.driver)
        return conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._keep_key and not self._sqlite and not self._failed:
            kept.put(self._keep_key, conn)
            return
        conn.close()

    def __enter__(self) -> SpectrumDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _errors(self) -> tuple[type[BaseException], ...]:
        if self._sqlite:
            return (sqlite3.Error,)
        import pyodbc

        return (pyodbc.Error,)

    def _run(self, sql: str, params: Sequence[Any], *, table: str) -> Any:
        """The one place statements are sent: a cursor, or an error from the taxonomy."""
        conn = self._connect()
        try:
            cursor = conn.cursor()
            cursor.execute(sql, list(params))
            return cursor
        except self._errors() as exc:
            if not self._reused:
                self._failed = True
                raise classify_error(exc, self.config, table=table) from exc
            # A kept connection the server dropped while it idled: once more on a new one.
            log.info("kept ODBC connection failed; reconnecting", extra={"tenant": self.config.tenant})
            kept.close_quietly(conn)
            self._conn, self._reused = None, False
            return self._run(sql, params, table=table)

    def _fetch(self, cursor: Any, *, table: str) -> list[Any]:
        try:
            return list(cursor.fetchmany(FETCH_BATCH))
        except self._errors() as exc:
            self._failed = True
            raise classify_error(exc, self.config, table=table) from exc

    # -- public API -------------------------------------------------------------------------------

    def test(self) -> str:
        """The database server's product and version, e.g. "Microsoft SQL Server 16.00.4135"."""
        conn = self._connect()
        if self._sqlite:
            return f"SQLite {sqlite3.sqlite_version} (demo store)"
        import pyodbc

        try:
            return f"{conn.getinfo(pyodbc.SQL_DBMS_NAME)} {conn.getinfo(pyodbc.SQL_DBMS_VER)}"
        except pyodbc.Error as exc:
            raise classify_error(exc, self.config) from exc

    def catalog(self, tables: Sequence[str]) -> dict[str, set[str]]:
        """The columns of each of ``tables`` the login can see, every name upper-cased (the catalog
        spells them as created: PostgreSQL in lower case, SQL Server as Spectrum does); absent tables
        are left out. INFORMATION_SCHEMA.COLUMNS on SQL Server and PostgreSQL, SQLite's own catalog
        for the demo store."""
        wanted = sorted({t.upper() for t in tables})
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        if self._sqlite:
            sql = (
                "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p "  # noqa: S608 - only ? marks
                f"WHERE m.type IN ('table', 'view') AND UPPER(m.name) IN ({marks})"
            )
        else:
            sql = f"SELECT TABLE_NAME, COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE UPPER(TABLE_NAME) IN ({marks})"  # noqa: S608
        cursor = self._run(sql, wanted, table="INFORMATION_SCHEMA.COLUMNS")
        found: dict[str, set[str]] = {}
        while batch := self._fetch(cursor, table="INFORMATION_SCHEMA.COLUMNS"):
            for table, column in batch:
                found.setdefault(str(table).upper(), set()).add(str(column).upper())
        cursor.close()
        return found

    def check_access(self, object_types: Sequence[str] = OBJECT_TYPES) -> dict[str, str]:
        """For each object type, "" when its table is readable, else the error message (for the admin)."""
        result: dict[str, str] = {}
        for object_type in object_types:
            table = self.schema.names(self._query_for(object_type).table).table
            try:
                cursor = self._run(f"SELECT COUNT(*) FROM {table} WHERE 1 = 0", [], table=table)  # noqa: S608
                cursor.close()
                result[object_type] = ""
            except (SpectrumConfigurationError, SpectrumAuthorizationError) as exc:
                result[object_type] = exc.message
        return result

    def iter_records(self, object_type: str, company: str) -> Iterator[records.SpectrumRecord]:
        """Every record of ``object_type`` in ``company``, in key order, streamed page by page."""
        query = self._query_for(object_type)
        names = self.schema.names(query.table)
        key = tuple(names.column(k) for k in query.key)
        # Columns in the record's field order, so a row becomes positional arguments (the hot loop).
        fields = query.field_order()
        selected = _select_columns([names.column(query.columns[f]) for f in fields], key)
        key_positions = [selected.index(k) for k in key]
        converters = [query.converter(f) for f in fields]
        make = query.record
        last: list[Any] | None = None
        while True:
            sql, params = self._page_sql(query, names, ", ".join(selected), company, last)
            cursor = self._run(sql, params, table=names.table)
            page: list[Any] = []
            while batch := self._fetch(cursor, table=names.table):
                page += batch
            # The statement is finished before the caller sees a row: SQL Server without MARS
            # refuses a second statement on a connection whose results are still pending.
            cursor.close()
            for row in page:
                yield make(company, *[conv(value) for conv, value in zip(converters, row, strict=False)])
            if len(page) < self.page_size:
                return
            last = [page[-1][pos] for pos in key_positions]

    def find_document(self, kind: str, company: str, key: Mapping[str, str]) -> dict[str, Any] | None:
        """The document an export created, by natural key; None when Spectrum does not have it.

        ``key`` names columns by the friendly names of :data:`DOCUMENT_KINDS` (``invoice_number``) or by
        Spectrum's column names (``Invoice_Or_Transaction``). Returns the header row (a :class:`Row`:
        column names looked up case-insensitively), text values trimmed, money ``Decimal``, plus
        ``"lines"`` (the detail rows) for documents that have lines.
        """
        spec = DOCUMENT_KINDS.get(kind)
        if spec is None:
            raise ValueError(f"unknown document kind {kind!r}; known: {sorted(DOCUMENT_KINDS)}")
        if not key:
            raise ValueError("find_document needs at least one key column")
        header = self.schema.names(spec.table)
        where = [f"{header.column('Company_Code')} = ?"]
        params: list[Any] = [padded("Company_Code", company)]
        for name, value in key.items():
            column = spec.key_aliases.get(name, name)
            if not _IDENTIFIER.match(column) or column not in spec.key_aliases.values():
                raise ValueError(f"{kind} cannot be looked up by {name!r}; use {sorted(spec.key_aliases)}")
            where.append(f"{header.column(column)} = ?")
            params.append(padded(column, str(value)))
        sql = f"SELECT * FROM {header.table} WHERE {' AND '.join(where)}"  # noqa: S608 - names from DOCUMENT_KINDS
        rows = self._all(sql, params, header.table)
        if not rows:
            return None
        document = rows[0]
        if spec.lines_table:
            lines = self.schema.names(spec.lines_table)
            join = " AND ".join(f"{lines.column(c)} = ?" for c in ("Company_Code", *spec.lines_join))
            values = [padded(c, document[header.column(c)]) for c in spec.lines_join]
            sql = f"SELECT * FROM {lines.table} WHERE {join}"  # noqa: S608 - names from DOCUMENT_KINDS
            document["lines"] = self._all(sql, [padded("Company_Code", company), *values], lines.table)
        elif len(rows) > 1:
            document["lines"] = [Row(r) for r in rows]  # e.g. every line of one PO receipt
        return document

    def rows(self, sql: str, params: Sequence[Any], table: str) -> list[dict[str, Any]]:
        """Every row of one read-only statement (``?`` parameters), as case-insensitive :class:`Row` dicts.

        For readers beside this module (``connectors/spectrum/ledger.py``); errors come from the taxonomy.
        """
        return self._all(sql, params, table)

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _query_for(object_type: str) -> ObjectQuery:
        try:
            return _QUERIES[object_type]
        except KeyError:
            raise ValueError(f"the database reader has no {object_type!r}; known: {sorted(_QUERIES)}") from None

    def _page_sql(
        self, query: ObjectQuery, names: Names, select: str, company: str, last: Sequence[Any] | None
    ) -> tuple[str, list[Any]]:
        where = [f"{names.column('Company_Code')} = ?"]
        params: list[Any] = [padded("Company_Code", company)]
        for column, value in query.filters:
            where.append(f"{names.column(column)} = ?")
            params.append(value)
        for column in map(names.column, query.non_empty):
            where.append(f"{column} IS NOT NULL AND {column} <> ?")
            params.append("")
        key = [names.column(k) for k in query.key]
        if last is not None:
            keyset, keyset_params = _keyset(tuple(key), last)
            where.append(keyset)
            params += keyset_params
        # Info-Link multi-company tables (docs/spectrum.md#access-model), keyset pagination instead of OFFSET paging.
        page = "LIMIT ?" if self._sqlite else "OFFSET 0 ROWS FETCH NEXT ? ROWS ONLY"
        sql = (
            f"SELECT {select} FROM {names.table} WHERE {' AND '.join(where)} "  # noqa: S608 - names from _QUERIES
            f"ORDER BY {', '.join(key)} {page}"
        )
        return sql, [*params, self.page_size]

    def _all(self, sql: str, params: Sequence[Any], table: str) -> list[dict[str, Any]]:
        cursor = self._run(sql, params, table=table)
        names = [d[0] for d in cursor.description]
        out: list[dict[str, Any]] = []
        while batch := self._fetch(cursor, table=table):
            out += [Row((n, _plain(v)) for n, v in zip(names, row, strict=True)) for row in batch]
        cursor.close()
        return out


def _select_columns(columns: list[str], key: tuple[str, ...]) -> list[str]:
    # Key columns not mapped to a field are selected after the fields, for the keyset.
    return columns + [k for k in key if k not in columns]


def _keyset(key: tuple[str, ...], last: Sequence[Any]) -> tuple[str, list[Any]]:
    """``(k1 > ?) OR (k1 = ? AND k2 > ?) ...``: row-value comparison spelled out (SQL Server lacks it)."""
    ors: list[str] = []
    params: list[Any] = []
    for i, column in enumerate(key):
        terms = [f"{key[j]} = ?" for j in range(i)] + [f"{column} > ?"]
        ors.append("(" + " AND ".join(terms) + ")")
        params += [*last[:i], last[i]]
    return "(" + " OR ".join(ors) + ")", params


class Row(dict[str, Any]):
    """A row keyed by column name, looked up case-insensitively.

    SQL Server hands column names back as Spectrum spells them; PostgreSQL (the test stand-in)
    folds unquoted names to lower case. ``row["Invoice_Or_Transaction"]`` works on both.
    """

    def _match(self, key: str) -> str:
        if not dict.__contains__(self, key):
            lowered = key.lower()
            for existing in self:
                if existing.lower() == lowered:
                    return existing
        return key

    def __getitem__(self, key: str) -> Any:
        return dict.__getitem__(self, self._match(key))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, self._match(key))

    def get(self, key: str, default: Any = None) -> Any:
        return dict.get(self, self._match(key), default)


def _plain(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
