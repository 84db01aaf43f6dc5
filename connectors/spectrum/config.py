"""Plain connection settings handed to the connector (no Django inside ``connectors/``).

The engine builds these from a tenant's ``SpectrumConnection`` row (decrypted secrets included)
and passes them in; the connector never reads the database of this service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class DataExchangeConfig:
    """How to reach Spectrum's Data Exchange web services (reference 1.2, 1.5, 1.6)."""

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

    def __repr__(self) -> str:  # never print the Authorization ID
        return (
            f"DataExchangeConfig(base_url={self.base_url!r}, companies={self.company_codes!r}, tenant={self.tenant!r})"
        )

    @property
    def default_company(self) -> str:
        return self.company_codes[0] if self.company_codes else ""


@dataclass(frozen=True)
class DatabaseConfig:
    """An Info-Link read-only login over ODBC (reference section 3)."""

    driver: str  # e.g. "ODBC Driver 18 for SQL Server", "FreeTDS", "PostgreSQL Unicode"
    host: str
    port: int | None
    database: str
    user: str
    password: str = field(default="", repr=False)
    options: str = ""  # extra ODBC attributes, "Encrypt=yes;TrustServerCertificate=no"
    timeout: int = 15
    tenant: str = ""

    def __repr__(self) -> str:
        return (
            f"DatabaseConfig(driver={self.driver!r}, host={self.host!r}, "
            f"database={self.database!r}, user={self.user!r})"
        )
