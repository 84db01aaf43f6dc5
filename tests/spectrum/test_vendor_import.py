"""Vendor imports through the documented REST Get Vendors (docs/spectrum.md#get-vendors-rest): the
active vendors from the web service, the inactive ones from the database when the connection has
one, and the undocumented SOAP GetVendors only when the connection chose it.

Real Spectrum simulator (PostgreSQL store, read through ODBC for the database part), real platform
simulator, the poll run in this process.
"""

from __future__ import annotations

from typing import Any

import pytest

from spectrum_sync.imports import actions
from spectrum_sync.models import SpectrumConnection, SyncRun, Tenant
from tests.fixtures_platform import platform_simulator  # noqa: F401
from tests.fixtures_spectrum import spectrum_simulator  # noqa: F401
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401

VENDORS = "VN_VENDOR_MASTER_MC"


@pytest.fixture
def wired(tenant: Tenant, spectrum_db: Any, spectrum_simulator: Any, platform_simulator: Any) -> Tenant:  # noqa: F811
    spectrum_simulator.use_for(tenant)
    platform_simulator.use_for(tenant)
    connection = tenant.connection
    connection.company_codes = "DC1"
    connection.save()
    tenant.refresh_from_db()
    return tenant


def with_database(tenant: Tenant, spectrum_db: Any) -> None:  # noqa: F811
    odbc = spectrum_db.odbc_config
    connection = tenant.connection
    connection.db_enabled = True
    connection.db_driver, connection.db_host, connection.db_port = odbc.driver, odbc.host, odbc.port
    connection.db_name, connection.db_user, connection.db_password = odbc.database, odbc.user, odbc.password
    connection.save()
    tenant.refresh_from_db()


def vendor_keys(spectrum: Any, status: str | None = None) -> set[str]:
    rows = spectrum.store.find(VENDORS, Company_Code="DC1")
    return {f"DC1|{str(r['Vendor_Code']).strip()}" for r in rows if status is None or r["Status"] == status}


def requests(spectrum: Any, service: str) -> int:
    return int(spectrum.counters()["requests"].get(service, 0))


def test_vendors_come_through_rest_get_vendors_and_an_inactivated_one_is_not_deleted(
    wired: Tenant,
    spectrum_simulator: Any,  # noqa: F811
    platform_simulator: Any,  # noqa: F811
) -> None:
    spectrum, platform = spectrum_simulator, platform_simulator
    run = actions.run_in_foreground(wired, "vendor")
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert requests(spectrum, "GetVendors(REST)") >= 1 and requests(spectrum, "GetVendors") == 0
    delivered = platform.state("acme", "vendors")
    assert set(delivered) == vendor_keys(spectrum, "A")  # the page: active vendors only

    # Inactivated in Spectrum: REST Get Vendors no longer returns it, and without the database
    # nothing says it still exists, so nothing may be deleted on the platform.
    key = sorted(vendor_keys(spectrum, "A"))[0]
    spectrum.store.update(VENDORS, {"Company_Code": "DC1", "Vendor_Code": key.split("|")[1]}, {"Status": "I"})
    again = actions.run_in_foreground(wired, "vendor")
    assert again.status == SyncRun.Status.SUCCEEDED, again.error
    assert again.deleted_count == 0
    assert not [i for i in platform.items("acme", "vendors") if i["action"] == "delete"]
    assert key in platform.state("acme", "vendors")


def test_inactive_vendors_come_from_the_database(
    wired: Tenant,
    spectrum_db: Any,  # noqa: F811
    spectrum_simulator: Any,  # noqa: F811
    platform_simulator: Any,  # noqa: F811
) -> None:
    spectrum, platform = spectrum_simulator, platform_simulator
    with_database(wired, spectrum_db)
    inactive = vendor_keys(spectrum, "I")
    assert inactive  # the seed has some

    run = actions.run_in_foreground(wired, "vendor")

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert requests(spectrum, "GetVendors(REST)") >= 1 and requests(spectrum, "GetVendors") == 0
    delivered = platform.state("acme", "vendors")
    assert set(delivered) == vendor_keys(spectrum)
    assert {delivered[k]["active"] for k in inactive} == {False}
    assert {delivered[k]["active"] for k in vendor_keys(spectrum, "A")} == {True}


def test_soap_getvendors_only_when_the_connection_chose_it(
    wired: Tenant,
    spectrum_simulator: Any,  # noqa: F811
    platform_simulator: Any,  # noqa: F811
) -> None:
    spectrum = spectrum_simulator
    SpectrumConnection.objects.filter(tenant=wired).update(vendor_service=SpectrumConnection.VendorService.SOAP)
    wired.refresh_from_db()

    run = actions.run_in_foreground(wired, "vendor")

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert requests(spectrum, "GetVendors") >= 1 and requests(spectrum, "GetVendors(REST)") == 0


def test_a_rest_only_read_says_why_it_deleted_nothing(
    wired: Tenant,
    spectrum_simulator: Any,  # noqa: F811
    platform_simulator: Any,  # noqa: F811
) -> None:
    from spectrum_sync.imports import readers
    from spectrum_sync.imports.declarations import DECLARATIONS

    with readers.reading(wired, DECLARATIONS["vendor"]) as reader:
        assert isinstance(reader, readers.VendorReader)
        before = readers.cut_replies(reader)
        assert list(reader.iter_records("vendor", "DC1"))
        assert readers.cut_replies(reader) == before + 1  # the poll computes no deletions from it
        assert "active vendors only" in readers.incomplete_notice(reader, "DC1")
        assert readers.incomplete_notice(reader, "DC2") == ""  # not read: nothing to explain
