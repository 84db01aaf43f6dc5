"""Info-Link schema discovery (docs/spectrum.md#info-link-schema): the names each object type reads are
found in the database's catalog on either naming the simulator presents, the reader then reads with
them, a missing table switches its poll off (and on again once an override names it), and the
onboarding page and the connection form say so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors.spectrum.config import DatabaseConfig
from connectors.spectrum.database import SpectrumDatabase
from connectors.spectrum.errors import SpectrumConfigurationError
from connectors.spectrum.schema import SNAPSHOT, Schema, discover, override_problems
from connectors.spectrum.simulator.seed import seed
from connectors.spectrum.simulator.store import Store
from connectors.spectrum.tables import OBJECT_TYPES
from spectrum_sync.connections import spectrum_database
from spectrum_sync.models import PollSchedule, SpectrumConnection, Tenant
from spectrum_sync.notifications.health import check_connection
from tests.admin.test_tenant_lifecycle import tenant_form
from tests.fixtures_spectrum_db import SpectrumDB, _base_name, _drop, make_spectrum_db, spectrum_db  # noqa: F401

DEPARTMENTS_DC2 = [("10", "Construction"), ("20", "Service"), ("40", "Fabrication")]


@pytest.fixture
def public_db() -> Iterator[SpectrumDB]:
    """The simulator's database with the public snapshot's names (GL_MASTER_MC, GL_DEPARTMENT_MC, ...)."""
    handle = make_spectrum_db(name=_base_name() + "_public", naming="public")
    try:
        yield handle
    finally:
        handle.store.close()
        _drop(handle.name)


def sql(db: SpectrumDB, *statements: str) -> None:
    with psycopg.connect(db.url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def departments(reader: SpectrumDatabase, company: str = "DC2") -> list[tuple[str, str]]:
    return [(d.department, d.description) for d in reader.iter_records("gl_department", company)]  # type: ignore[attr-defined]


# --- Discovery and reading, on both namings --------------------------------------------------------


def test_our_naming_resolves_to_our_names_and_reads_as_before(spectrum_db: SpectrumDB) -> None:  # noqa: F811
    with SpectrumDatabase(spectrum_db.odbc_config) as reader:
        report = discover(reader, OBJECT_TYPES)
        assert report.unresolved == []
        assert report.objects["gl_account"].tables == {"GL_ACCOUNT_MASTER_MC": "GL_ACCOUNT_MASTER_MC (our reading)"}
        assert all(r.ready for r in report.documents.values())
        assert report.schema.names("GL_ACCOUNT_MASTER_MC").table == "GL_ACCOUNT_MASTER_MC"
        reader.schema = report.schema
        assert departments(reader) == DEPARTMENTS_DC2


def test_public_naming_resolves_to_the_snapshot_names_and_the_reader_reads_the_seeded_rows(
    public_db: SpectrumDB,
) -> None:
    # Negative control: without discovery the reader asks for our name, which this database lacks.
    with (
        SpectrumDatabase(public_db.odbc_config) as plain,
        pytest.raises(SpectrumConfigurationError, match="GL_DEPARTMENT_MASTER_MC does not exist"),
    ):
        departments(plain)

    with SpectrumDatabase(public_db.odbc_config) as reader:
        report = discover(reader, OBJECT_TYPES)
        assert report.unresolved == []
        assert report.objects["gl_account"].tables == {"GL_ACCOUNT_MASTER_MC": f"GL_MASTER_MC ({SNAPSHOT})"}
        assert report.objects["gl_department"].tables == {"GL_DEPARTMENT_MASTER_MC": f"GL_DEPARTMENT_MC ({SNAPSHOT})"}
        assert report.documents["subcontract"].tables["VN_SUBCONTRACT_DETAIL_MC"].startswith("VN_SUBCONTRACT_PHASE_MC")
        reader.schema = report.schema

        assert departments(reader) == DEPARTMENTS_DC2
        accounts = {a.gl_account: a for a in reader.iter_records("gl_account", "DC1")}  # type: ignore[attr-defined]
        seeded = [r for r in public_db.seed_rows["GL_ACCOUNT_MASTER_MC"] if r["Company_Code"] == "DC1"]
        assert set(accounts) == {r["GL_Account"] for r in seeded}
        assert accounts["104000"].account_type == "I"  # type: ignore[attr-defined]

        line = public_db.seed_rows["VN_SUBCONTRACT_DETAIL_MC"][0]
        found = reader.find_document(
            "subcontract",
            line["Company_Code"],
            {"vendor_code": line["Vendor_Code"], "subcontract_number": line["Subcontract_Number"]},
        )
        assert found is not None
        assert [(r["Phase_Code"], r["Bill_Description"]) for r in found["lines"]] == [("0500", "Steel erection")]


def test_the_demo_sqlite_store_is_discovered_through_its_own_catalog(tmp_path: Path) -> None:
    path = tmp_path / "spectrum.sqlite3"
    with Store.open(f"sqlite:///{path}", naming="public") as store:
        store.create_schema()
        seed(store, "demo")
    config = DatabaseConfig(driver="sqlite3", host="", port=None, user="", database=str(path), drivers=("sqlite3",))
    with SpectrumDatabase(config) as reader:
        report = discover(reader, OBJECT_TYPES)
        assert report.unresolved == []
        assert report.schema.names("GL_DEPARTMENT_MASTER_MC").table == "GL_DEPARTMENT_MC"
        reader.schema = report.schema
        assert departments(reader) == DEPARTMENTS_DC2


def test_a_column_resolves_to_its_public_candidate_and_one_without_a_candidate_is_missing(
    spectrum_db: SpectrumDB,  # noqa: F811
) -> None:
    sql(spectrum_db, "ALTER TABLE cr_customer_master_mc DROP COLUMN contact_phone CASCADE")
    with SpectrumDatabase(spectrum_db.odbc_config) as reader:
        report = discover(reader, ["customer"])
        assert report.objects["customer"].ready
        reader.schema = report.schema
        phones = {c.customer_code: c.phone_number for c in reader.iter_records("customer", "DC1")}  # type: ignore[attr-defined]
    seeded = {
        r["Customer_Code"]: r["Phone"]
        for r in spectrum_db.seed_rows["CR_CUSTOMER_MASTER_MC"]
        if r["Company_Code"] == "DC1"
    }
    assert phones == {code: phone or "" for code, phone in seeded.items()}

    sql(spectrum_db, "ALTER TABLE cr_customer_master_mc DROP COLUMN contact_first_name CASCADE")
    with SpectrumDatabase(spectrum_db.odbc_config) as reader:
        missing = discover(reader, ["customer", "vendor"]).objects
    assert missing["customer"].missing == [
        "column Contact_First_Name is not in table CR_CUSTOMER_MASTER_MC (looked for Contact_First_Name)"
    ]
    assert missing["vendor"].ready  # the same column name in another table is not affected


def test_overrides_are_checked_before_they_are_saved() -> None:
    usable = {"GL_ACCOUNT_MASTER_MC": "GL_MASTER_MC", "cr_customer_master_mc.contact_phone": "Phone"}
    assert override_problems(usable) == []
    assert override_problems(["GL_MASTER_MC"])
    assert override_problems({"GL_ACCOUNT": "Account_Code"}) == []  # a column: GL_Account, in every table
    [unknown] = override_problems({"GL_MASTER": "GL_MASTER_MC"})
    assert unknown.startswith("GL_MASTER: not a table or column Spectrum Sync reads")
    [injected] = override_problems({"GL_ACCOUNT_MASTER_MC": "GL_MASTER_MC; DROP TABLE x"})
    assert "is not a table or column name" in injected
    # A stored report that was tampered with is never used as SQL.
    assert Schema.from_json({"GL_ACCOUNT_MASTER_MC": {"table": "x; DROP TABLE y", "columns": {}}}).tables == {}


# --- The health check switches polls off and on ----------------------------------------------------


def use_database(tenant: Tenant, db: SpectrumDB) -> SpectrumConnection:
    connection: SpectrumConnection = tenant.connection
    config = db.odbc_config
    connection.db_enabled = True
    connection.db_driver, connection.db_host, connection.db_port = config.driver, config.host, config.port
    connection.db_name, connection.db_user, connection.db_password = config.database, config.user, "pw"
    connection.company_codes = ""  # no web services in these tests
    connection.save()
    for object_type in ("gl_account", "gl_department"):
        PollSchedule.objects.create(tenant=tenant, object_type=object_type, next_due_at=timezone.now())
    return connection


def enabled(tenant: Tenant) -> dict[str, bool]:
    return dict(PollSchedule.objects.filter(tenant=tenant).values_list("object_type", "enabled"))


@pytest.mark.django_db
def test_all_tables_present_keeps_every_poll_on(tenant: Tenant, settings: Any, spectrum_db: SpectrumDB) -> None:  # noqa: F811
    settings.SPECTRUM_ODBC_DRIVERS = [spectrum_db.odbc_config.driver]
    connection = use_database(tenant, spectrum_db)
    report = check_connection(tenant, alert=False)
    assert report.database["switched_off"] == []
    assert not [p for p in report.problems if "switched off" in p]
    assert enabled(tenant) == {"gl_account": True, "gl_department": True}
    connection.refresh_from_db()
    assert connection.schema_checked_at is not None
    assert connection.schema_report["objects"]["gl_department"]["ready"] is True


@pytest.mark.django_db
def test_a_missing_table_switches_its_poll_off_until_an_override_names_it(
    tenant: Tenant,
    settings: Any,
    spectrum_db: SpectrumDB,  # noqa: F811
) -> None:
    settings.SPECTRUM_ODBC_DRIVERS = [spectrum_db.odbc_config.driver]
    sql(spectrum_db, "DROP VIEW gl_department_master", "ALTER TABLE gl_department_master_mc RENAME TO gl_class_mc")
    connection = use_database(tenant, spectrum_db)

    report = check_connection(tenant, alert=False)
    assert report.database["switched_off"] == ["gl_department"]
    [problem] = [p for p in report.problems if "switched off" in p]
    assert problem.startswith("The GL department (class) poll is switched off")
    assert "looked for GL_DEPARTMENT_MASTER_MC and GL_DEPARTMENT_MC" in problem
    assert enabled(tenant) == {"gl_account": True, "gl_department": False}
    connection.refresh_from_db()
    assert connection.schema_report["switched_off"] == ["gl_department"]
    assert connection.last_health_detail["database"]["switched_off"] == ["gl_department"]

    # Another check finds the same: the poll stays off (and is still named), the other stays on.
    again = check_connection(tenant, alert=False)
    assert again.database["switched_off"] == ["gl_department"]
    assert enabled(tenant) == {"gl_account": True, "gl_department": False}

    connection.schema_overrides = {"GL_DEPARTMENT_MASTER_MC": "GL_CLASS_MC"}
    connection.save()
    fixed = check_connection(tenant, alert=False)
    assert fixed.database["switched_off"] == []
    assert "The GL department (class) poll is switched on again" in " ".join(fixed.notes)
    assert enabled(tenant) == {"gl_account": True, "gl_department": True}
    # The import path reads with what the check resolved.
    tenant.refresh_from_db()
    database = spectrum_database(tenant)
    assert database is not None
    with database:
        assert departments(database) == DEPARTMENTS_DC2


# --- The admin: onboarding and the connection form -------------------------------------------------


@pytest.mark.django_db
def test_onboarding_shows_each_object_type_ready_or_missing(
    tenant: Tenant,
    settings: Any,
    admin_client: Client,
    spectrum_db: SpectrumDB,  # noqa: F811
) -> None:
    settings.SPECTRUM_ODBC_DRIVERS = [spectrum_db.odbc_config.driver]
    use_database(tenant, spectrum_db)
    url = reverse("admin:spectrum_sync_tenant_onboarding", args=[tenant.pk])
    assert "Not checked yet" in admin_client.get(url).content.decode()

    check_connection(tenant, alert=False)
    page = admin_client.get(url).content.decode()
    assert "Every object type is ready." in page
    assert "GL department (class): ready (GL_DEPARTMENT_MASTER_MC (our reading))" in page

    sql(spectrum_db, "DROP VIEW gl_account_master", "DROP TABLE gl_account_master_mc")
    admin_client.post(url, {"step": "schema"})  # "Test again" on the step
    page = admin_client.get(url).content.decode()
    assert "Not ready: GL account." in page
    assert "GL account: missing: table GL_ACCOUNT_MASTER_MC is not in the database" in page
    assert "its poll is switched off" in page
    assert "GL department (class): ready" in page


@pytest.mark.django_db
def test_connection_form_refuses_an_override_it_cannot_use(tenant: Tenant, admin_client: Client) -> None:
    url, data = tenant_form(admin_client, tenant)
    data |= {"poll_schedules-TOTAL_FORMS": "0", "poll_schedules-INITIAL_FORMS": "0"}  # zeros are not sent back
    data["connection-0-schema_overrides"] = '{"GL_MASTER": "GL_MASTER_MC"}'
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "GL_MASTER: not a table or column Spectrum Sync reads" in response.content.decode()
    tenant.connection.refresh_from_db()
    assert tenant.connection.schema_overrides == {}

    data["connection-0-schema_overrides"] = '{"GL_ACCOUNT_MASTER_MC": "GL_MASTER_MC"}'
    assert admin_client.post(url, data).status_code == 302
    tenant.connection.refresh_from_db()
    assert tenant.connection.schema_overrides == {"GL_ACCOUNT_MASTER_MC": "GL_MASTER_MC"}
