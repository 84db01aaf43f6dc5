"""One object, two roads: the web services and the database give equal records.

The Data Exchange simulator (SOAP Gets over loopback HTTP, read by ``SpectrumClient``) and the ODBC
reader (pyodbc -> unixODBC -> PostgreSQL ODBC driver) run on the very same seeded PostgreSQL store,
so the import engine can switch a tenant between them without seeing a single change.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from connectors.spectrum.database import SpectrumDatabase
from connectors.spectrum.records import SpectrumRecord
from tests.fixtures_spectrum import SpectrumSimulatorHandle, spectrum_simulator  # noqa: F401
from tests.fixtures_spectrum_db import SpectrumDB, spectrum_db  # noqa: F401

pytestmark = pytest.mark.timeout(120)

# What only the database knows: GetPhase returns the current estimate only (docs/spectrum.md#getphase), and
# without a cost-type Get the web services know the codes in use, not their descriptions.
DATABASE_ONLY = {
    "phase": ("original_estimated_dollars",),
    "budget": ("original_estimated_dollars",),
    "cost_type": ("description", "abbreviation"),
}


def comparable(records: list[SpectrumRecord], object_type: str) -> dict[str, dict[str, Any]]:
    blank = dict.fromkeys(DATABASE_ONLY.get(object_type, ()))
    return {r.key: {**dataclasses.asdict(r), **blank} for r in records}


@pytest.mark.parametrize("object_type", ["customer", "vendor", "job", "phase", "budget", "job_cost", "cost_type"])
@pytest.mark.parametrize("company", ["DC1", "DC2"])
def test_web_services_and_database_give_equal_records(
    spectrum_db: SpectrumDB,  # noqa: F811
    spectrum_simulator: SpectrumSimulatorHandle,  # noqa: F811
    object_type: str,
    company: str,
) -> None:
    from_web = list(spectrum_simulator.client().iter_records(object_type, company))
    with SpectrumDatabase(spectrum_db.odbc_config) as db:
        from_db = list(db.iter_records(object_type, company))
    assert from_web, "the seed has rows for every object both roads read"
    assert comparable(from_web, object_type) == comparable(from_db, object_type)


def test_a_change_in_spectrum_reads_alike_both_ways(
    spectrum_db: SpectrumDB,  # noqa: F811
    spectrum_simulator: SpectrumSimulatorHandle,  # noqa: F811
) -> None:
    store = spectrum_db.store
    customer = store.find("CR_CUSTOMER_MASTER_MC", Company_Code="DC1")[0]
    key = {"Company_Code": "DC1", "Customer_Code": customer["Customer_Code"]}
    store.update("CR_CUSTOMER_MASTER_MC", key, {"Name": "Changed Name", "Customer_Email": None, "Status": "I"})
    with SpectrumDatabase(spectrum_db.odbc_config) as db:
        from_db = {r.key: r for r in db.iter_records("customer", "DC1")}
    from_web = {r.key: r for r in spectrum_simulator.client().iter_records("customer", "DC1")}
    changed = f"DC1|{customer['Customer_Code']}"
    assert from_db[changed] == from_web[changed]
    assert from_db[changed].name == "Changed Name"  # type: ignore[attr-defined]
    assert from_db[changed].email == ""  # type: ignore[attr-defined]
    assert from_db[changed].status == "Inactive"  # type: ignore[attr-defined]
