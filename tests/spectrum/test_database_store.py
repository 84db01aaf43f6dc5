"""The Spectrum-shaped store behind both simulators: same rows and types on SQLite and PostgreSQL,
padded keys, single-company views, and the helpers the simulators and import tests change rows with."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pyodbc
import pytest

from connectors.spectrum.database import connection_string
from connectors.spectrum.simulator.seed import build, seed
from connectors.spectrum.simulator.store import TABLES, Store, ddl, pad, qmark_to_format
from tests.fixtures_spectrum_db import SpectrumDB, spectrum_db  # noqa: F401

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'spectrum.sqlite3'}")
    store.create_schema()
    seed(store, "demo")
    return store


def test_seed_is_deterministic_and_covers_both_companies() -> None:
    first, second = build("demo"), build("demo")
    assert first == second
    for table in ("CR_CUSTOMER_MASTER_MC", "GL_ACCOUNT_MASTER_MC", "JC_PHASE_MASTER_MC", "CR_PAY_ADJUST_HISTORY_MC"):
        assert {r["Company_Code"] for r in first[table]} == {"DC1", "DC2"}, table
    # Visits and the UDFs of the UDF-only services are what our exports write; they start empty
    # (docs/spectrum.md#tables-only-the-simulator-writes).
    written_by_exports = {
        "SC_CONTRACT_VISIT_MC",
        "SC_VISIT_TASK_MC",
        "JC_PHASE_UDF_MC",
        "VN_SUBCONTRACT_UDF_MC",
        "WO_HEADER_UDF_MC",
        "SC_CONTRACT_UDF_MC",
    }
    assert all(first[t.name] for t in TABLES if t.name not in written_by_exports), "every table has demo rows"
    assert not any(first.get(name) for name in written_by_exports)


def test_sqlite_and_postgresql_return_the_same_rows_and_types(
    sqlite_store: Store,
    spectrum_db: SpectrumDB,  # noqa: F811
) -> None:
    for table in ("JC_PHASE_MASTER_MC", "CR_PAY_ADJUST_HISTORY_MC", "VN_GL_DISTRIBUTION_HEADER_MC"):
        sql = f"SELECT * FROM {table} WHERE Company_Code = ? ORDER BY {', '.join(Store.table(table).key)}"  # noqa: S608
        lite = sqlite_store.query(sql, ["DC1"])
        pg = spectrum_db.store.query(sql, ["DC1"])
        assert lite == pg, table
    phase = spectrum_db.store.query("SELECT * FROM JC_PHASE_MASTER_MC ORDER BY Job_Number")[0]
    assert isinstance(phase["Current_Est_Cost"], Decimal) and phase["Current_Est_Cost"].as_tuple().exponent == -2
    receipt = sqlite_store.query("SELECT Reference_Date FROM CR_PAY_ADJUST_HISTORY_MC")[0]
    assert isinstance(receipt["Reference_Date"], date)


def test_helpers_pad_keys_and_change_rows(sqlite_store: Store) -> None:
    key = {"Company_Code": "DC1", "Job_Number": "99001"}
    sqlite_store.insert("JC_JOB_MASTER_MC", {**key, "Job_Description": "New job", "Status_Code": "A"})
    raw = sqlite_store.query(
        "SELECT Job_Number FROM JC_JOB_MASTER_MC WHERE Job_Number = ?", [pad("Job_Number", "99001")]
    )
    assert raw == [{"Job_Number": "     99001"}]
    assert sqlite_store.find("JC_JOB_MASTER_MC", Job_Number="99001")[0]["Job_Description"] == "New job"
    assert sqlite_store.update("JC_JOB_MASTER_MC", key, {"Status_Code": "C"}) == 1
    assert sqlite_store.get("JC_JOB_MASTER_MC", key)["Status_Code"] == "C"  # type: ignore[index]
    assert sqlite_store.upsert("JC_JOB_MASTER_MC", {**key, "Job_Description": "Renamed"}) is False
    assert sqlite_store.upsert("JC_JOB_MASTER_MC", {"Company_Code": "DC1", "Job_Number": "99002"}) is True
    assert sqlite_store.delete("JC_JOB_MASTER_MC", key) == 1
    assert sqlite_store.get("JC_JOB_MASTER_MC", key) is None
    with pytest.raises(KeyError, match="no column"):
        sqlite_store.insert("JC_JOB_MASTER_MC", {**key, "Not_A_Column": "x"})
    with pytest.raises(ValueError, match="longer than 10"):
        pad("Customer_Code", "WAYTOOLONGCODE")


def test_transaction_rolls_back_header_and_lines_together(sqlite_store: Store, spectrum_db: SpectrumDB) -> None:  # noqa: F811
    header = {"Company_Code": "DC1", "Invoice_Or_Transaction": "TX-1", "Customer_Code": "X"}
    line = {"Company_Code": "DC1", "Invoice_Or_Transaction": "TX-1", "Line_Number": 1}
    for store in (sqlite_store, spectrum_db.store):
        with pytest.raises(RuntimeError), store.transaction():
            store.insert("CR_INVOICE_HEADER_MC", header)  # itself a (nested) transaction
            store.insert("CR_INVOICE_DETAIL_MC", line)
            raise RuntimeError("the Put failed after its writes")
        assert store.find("CR_INVOICE_HEADER_MC", Invoice_Or_Transaction="TX-1") == [], store.dialect
        assert store.find("CR_INVOICE_DETAIL_MC", Invoice_Or_Transaction="TX-1") == [], store.dialect
        with store.transaction():
            store.insert("CR_INVOICE_HEADER_MC", header)
            store.insert("CR_INVOICE_DETAIL_MC", line)
        assert len(store.find("CR_INVOICE_DETAIL_MC", Invoice_Or_Transaction="TX-1")) == 1


def test_qmark_placeholders_leave_string_literals_alone() -> None:
    assert qmark_to_format("SELECT '?' , x FROM t WHERE a = ? AND b LIKE '10%'") == (
        "SELECT '?' , x FROM t WHERE a = %s AND b LIKE '10%%'"
    )


def test_single_company_views_filter_on_the_login_prefix(spectrum_db: SpectrumDB, sqlite_store: Store) -> None:  # noqa: F811
    # Spectrum: the view without _MC shows the company named by the login's first three letters.
    role = f"dc2_{spectrum_db.name}"[:60]
    with psycopg.connect(spectrum_db.url, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT SELECT ON CR_CUSTOMER_MASTER TO "{role}"')
    try:
        config = spectrum_db.odbc_config
        odbc = pyodbc.connect(connection_string(config.__class__(**{**config.__dict__, "user": role})), autocommit=True)
        try:
            companies = odbc.execute("SELECT DISTINCT Company_Code FROM CR_CUSTOMER_MASTER").fetchall()
        finally:
            odbc.close()
        assert [tuple(r) for r in companies] == [("DC2",)]
    finally:
        with psycopg.connect(spectrum_db.url, autocommit=True) as conn:
            conn.execute(f'REVOKE ALL ON CR_CUSTOMER_MASTER FROM "{role}"')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
    # SQLite has no login: the demo store's views follow SIM_LOGIN_COMPANY (DC1).
    assert {r["Company_Code"] for r in sqlite_store.query("SELECT Company_Code FROM CR_CUSTOMER_MASTER")} == {"DC1"}


def test_sql_server_ddl_is_generated_for_a_real_lab() -> None:
    statements = ddl("mssql")
    assert any(s.startswith("CREATE TABLE CR_CUSTOMER_MASTER_MC (") for s in statements)
    assert any("UPPER(LEFT(SUSER_SNAME(), 3))" in s for s in statements)
    assert not any("timestamp" in s for s in statements)
