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

Where Spectrum's exact column names are not public (docs/spectrum.md#access-model: they are visible only
in-product through Info-Link's Table Directory Inquiry), the names follow the documented ones and the
Data Exchange field names; each table has exactly one mapping below (``_QUERIES``) and
``connectors/spectrum/simulator/store.py`` marks every chosen name. A customer whose Spectrum spells a
column differently changes it in one place.

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

Read-only grants (what the customer gives)
    In Spectrum, Info-Link > create a database user (press Enter, not just OK, to save it), give it
    **read-only** access to the tables below (directly, or through an Info-Link table category), and
    for Spectrum Cloud ask Trimble support ("Upgrade Info-Link Access" form, READ ONLY ACCESS, the
    user name prefixed with the company code, our server's public IP for the allow-list). Info-Link
    issues the SQL grants itself; the equivalent SQL is ``GRANT SELECT ON dbo.<table> TO <user>`` for:
    CR_CUSTOMER_MASTER_MC, VN_VENDOR_MASTER_MC, JC_JOB_MASTER_MC, JC_PHASE_MASTER_MC,
    JC_COST_TYPE_MASTER_MC, GL_ACCOUNT_MASTER_MC, GL_DEPARTMENT_MASTER_MC, CR_SALES_TAX_MASTER_MC,
    VN_USE_TAX_MASTER_MC, CR_PAY_ADJUST_HISTORY_MC, VN_GL_DISTRIBUTION_HEADER_MC, CR_CONTRACT_MASTER_MC,
    and for reconciling exports CR_INVOICE_HEADER_MC, CR_INVOICE_DETAIL_MC, PO_RECEIVING_HISTORY_MC,
    VN_SUBCONTRACT_MC, CR_CHANGE_ORDER_HEADER_MC, WO_HEADER_MC. Nothing is ever written.

Demo-only path
    A :class:`DatabaseConfig` whose ``driver`` is ``"sqlite3"`` opens ``database`` (a file path) with
    Python's ``sqlite3`` module, read-only, and runs the very same statements (``?`` placeholders are
    common to pyodbc and sqlite3) except the page clause, which SQLite spells ``LIMIT ?``. It exists so
    ``make run`` works on a machine without unixODBC, against the simulator's SQLite file. Never use it
    for a customer.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from connectors.spectrum import records
from connectors.spectrum.config import DEMO_DRIVER, DatabaseConfig
from connectors.spectrum.errors import (
    SpectrumAuthorizationError,
    SpectrumConfigurationError,
    SpectrumError,
    SpectrumRetryableError,
)

log = logging.getLogger(__name__)

SQLITE_DRIVER = DEMO_DRIVER
DEFAULT_PAGE_SIZE = 2000
FETCH_BATCH = 250

# Spectrum's one-letter codes as GetCustomers spells them (docs/spectrum.md#getcustomers), so both
# readers agree.
# Vendors use the same words: that is what the simulator's SOAP GetVendors returns (its return
# layout is undocumented, docs/spectrum.md#getvendors), and a vendor's status then reads alike from either side.
CUSTOMER_STATUS_TEXT = {"A": "Active", "I": "Inactive", "N": "Not Used"}
CUSTOMER_TAXABLE_TEXT = {"Y": "Taxable", "N": "Non-Taxable", "": "No Default"}


# ---------------------------------------------------------------------------------------------------
# Value conversion: padding off, NULL text to "", money to Decimal, dates to date


def text(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if type(value) is str else str(value).strip()


def decimal_or_none(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def date_or_none(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite demo store keeps ISO text


def integer(value: Any) -> int:
    return 0 if value is None else int(value)


def customer_status(value: Any) -> str:
    return CUSTOMER_STATUS_TEXT.get(text(value), text(value))


def customer_taxable(value: Any) -> str:
    return CUSTOMER_TAXABLE_TEXT.get(text(value), text(value))


_BY_TYPE: dict[str, Callable[[Any], Any]] = {
    "str": text,
    "Decimal | None": decimal_or_none,
    "date | None": date_or_none,
    "int": integer,
}


# ---------------------------------------------------------------------------------------------------
# One mapping per table: record field -> column


@dataclass(frozen=True)
class ObjectQuery:
    """How one record type is read: its table, key (for ORDER BY / keyset), field -> column map."""

    record: type[records.SpectrumRecord]
    table: str
    key: tuple[str, ...]  # after Company_Code, the table's primary key order
    columns: Mapping[str, str]  # record field -> column; company_code is implied
    filters: tuple[tuple[str, str], ...] = ()  # fixed "column = value" filters, sent as parameters
    non_empty: tuple[str, ...] = ()  # columns that must be neither NULL nor blank
    convert: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)

    def field_order(self) -> list[str]:
        """The record's fields after company_code; every one must be mapped to a column."""
        names = [f.name for f in dataclasses.fields(self.record) if f.name != "company_code"]
        unmapped = set(names) ^ set(self.columns)
        if unmapped:
            raise AssertionError(f"{self.record.__name__} mapping does not match its fields: {sorted(unmapped)}")
        return names

    def converter(self, field_name: str) -> Callable[[Any], Any]:
        if field_name in self.convert:
            return self.convert[field_name]
        annotation = self.record.__dataclass_fields__[field_name].type
        return _BY_TYPE[str(annotation)]


_PHASE_KEY = ("Job_Number", "Phase_Code", "Cost_Type")
_PHASE_KEYS = {"job_number": "Job_Number", "phase_code": "Phase_Code", "cost_type": "Cost_Type"}

_QUERIES: dict[str, ObjectQuery] = {
    q.record.object_type: q
    for q in (
        ObjectQuery(
            records.Customer,
            "CR_CUSTOMER_MASTER_MC",
            ("Customer_Code",),
            {
                "customer_code": "Customer_Code",
                "name": "Name",
                "address_1": "Address_1",
                "address_2": "Address_2",
                "city": "City",
                "state": "State",
                "zip_code": "Zip_Code",
                "first_name": "Contact_First_Name",  # chosen: Spectrum keeps contacts in a Contact Master
                "last_name": "Contact_Last_Name",
                "phone_number": "Contact_Phone",
                "email": "Customer_Email",
                "price_level_material": "Price_Level_Material",
                "taxable_flag": "Taxable_Flag",
                "status": "Status",
            },
            convert={"status": customer_status, "taxable_flag": customer_taxable},
        ),
        ObjectQuery(
            records.Vendor,
            "VN_VENDOR_MASTER_MC",
            ("Vendor_Code",),
            {
                "vendor_code": "Vendor_Code",
                "name": "Name",
                "address_1": "Address_1",
                "address_2": "Address_2",
                "city": "City",
                "state": "State",
                "zip_code": "Zip_Code",
                "first_name": "Contact_First_Name",
                "last_name": "Contact_Last_Name",
                "phone_number": "Phone",
                "email": "Vendor_Email",
                "account_reference": "Our_Account_Number",
                "payment_terms": "Terms_Code",
                "payment_term_days": "Terms_Days",
                "discount_terms": "Terms_Disc_Code",
                "discount_term_days": "Terms_Disc_Days",
                "discount_percent": "Terms_Disc_Percent",
                "vendor_type": "Type",
                "status": "Status",
            },
            convert={"status": customer_status},
        ),
        ObjectQuery(
            records.Job,
            "JC_JOB_MASTER_MC",
            ("Job_Number",),
            {
                "job_number": "Job_Number",
                "job_description": "Job_Description",
                "division": "Division",
                "address_1": "Address_1",
                "address_2": "Address_2",
                "city": "City",
                "state": "State",
                "zip_code": "Zip_Code",
                "project_manager": "Project_Manager",
                "superintendent": "Superintendent",
                "estimator": "Estimator",
                "certified_flag": "Certified_Flag",
                "customer_code": "Customer_Code",
                "status_code": "Status_Code",
                "work_state_tax_code": "Work_State_Tax_Code",
                "contract_number": "Contract_Number",
                "cost_center": "Cost_Center",
                "original_contract": "Original_Contract",
            },
        ),
        ObjectQuery(
            records.Phase,
            "JC_PHASE_MASTER_MC",
            _PHASE_KEY,
            {
                **_PHASE_KEYS,
                "description": "Description",
                "status_code": "Status_Code",
                "unit_of_measure": "Unit_of_Measure",
                "jtd_quantity": "JTD_Quantity",
                "jtd_hours": "JTD_Hours",
                "jtd_actual_dollars": "JTD_Actual_Dollars",
                "projected_quantity": "Projected_Quantity",
                "projected_hours": "Projected_Hours",
                "projected_dollars": "Projected_Dollars",
                "estimated_quantity": "Current_Est_Quantity",
                "estimated_hours": "Current_Est_Hours",
                "original_estimated_dollars": "Original_Est_Cost",
                "current_estimated_dollars": "Current_Est_Cost",
                "cost_center": "Cost_Center",
            },
        ),
        ObjectQuery(
            records.CostType,
            "JC_COST_TYPE_MASTER_MC",
            ("Cost_Type",),
            {"cost_type": "Cost_Type", "description": "Description", "abbreviation": "Abbreviation"},
        ),
        ObjectQuery(
            records.GLAccount,
            "GL_ACCOUNT_MASTER_MC",
            ("GL_Account",),
            {
                "gl_account": "GL_Account",
                "description": "Description",
                "account_type": "Account_Type_Code",
                "status": "Status",
            },
        ),
        ObjectQuery(
            records.GLDepartment,
            "GL_DEPARTMENT_MASTER_MC",
            ("Department",),
            {"department": "Department", "description": "Description", "status": "Status"},
        ),
        ObjectQuery(
            records.SalesTax,
            "CR_SALES_TAX_MASTER_MC",
            ("Sales_Tax_Code",),
            {
                "tax_code": "Sales_Tax_Code",
                "description": "Description",
                "rate": "Sales_Tax_Percent",
                "gl_account": "GL_Account",
                "status": "Status",
            },
        ),
        ObjectQuery(
            records.PurchaseTax,
            "VN_USE_TAX_MASTER_MC",
            ("Use_Tax_Code",),
            {
                "tax_code": "Use_Tax_Code",
                "description": "Use_Tax_Description",
                "rate": "Tax_Percent",
                "gl_account": "Tax_GL_Account",
                "status": "Status",
            },
        ),
        ObjectQuery(
            records.ARPayment,
            "CR_PAY_ADJUST_HISTORY_MC",
            ("Customer_Code", "Invoice_Number", "Reference_Number", "Sequence_Number"),
            {
                "customer_code": "Customer_Code",
                "invoice_number": "Invoice_Number",
                "receipt_number": "Reference_Number",
                "sequence": "Sequence_Number",
                "payment_date": "Reference_Date",
                "amount": "Payment_Amount",
                "discount_amount": "Discount_Taken",
                "job_number": "Job_Number",
                "reference": "Remark",
            },
            filters=(("Transaction_Type", "P"),),  # payments only, not adjustments
        ),
        ObjectQuery(
            records.POBill,
            "VN_GL_DISTRIBUTION_HEADER_MC",
            ("Vendor_Code", "Invoice_Number"),
            {
                "vendor_code": "Vendor_Code",
                "invoice_number": "Invoice_Number",
                "invoice_date": "Invoice_Date",
                "due_date": "Payment_Due_Date",
                "po_number": "PO_Number",
                "receipt_number": "Receipt_Number",
                "job_number": "Job_Number",
                "amount": "Invoice_Amount",
                "tax_amount": "Sales_Tax_Amount",
                "status": "Status",
            },
            non_empty=("PO_Number",),  # a PO bill is an AP invoice created from a PO receipt
        ),
        ObjectQuery(
            records.JobCost,
            "JC_PHASE_MASTER_MC",
            _PHASE_KEY,
            {
                **_PHASE_KEYS,
                "jtd_quantity": "JTD_Quantity",
                "jtd_hours": "JTD_Hours",
                "jtd_actual_dollars": "JTD_Actual_Dollars",
                "projected_dollars": "Projected_Dollars",
            },
        ),
        ObjectQuery(
            records.Budget,
            "JC_PHASE_MASTER_MC",
            _PHASE_KEY,
            {
                **_PHASE_KEYS,
                "original_estimated_dollars": "Original_Est_Cost",
                "current_estimated_dollars": "Current_Est_Cost",
                "estimated_hours": "Current_Est_Hours",
                "estimated_quantity": "Current_Est_Quantity",
            },
        ),
        ObjectQuery(
            records.PrimeContract,
            "CR_CONTRACT_MASTER_MC",
            ("Job_Number",),
            {
                "job_number": "Job_Number",
                "contract_number": "Contract_Number",
                "customer_code": "Customer_Code",
                "description": "Description",
                "original_contract_amount": "Original_Contract_Amount",
                "approved_change_orders": "Approved_Change_Orders",
                "revised_contract_amount": "Revised_Contract_Amount",
                "billed_to_date": "Billed_To_Date",
                "retention_percent": "Retention_Percent",
                "status": "Status",
            },
        ),
    )
}

OBJECT_TYPES: tuple[str, ...] = tuple(_QUERIES)


@dataclass(frozen=True)
class DocumentKind:
    """Where an exported document lands (the tables the web-service Puts write into)."""

    table: str
    key_aliases: Mapping[str, str]  # friendly key name -> column
    lines_table: str = ""
    lines_join: tuple[str, ...] = ()  # columns shared by header and lines (besides Company_Code)


# The natural keys the Put and REST services reject duplicates on (docs/spectrum.md#rules-per-service):
# AR invoice, AddJob, PO receiving, UpdateSubcontract, ARChangeOrder, WorkOrderHeader.
DOCUMENT_KINDS: dict[str, DocumentKind] = {
    "ar_invoice": DocumentKind(
        "CR_INVOICE_HEADER_MC",
        {"invoice_number": "Invoice_Or_Transaction", "customer_code": "Customer_Code"},
        "CR_INVOICE_DETAIL_MC",
        ("Invoice_Or_Transaction",),
    ),
    "job": DocumentKind("JC_JOB_MASTER_MC", {"job_number": "Job_Number"}),
    "po_receipt": DocumentKind(
        "PO_RECEIVING_HISTORY_MC", {"po_number": "PO_Number", "receipt_number": "Receipt_Number"}
    ),
    "subcontract": DocumentKind(
        "VN_SUBCONTRACT_MC",
        {"vendor_code": "Vendor_Code", "subcontract_number": "Subcontract_Number"},
        "VN_SUBCONTRACT_DETAIL_MC",
        ("Vendor_Code", "Subcontract_Number"),
    ),
    "ar_change_order": DocumentKind(
        "CR_CHANGE_ORDER_HEADER_MC",
        {"job_number": "Job_Number", "customer_code": "Customer_Code", "change_order_number": "Change_Order_Number"},
        "CR_CHANGE_ORDER_DETAIL_MC",
        ("Job_Number", "Customer_Code", "Change_Order_Number"),
    ),
    "work_order": DocumentKind(
        "WO_HEADER_MC",
        {
            "wo_number": "WO_Number",
            "customer_po_number": "Customer_PO_Number",
            "bill_customer_code": "Bill_Customer_Code",
        },
    ),
}

# Key columns Spectrum stores padded (docs/spectrum.md#access-model); lookups pad their parameters the same way.
_PADDING: dict[str, tuple[int, str]] = {
    "Company_Code": (3, "left"),
    "Customer_Code": (10, "left"),
    "Vendor_Code": (10, "left"),
    "Bill_Customer_Code": (10, "left"),
    "Job_Number": (10, "right"),
    "Phase_Code": (20, "left"),
    "Cost_Type": (3, "left"),
}


def padded(column: str, value: str) -> str:
    rule = _PADDING.get(column)
    if rule is None:
        return value
    width, justify = rule
    value = value.strip()
    return value.rjust(width) if justify == "right" else value.ljust(width)


_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


# ---------------------------------------------------------------------------------------------------
# Error translation: a clear cause and fix, retryable or not


_LOGIN_REFUSED = re.compile(
    r"login failed|password authentication failed|role \".*\" does not exist|no pg_hba\.conf entry"
    r"|authentication failed|28000",
    re.I,
)
_DRIVER_MISSING = re.compile(r"IM002|can't open lib|data source name not found|driver.*not (found|installed)", re.I)
_TABLE_MISSING = re.compile(r"42S02|42P01|invalid object name|relation \".*\" does not exist|no such table", re.I)
_NOT_GRANTED = re.compile(r"42501|permission (was )?denied|permission denied", re.I)
_TIMEOUT = re.compile(r"HYT00|HYT01|57014|timeout expired|statement timeout|canceling statement|query timeout", re.I)
_UNREACHABLE = re.compile(
    r"08001|08S01|08004|08006|could not connect|connection refused|server closed the connection|"
    r"network|tcp provider|could not translate host name|no route to host|database is locked|40001|deadlock",
    re.I,
)
_NO_DATABASE = re.compile(r"database \".*\" does not exist|cannot open database|unable to open database", re.I)


def _driver_text(exc: BaseException) -> str:
    args = getattr(exc, "args", ())
    return " ".join(str(a) for a in args) if args else str(exc)


def classify_error(exc: BaseException, config: DatabaseConfig, *, table: str = "") -> SpectrumError:
    """Turn a pyodbc / sqlite3 error into the connector's taxonomy, naming the cause and the fix."""
    raw = _driver_text(exc)
    detail = raw.replace(config.password, "********") if config.password else raw
    where = f"{config.host}{':' + str(config.port) if config.port else ''}/{config.database}"
    service = "database"
    if _DRIVER_MISSING.search(raw):
        return SpectrumConfigurationError(
            f"ODBC driver {config.driver!r} is not installed or not registered. Fix: install Microsoft ODBC "
            "Driver 18 for SQL Server (msodbcsql18) or FreeTDS (tdsodbc) with unixODBC, check `odbcinst -q -d` "
            "lists it, and use that exact name as the connection's driver.",
            service=service,
            detail=detail,
        )
    if config.driver == SQLITE_DRIVER and _NO_DATABASE.search(raw):
        return SpectrumConfigurationError(
            f"the demo store {config.database!r} cannot be opened. Fix: start the Spectrum simulator "
            "(`make run` creates and seeds it) or point the connection's database name at its SQLite file.",
            service=service,
            detail=detail,
        )
    if _NO_DATABASE.search(raw):
        return SpectrumConfigurationError(
            f"database {config.database!r} does not exist on {where} or this login may not open it. Fix: use the "
            "Spectrum database name (e.g. Spectrum_00xxxxx on Spectrum Cloud) and ask for Info-Link access to it.",
            service=service,
            detail=detail,
        )
    if _LOGIN_REFUSED.search(raw):
        return SpectrumAuthorizationError(
            f"the database refused login {config.user!r} on {where}. Fix: check the Info-Link user name "
            "(on Spectrum Cloud prefixed with the company code) and its password, and that Info-Link saved the user.",
            service=service,
            detail=detail,
            column="user",
        )
    if _NOT_GRANTED.search(raw):
        return SpectrumConfigurationError(
            f"login {config.user!r} may not read {table or 'a Spectrum table'}. Fix: in Info-Link give the user "
            f"read-only access to {table or 'the table'} (GRANT SELECT ON dbo.{table or '<table>'}); "
            "Spectrum Cloud: ask Trimble support for READ ONLY Info-Link access.",
            service=service,
            detail=detail,
        )
    if _TABLE_MISSING.search(raw):
        return SpectrumConfigurationError(
            f"table {table or '(unknown)'} does not exist in {config.database!r} or is not visible to "
            f"login {config.user!r}. Fix: check the database name, and that Info-Link granted read-only access "
            "to the table (a table the login may not see looks missing on SQL Server).",
            service=service,
            detail=detail,
        )
    if _TIMEOUT.search(raw):
        return SpectrumRetryableError(
            f"the Spectrum database on {where} did not answer within {config.timeout} s"
            f"{' reading ' + table if table else ''}. It will be retried; if it keeps happening raise the "
            "connection's timeout or poll outside Spectrum's busy hours.",
            service=service,
            detail=detail,
        )
    if _UNREACHABLE.search(raw) or isinstance(exc, OSError):
        return SpectrumRetryableError(
            f"cannot reach the Spectrum database on {where}. It will be retried; check host and port, the "
            "firewall, and on Spectrum Cloud that Trimble allow-listed this server's IP address.",
            service=service,
            detail=detail,
        )
    return SpectrumError(
        f"the Spectrum database failed{' reading ' + table if table else ''}: {detail}", service=service, detail=detail
    )


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
    ``find_document(kind, company, key)`` for reconciling exports; ``test()`` for the connection check.
    """

    def __init__(self, config: DatabaseConfig, *, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        self.config = config
        self.page_size = page_size
        self._conn: Any = None
        self._sqlite = config.driver == SQLITE_DRIVER

    # -- connection -------------------------------------------------------------------------------

    def _connect(self) -> Any:
        if self._conn is not None:
            return self._conn
        problems = self.config.problems()
        if problems:  # before unixODBC is asked to load anything
            raise SpectrumConfigurationError("; ".join(problems.values()), service="database")
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
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

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
            raise classify_error(exc, self.config, table=table) from exc

    def _fetch(self, cursor: Any, *, table: str) -> list[Any]:
        try:
            return list(cursor.fetchmany(FETCH_BATCH))
        except self._errors() as exc:
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

    def check_access(self, object_types: Sequence[str] = OBJECT_TYPES) -> dict[str, str]:
        """For each object type, "" when its table is readable, else the error message (for the admin)."""
        result: dict[str, str] = {}
        for object_type in object_types:
            table = self._query_for(object_type).table
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
        # Columns in the record's field order, so a row becomes positional arguments (the hot loop).
        fields = query.field_order()
        selected = _select_columns([query.columns[f] for f in fields], query.key)
        key_positions = [selected.index(k) for k in query.key]
        converters = [query.converter(f) for f in fields]
        make = query.record
        last: list[Any] | None = None
        while True:
            sql, params = self._page_sql(query, ", ".join(selected), company, last)
            cursor = self._run(sql, params, table=query.table)
            page: list[Any] = []
            while batch := self._fetch(cursor, table=query.table):
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
        where = ["Company_Code = ?"]
        params: list[Any] = [padded("Company_Code", company)]
        for name, value in key.items():
            column = spec.key_aliases.get(name, name)
            if not _IDENTIFIER.match(column) or column not in spec.key_aliases.values():
                raise ValueError(f"{kind} cannot be looked up by {name!r}; use {sorted(spec.key_aliases)}")
            where.append(f"{column} = ?")
            params.append(padded(column, str(value)))
        rows = self._all(f"SELECT * FROM {spec.table} WHERE {' AND '.join(where)}", params, spec.table)  # noqa: S608
        if not rows:
            return None
        document = rows[0]
        if spec.lines_table:
            join = " AND ".join(["Company_Code = ?", *(f"{c} = ?" for c in spec.lines_join)])
            join_params = [padded("Company_Code", company), *(padded(c, document[c]) for c in spec.lines_join)]
            sql = f"SELECT * FROM {spec.lines_table} WHERE {join}"  # noqa: S608 - names from DOCUMENT_KINDS
            document["lines"] = self._all(sql, join_params, spec.lines_table)
        elif len(rows) > 1:
            document["lines"] = [Row(r) for r in rows]  # e.g. every line of one PO receipt
        return document

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _query_for(object_type: str) -> ObjectQuery:
        try:
            return _QUERIES[object_type]
        except KeyError:
            raise ValueError(f"the database reader has no {object_type!r}; known: {sorted(_QUERIES)}") from None

    def _page_sql(
        self, query: ObjectQuery, select: str, company: str, last: Sequence[Any] | None
    ) -> tuple[str, list[Any]]:
        where = ["Company_Code = ?"]
        params: list[Any] = [padded("Company_Code", company)]
        for column, value in query.filters:
            where.append(f"{column} = ?")
            params.append(value)
        for column in query.non_empty:
            where.append(f"{column} IS NOT NULL AND {column} <> ?")
            params.append("")
        if last is not None:
            keyset, keyset_params = _keyset(query.key, last)
            where.append(keyset)
            params += keyset_params
        # Info-Link multi-company tables (docs/spectrum.md#access-model), keyset pagination instead of OFFSET paging.
        page = "LIMIT ?" if self._sqlite else "OFFSET 0 ROWS FETCH NEXT ? ROWS ONLY"
        sql = (
            f"SELECT {select} FROM {query.table} WHERE {' AND '.join(where)} "  # noqa: S608 - names from _QUERIES
            f"ORDER BY {', '.join(query.key)} {page}"
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
