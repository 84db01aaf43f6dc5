"""Which reader serves an object type for a tenant: the web services or the database.

The connection's ``read_source`` decides where both can read; object types with no Get web
service are read from the database, which therefore must be enabled for them. Vendors from the web
services come through the documented REST Get Vendors (:class:`VendorReader`), the SOAP GetVendors
only when the connection chose it (``vendor_service``). The engine only sees an iterator of typed
records (connectors/spectrum/records.py) per company.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from connectors.spectrum.errors import SpectrumConfigurationError
from connectors.spectrum.records import SpectrumRecord
from spectrum_sync import connections
from spectrum_sync.imports.declarations import ImportDeclaration
from spectrum_sync.models import SpectrumConnection, Tenant

if TYPE_CHECKING:
    from connectors.spectrum.client import SpectrumClient
    from connectors.spectrum.database import SpectrumDatabase


class RecordReader(Protocol):
    """What SpectrumClient and SpectrumDatabase have in common for imports (shared contract)."""

    def iter_records(self, object_type: str, company: str) -> Iterator[SpectrumRecord]: ...

    def close(self) -> None: ...


def cut_replies(reader: RecordReader) -> int:
    """How many replies of this reader ended in a cut after a whole row (accepted as Spectrum's
    truncation quirk, but indistinguishable from a server that stopped mid-reply). The database
    reader has none: a broken result set is an error there."""
    return int(getattr(reader, "cut_replies", 0))


def uses_database(connection: SpectrumConnection, declaration: ImportDeclaration) -> bool:
    if connection.read_source == SpectrumConnection.ReadSource.DATABASE:
        return True
    return not declaration.web_services


def source_name(connection: SpectrumConnection, declaration: ImportDeclaration) -> str:
    if uses_database(connection, declaration):
        return "database"
    if reads_vendors_by_rest(connection, declaration):
        return "REST Get Vendors" + (" and the database" if connection.db_enabled else "")
    return "web services"


class VendorReader:
    """Vendors through the documented REST Get Vendors, which returns active vendors only
    (docs/spectrum.md#get-vendors-rest); when the connection has the database, the inactive vendors and
    any other the web service did not return come from the database (VN_VENDOR_MASTER_MC).

    Without the database the read cannot see inactive vendors: a vendor made inactive would look
    deleted. Such a read counts as incomplete (``partial_reads``, included in ``cut_replies``), so the
    poll computes no deletions from it.
    """

    def __init__(self, client: SpectrumClient, database: SpectrumDatabase | None) -> None:
        self.client = client
        self.database = database
        self.partial_reads = 0
        self.partial_companies: list[str] = []

    @property
    def cut_replies(self) -> int:
        return self.client.cut_replies + self.partial_reads

    def iter_records(self, object_type: str, company: str) -> Iterator[SpectrumRecord]:
        if object_type != "vendor":
            raise SpectrumConfigurationError(f"the vendor reader cannot read {object_type!r}")
        seen: set[str] = set()
        for vendor in self.client.iter_vendors_rest(company):
            seen.add(vendor.key)
            yield vendor
        if self.database is None:
            self.partial_reads += 1
            self.partial_companies.append(company)
            return
        for record in self.database.iter_records("vendor", company):
            if record.key not in seen:
                yield record

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.database is not None:
                self.database.close()


def incomplete_notice(reader: RecordReader, company: str) -> str:
    """Why this reader's read of ``company`` computed no deletions, when it is not a cut reply ("" else)."""
    if company in getattr(reader, "partial_companies", ()):
        return (
            f"Spectrum's REST Get Vendors returns active vendors only, and this connection has no database "
            f"access for the others: the vendors read for company {company} were delivered, but none was "
            "deleted (an inactivated vendor is not a deleted one)."
        )
    return ""


def reads_vendors_by_rest(connection: SpectrumConnection, declaration: ImportDeclaration) -> bool:
    """REST Get Vendors is the default; the undocumented SOAP GetVendors only when the connection chose it."""
    return declaration.object_type == "vendor" and connection.vendor_service != SpectrumConnection.VendorService.SOAP


def open_reader(tenant: Tenant, declaration: ImportDeclaration) -> RecordReader:
    connection = tenant.connection
    if not uses_database(connection, declaration) and reads_vendors_by_rest(connection, declaration):
        database = connections.spectrum_database(tenant) if connection.db_enabled else None
        return VendorReader(connections.spectrum_client(tenant), database)
    if not uses_database(connection, declaration):
        return connections.spectrum_client(tenant)
    database = connections.spectrum_database(tenant) if connection.db_enabled else None
    if database is None:
        raise SpectrumConfigurationError(
            f"{declaration.label} has no Spectrum Get web service and can only be read from the Spectrum "
            "database; enable the database (Info-Link) connection of this tenant."
        )
    return database


@contextmanager
def reading(tenant: Tenant, declaration: ImportDeclaration) -> Iterator[RecordReader]:
    reader = open_reader(tenant, declaration)
    try:
        yield reader
    finally:
        reader.close()
