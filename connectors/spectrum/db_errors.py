"""Database errors in the connector's taxonomy: each pyodbc / sqlite3 failure names its cause and its fix."""

from __future__ import annotations

import re

from connectors.spectrum.config import DEMO_DRIVER, DatabaseConfig
from connectors.spectrum.errors import (
    SpectrumAuthorizationError,
    SpectrumConfigurationError,
    SpectrumError,
    SpectrumRetryableError,
)

SQLITE_DRIVER = DEMO_DRIVER


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
