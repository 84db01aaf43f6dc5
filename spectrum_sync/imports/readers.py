"""Which reader serves an object type for a tenant: the web services or the database.

The connection's ``read_source`` decides where both can read; object types with no Get web
service are read from the database, which therefore must be enabled for them. The engine only
sees an iterator of typed records (connectors/spectrum/records.py) per company.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from connectors.spectrum.errors import SpectrumConfigurationError
from connectors.spectrum.records import SpectrumRecord
from spectrum_sync import connections
from spectrum_sync.imports.declarations import ImportDeclaration
from spectrum_sync.models import SpectrumConnection, Tenant


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
    return "database" if uses_database(connection, declaration) else "web services"


def open_reader(tenant: Tenant, declaration: ImportDeclaration) -> RecordReader:
    connection = tenant.connection
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
