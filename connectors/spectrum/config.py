"""Plain connection settings handed to the connector (no Django inside ``connectors/``).

The engine builds these from a tenant's ``SpectrumConnection`` row (decrypted secrets included)
and passes them in; the connector never reads the database of this service.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from connectors.outbound import OutboundPolicy


@dataclass(frozen=True)
class DataExchangeConfig:
    """How to reach Spectrum's Data Exchange web services (docs/spectrum.md#endpoints,
    #authorization-id-and-guid, #authentication)."""

    base_url: str  # e.g. https://spectrum.example.com:8482 (no trailing slash needed)
    authorization_id: str
    company_codes: tuple[str, ...]
    auth_mode: str = "basic"  # "basic" or "enhanced"
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    secret_expires_at: datetime | None = None
    verify_tls: bool = True
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    # Seconds from sending a request to the last byte of its reply (connectors/deadline.py): the
    # read timeout bounds each socket read, so without this a reply that drips in a byte at a time
    # holds the worker for ever. Below the export lease (120 s) so a held worker gives up before
    # another may take its document over; above the read timeout, which bounds the first byte.
    reply_deadline: float = 90.0
    # A streamed Get instead must keep up get_min_rate bytes a second, with reply_deadline seconds
    # of slack (connectors/deadline.py): a big healthy reply is never cut, a drip is.
    get_min_rate: float = 16 * 1024
    tenant: str = ""  # for logs only
    allowed_hosts: tuple[str, ...] = ()  # when non-empty, refuse any other host
    # Where requests may go (connectors/outbound.py). None: the allowed_hosts above when set,
    # else this machine only (a client built by a tool or a test, never for a tenant).
    outbound: OutboundPolicy | None = None

    @property
    def policy(self) -> OutboundPolicy:
        if self.outbound is not None:
            return self.outbound
        return OutboundPolicy.build(self.allowed_hosts) if self.allowed_hosts else OutboundPolicy.loopback_only()

    def __repr__(self) -> str:  # never print the Authorization ID
        return (
            f"DataExchangeConfig(base_url={self.base_url!r}, companies={self.company_codes!r}, tenant={self.tenant!r})"
        )

    @property
    def default_company(self) -> str:
        return self.company_codes[0] if self.company_codes else ""


# ODBC drivers are libraries unixODBC loads into the worker: only registered names from a list the
# operator controls, never a path. "PostgreSQL Unicode" is the psqlODBC stand-in the tests read.
ODBC_DRIVERS = ("ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server", "FreeTDS", "PostgreSQL Unicode")
DEMO_DRIVER = "sqlite3"  # the demo's SQLite reader (connectors/spectrum/database.py): development only
# Extra connection-string attributes a connection may set; DRIVER, DSN, FILEDSN, SAVEFILE and the
# like would choose another library or write files, so they are not among them.
ODBC_OPTION_KEYS = (
    "Encrypt",
    "TrustServerCertificate",
    "HostNameInCertificate",
    "ApplicationIntent",
    "MultiSubnetFailover",
    "LoginTimeout",
    "TDS_Version",
    "ClientCharset",
    "sslmode",
)
_OPTION_VALUE = re.compile(r"^[\w .:/@-]*$")


def odbc_problems(
    driver: str, options: str, drivers: Iterable[str] = ODBC_DRIVERS, option_keys: Iterable[str] = ODBC_OPTION_KEYS
) -> dict[str, str]:
    """What is wrong with an ODBC driver name and extra options: {"driver" | "options": words}."""
    problems: dict[str, str] = {}
    known = list(drivers)
    if driver.casefold() not in {d.casefold() for d in known}:
        problems["driver"] = f"driver {driver!r} is not one of the allowed ODBC drivers: {', '.join(known)}"
    keys = {k.casefold(): k for k in option_keys}
    for part in filter(None, (p.strip() for p in options.split(";"))):
        key, equals, value = part.partition("=")
        if not equals or key.strip().casefold() not in keys:
            problems["options"] = f"option {key.strip()!r} is not allowed; allowed options: {', '.join(keys.values())}"
            break
        if not _OPTION_VALUE.match(value.strip()):
            problems["options"] = f"the value of {key.strip()} may hold letters, digits, spaces and . : / @ - only"
            break
    return problems


@dataclass(frozen=True)
class DatabaseConfig:
    """An Info-Link read-only login over ODBC (docs/spectrum.md#info-link-database)."""

    driver: str  # e.g. "ODBC Driver 18 for SQL Server", "FreeTDS", "PostgreSQL Unicode"
    host: str
    port: int | None
    database: str
    user: str
    password: str = field(default="", repr=False)
    options: str = ""  # extra ODBC attributes, "Encrypt=yes;TrustServerCertificate=no"
    timeout: int = 15
    tenant: str = ""
    drivers: tuple[str, ...] = ODBC_DRIVERS  # the allowed driver names (settings: SPECTRUM_ODBC_DRIVERS)
    option_keys: tuple[str, ...] = ODBC_OPTION_KEYS  # settings: SPECTRUM_ODBC_OPTION_KEYS

    def problems(self) -> dict[str, str]:
        return odbc_problems(self.driver, self.options, self.drivers, self.option_keys)

    def __repr__(self) -> str:
        return (
            f"DatabaseConfig(driver={self.driver!r}, host={self.host!r}, "
            f"database={self.database!r}, user={self.user!r})"
        )
