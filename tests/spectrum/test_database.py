"""The Spectrum database reader, through the real ODBC stack.

pyodbc -> unixODBC -> the PostgreSQL ODBC driver ("PostgreSQL Unicode") -> PostgreSQL holding the
simulator's Spectrum-shaped ``_MC`` tables, seeded with the demo data. What is read is compared with
what was seeded: keys without their padding, NULLs, money as Decimal, dates as date.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pyodbc
import pytest

from connectors.spectrum import kept, records
from connectors.spectrum.database import OBJECT_TYPES, SpectrumDatabase, connection_string
from connectors.spectrum.errors import (
    SpectrumAuthorizationError,
    SpectrumConfigurationError,
    SpectrumRetryableError,
)
from connectors.spectrum.simulator.seed import seed
from connectors.spectrum.simulator.store import Store
from tests.fixtures_spectrum_db import SpectrumDB, spectrum_db  # noqa: F401

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def reader(spectrum_db: SpectrumDB) -> Iterator[SpectrumDatabase]:  # noqa: F811
    db = SpectrumDatabase(spectrum_db.odbc_config)
    yield db
    db.close()


def seeded(spectrum_db: SpectrumDB, table: str, company: str, **match: Any) -> list[dict[str, Any]]:  # noqa: F811
    return [
        r
        for r in spectrum_db.seed_rows[table]
        if r["Company_Code"] == company and all(r.get(k) == v for k, v in match.items())
    ]


def by_key(recs: list[records.SpectrumRecord]) -> dict[str, records.SpectrumRecord]:
    return {r.key: r for r in recs}


def text(value: Any) -> str:
    return "" if value is None else str(value)


# --- every object type, compared with the seed ---------------------------------------------------


def test_every_record_type_has_a_database_reader() -> None:
    assert set(OBJECT_TYPES) == set(records.RECORD_TYPES)


def test_connection_test_reports_the_server_version(reader: SpectrumDatabase) -> None:
    assert reader.test().startswith("PostgreSQL ")


def test_customers_match_the_seed_with_padding_trimmed_and_nulls_blank(
    spectrum_db: SpectrumDB,  # noqa: F811
    reader: SpectrumDatabase,
) -> None:
    got = by_key(list(reader.iter_records("customer", "DC1")))
    rows = seeded(spectrum_db, "CR_CUSTOMER_MASTER_MC", "DC1")
    assert set(got) == {f"DC1|{r['Customer_Code']}" for r in rows}
    status = {"A": "Active", "I": "Inactive", "N": "Not Used"}
    taxable = {"Y": "Taxable", "N": "Non-Taxable", "": "No Default"}
    for row in rows:
        rec = got[f"DC1|{row['Customer_Code']}"]
        assert isinstance(rec, records.Customer)
        assert rec.customer_code == row["Customer_Code"]  # stored padded to 10, read trimmed
        assert rec.name == row["Name"]
        assert rec.address_2 == text(row["Address_2"])  # NULL -> ""
        assert rec.email == text(row["Customer_Email"])
        assert rec.first_name == row["Contact_First_Name"]
        assert rec.status == status[row["Status"]]
        assert rec.taxable_flag == taxable[row["Taxable_Flag"]]
    customers = [r for r in got.values() if isinstance(r, records.Customer)]
    assert {r.status for r in customers} == {"Active", "Inactive", "Not Used"}
    assert any(r.email == "" for r in customers), "the seed has customers without e-mail (NULL)"


def test_keys_are_stored_padded_as_spectrum_stores_them(spectrum_db: SpectrumDB) -> None:  # noqa: F811
    conn = pyodbc.connect(connection_string(spectrum_db.odbc_config), autocommit=True)
    try:
        job, customer, phase, cost_type = conn.execute(
            "SELECT p.Job_Number, j.Customer_Code, p.Phase_Code, p.Cost_Type FROM JC_PHASE_MASTER_MC p "
            "JOIN JC_JOB_MASTER_MC j ON j.Company_Code = p.Company_Code AND j.Job_Number = p.Job_Number "
            "WHERE p.Company_Code = ? AND p.Job_Number = ? AND p.Phase_Code = ? AND p.Cost_Type = ?",
            ["DC1", "     24001", "0300".ljust(20), "M  "],
        ).fetchone()
    finally:
        conn.close()
    assert job == "     24001"  # varchar(10), right-justified
    assert len(customer) == 10 and customer == customer.strip().ljust(10)
    assert phase == "0300" + " " * 16
    assert cost_type == "M  "


def test_vendors_match_the_seed(spectrum_db: SpectrumDB, reader: SpectrumDatabase) -> None:  # noqa: F811
    got = by_key(list(reader.iter_records("vendor", "DC2")))
    rows = seeded(spectrum_db, "VN_VENDOR_MASTER_MC", "DC2")
    assert len(got) == len(rows) == 16
    for row in rows:
        rec = got[f"DC2|{row['Vendor_Code']}"]
        assert isinstance(rec, records.Vendor)
        assert rec.payment_term_days == row["Terms_Days"]
        assert isinstance(rec.payment_term_days, Decimal)
        assert rec.discount_percent == row["Terms_Disc_Percent"]  # NULL stays None
        assert rec.account_reference == text(row["Our_Account_Number"])
        assert rec.status == {"A": "Active", "I": "Inactive"}[row["Status"]]


def test_jobs_phases_budgets_and_job_cost_match_the_seed(
    spectrum_db: SpectrumDB,  # noqa: F811
    reader: SpectrumDatabase,
) -> None:
    jobs = by_key(list(reader.iter_records("job", "DC1")))
    job_rows = seeded(spectrum_db, "JC_JOB_MASTER_MC", "DC1")
    assert set(jobs) == {f"DC1|{r['Job_Number']}" for r in job_rows}
    for row in job_rows:
        job = jobs[f"DC1|{row['Job_Number']}"]
        assert isinstance(job, records.Job)
        assert job.customer_code == row["Customer_Code"]
        assert job.original_contract == row["Original_Contract"]
        assert job.status_code == row["Status_Code"]
    assert any(j.original_contract is None for j in jobs.values())  # type: ignore[attr-defined]
    assert {j.status_code for j in jobs.values()} == {"A", "I", "C"}  # type: ignore[attr-defined]

    phase_rows = seeded(spectrum_db, "JC_PHASE_MASTER_MC", "DC1")
    phases = by_key(list(reader.iter_records("phase", "DC1")))
    budgets = by_key(list(reader.iter_records("budget", "DC1")))
    costs = by_key(list(reader.iter_records("job_cost", "DC1")))
    keys = {f"DC1|{r['Job_Number']}|{r['Phase_Code']}|{r['Cost_Type']}" for r in phase_rows}
    assert set(phases) == set(budgets) == set(costs) == keys
    for row in phase_rows:
        key = f"DC1|{row['Job_Number']}|{row['Phase_Code']}|{row['Cost_Type']}"
        phase, budget, cost = phases[key], budgets[key], costs[key]
        assert isinstance(phase, records.Phase)
        assert isinstance(budget, records.Budget)
        assert isinstance(cost, records.JobCost)
        assert phase.description == row["Description"]
        assert phase.original_estimated_dollars == budget.original_estimated_dollars == row["Original_Est_Cost"]
        assert phase.current_estimated_dollars == budget.current_estimated_dollars == row["Current_Est_Cost"]
        assert cost.jtd_actual_dollars == phase.jtd_actual_dollars == row["JTD_Actual_Dollars"]
        assert cost.jtd_hours == row["JTD_Hours"]
    assert any(b.original_estimated_dollars is None for b in budgets.values())  # type: ignore[attr-defined]


def test_reference_data_gl_departments_tax_and_cost_types(spectrum_db: SpectrumDB, reader: SpectrumDatabase) -> None:  # noqa: F811
    accounts = by_key(list(reader.iter_records("gl_account", "DC1")))
    rows = seeded(spectrum_db, "GL_ACCOUNT_MASTER_MC", "DC1")
    assert set(accounts) == {f"DC1|{r['GL_Account']}" for r in rows}
    revenue = accounts["DC1|104000"]
    assert revenue == records.GLAccount(
        company_code="DC1",
        gl_account="104000",
        description="Contract Revenue - Constructio",  # Description is varchar(30)
        account_type="I",
        status="A",
    )
    assert accounts["DC1|304100"].status == "I"  # type: ignore[attr-defined]

    departments = list(reader.iter_records("gl_department", "DC2"))
    assert [(d.department, d.description) for d in departments] == [  # type: ignore[attr-defined]
        ("10", "Construction"),
        ("20", "Service"),
        ("40", "Fabrication"),
    ]

    sales = by_key(list(reader.iter_records("sales_tax", "DC1")))
    assert sales["DC1|AUSTIN"] == records.SalesTax(
        company_code="DC1",
        tax_code="AUSTIN",
        description="Austin TX combined",
        rate=Decimal("8.2500"),
        gl_account="002310",
        status="A",
    )
    purchase = by_key(list(reader.iter_records("purchase_tax", "DC1")))
    assert purchase["DC1|UT-TX"].rate == Decimal("6.25")  # type: ignore[attr-defined]
    assert isinstance(purchase["DC1|UT-TX"].rate, Decimal)  # type: ignore[attr-defined]

    cost_types = list(reader.iter_records("cost_type", "DC1"))
    assert [c.cost_type for c in cost_types] == ["E", "L", "M", "O", "S"]  # type: ignore[attr-defined]


def test_cash_receipts_po_bills_and_prime_contracts(spectrum_db: SpectrumDB, reader: SpectrumDatabase) -> None:  # noqa: F811
    payments = by_key(list(reader.iter_records("ar_payment", "DC1")))
    rows = seeded(spectrum_db, "CR_PAY_ADJUST_HISTORY_MC", "DC1", Transaction_Type="P")
    assert len(payments) == len(rows) > 0
    for row in rows:
        key = f"DC1|{row['Customer_Code']}|{row['Invoice_Number']}|{row['Reference_Number']}|{row['Sequence_Number']}"
        pay = payments[key]
        assert isinstance(pay, records.ARPayment)
        assert pay.amount == row["Payment_Amount"]
        assert pay.discount_amount == row["Discount_Taken"]
        assert pay.payment_date == row["Reference_Date"]
        assert isinstance(pay.payment_date, date)
        assert pay.sequence == row["Sequence_Number"]
    assert any(p.discount_amount is None for p in payments.values())  # type: ignore[attr-defined]

    bills = list(reader.iter_records("po_bill", "DC1"))
    bill_rows = [r for r in seeded(spectrum_db, "VN_GL_DISTRIBUTION_HEADER_MC", "DC1") if r["PO_Number"]]
    assert {(b.vendor_code, b.invoice_number) for b in bills} == {  # type: ignore[attr-defined]
        (r["Vendor_Code"], r["Invoice_Number"]) for r in bill_rows
    }
    receipts = {(r["PO_Number"], r["Receipt_Number"]) for r in seeded(spectrum_db, "PO_RECEIVING_HISTORY_MC", "DC1")}
    for bill in bills:
        assert isinstance(bill, records.POBill)
        assert (bill.po_number, bill.receipt_number) in receipts  # the receipt it references exists
        assert isinstance(bill.amount, Decimal) and isinstance(bill.invoice_date, date)

    contracts = by_key(list(reader.iter_records("prime_contract", "DC2")))
    contract_rows = seeded(spectrum_db, "CR_CONTRACT_MASTER_MC", "DC2")
    assert len(contracts) == len(contract_rows) == 9
    for row in contract_rows:
        pc = contracts[f"DC2|{row['Job_Number']}"]
        assert isinstance(pc, records.PrimeContract)
        assert pc.revised_contract_amount == row["Revised_Contract_Amount"]
        assert pc.retention_percent == row["Retention_Percent"]


# --- streaming, companies, changes between polls -------------------------------------------------


def test_small_pages_give_the_same_records_in_key_order(spectrum_db: SpectrumDB) -> None:  # noqa: F811
    with SpectrumDatabase(spectrum_db.odbc_config, page_size=1000) as whole:
        expected = {t: list(whole.iter_records(t, "DC1")) for t in ("customer", "phase", "ar_payment")}
    with SpectrumDatabase(spectrum_db.odbc_config, page_size=7) as paged:
        for object_type, want in expected.items():
            got = list(paged.iter_records(object_type, "DC1"))
            assert got == want, object_type
            assert len({r.key for r in got}) == len(got)  # no duplicates at page boundaries


def test_companies_are_kept_apart(reader: SpectrumDatabase) -> None:
    dc1 = list(reader.iter_records("customer", "DC1"))
    dc2 = list(reader.iter_records("customer", "DC2"))
    assert len(dc1) == 36 and len(dc2) == 24
    assert {r.company_code for r in dc1} == {"DC1"}
    assert list(reader.iter_records("customer", "ZZ9")) == []


def test_reader_sees_added_changed_and_deleted_rows(spectrum_db: SpectrumDB, reader: SpectrumDatabase) -> None:  # noqa: F811
    store = spectrum_db.store
    first = next(iter(reader.iter_records("customer", "DC1")))
    assert isinstance(first, records.Customer)
    store.update(
        "CR_CUSTOMER_MASTER_MC", {"Company_Code": "DC1", "Customer_Code": first.customer_code}, {"Name": "Renamed Co"}
    )
    store.delete("GL_DEPARTMENT_MASTER_MC", {"Company_Code": "DC1", "Department": "30"})
    store.insert(
        "GL_DEPARTMENT_MASTER_MC", {"Company_Code": "DC1", "Department": "50", "Description": "Solar", "Status": "A"}
    )
    customers = by_key(list(reader.iter_records("customer", "DC1")))
    assert customers[first.key] == dataclasses.replace(first, name="Renamed Co")
    departments = [d.department for d in reader.iter_records("gl_department", "DC1")]  # type: ignore[attr-defined]
    assert departments == ["10", "20", "50"]


# --- find_document -------------------------------------------------------------------------------


def test_find_document_by_natural_key(spectrum_db: SpectrumDB, reader: SpectrumDatabase) -> None:  # noqa: F811
    invoice = seeded(spectrum_db, "CR_INVOICE_HEADER_MC", "DC1")[0]
    found = reader.find_document("ar_invoice", "DC1", {"invoice_number": invoice["Invoice_Or_Transaction"]})
    assert found is not None
    assert found["Customer_Code"] == invoice["Customer_Code"]  # trimmed
    assert found["Invoice_Extension"] == invoice["Invoice_Extension"]
    assert [line["Line_Extension"] for line in found["lines"]] == [invoice["Invoice_Extension"]]
    assert reader.find_document("ar_invoice", "DC1", {"invoice_number": "NOPE"}) is None
    assert reader.find_document("ar_invoice", "DC2", {"invoice_number": invoice["Invoice_Or_Transaction"]}) is None

    job = reader.find_document("job", "DC1", {"job_number": "24001"})
    assert job is not None and job["Job_Number"] == "24001"

    receipt = seeded(spectrum_db, "PO_RECEIVING_HISTORY_MC", "DC1")[0]
    found_receipt = reader.find_document(
        "po_receipt", "DC1", {"po_number": receipt["PO_Number"], "receipt_number": receipt["Receipt_Number"]}
    )
    assert found_receipt is not None and len(found_receipt["lines"]) == 2

    sub = seeded(spectrum_db, "VN_SUBCONTRACT_MC", "DC2")[0]
    found_sub = reader.find_document(
        "subcontract", "DC2", {"vendor_code": sub["Vendor_Code"], "subcontract_number": sub["Subcontract_Number"]}
    )
    assert found_sub is not None and found_sub["Original_Contract_Amount"] == sub["Original_Contract_Amount"]
    assert len(found_sub["lines"]) == 1

    co = seeded(spectrum_db, "CR_CHANGE_ORDER_HEADER_MC", "DC1")[0]
    found_co = reader.find_document(
        "ar_change_order",
        "DC1",
        {"job_number": co["Job_Number"], "customer_code": co["Customer_Code"], "change_order_number": "CO001"},
    )
    assert found_co is not None and found_co["Change_Order_Date"] == co["Change_Order_Date"]

    assert reader.find_document("work_order", "DC1", {"wo_number": "5000"}) is not None
    with pytest.raises(ValueError, match="cannot be looked up"):
        reader.find_document("job", "DC1", {"Job_Description": "x"})


def test_find_document_sees_what_a_put_wrote(spectrum_db: SpectrumDB, reader: SpectrumDatabase) -> None:  # noqa: F811
    key = {"invoice_number": "WEB-1"}
    assert reader.find_document("ar_invoice", "DC1", key) is None
    with spectrum_db.store.transaction():
        spectrum_db.store.insert(
            "CR_INVOICE_HEADER_MC",
            {
                "Company_Code": "DC1",
                "Invoice_Or_Transaction": "WEB-1",
                "Customer_Code": "BAYVIE01",
                "Transaction_Type": "I",
                "Invoice_Date": date(2026, 1, 20),
                "Invoice_Extension": Decimal("100.10"),
                "Posted_Flag": "N",
            },
        )
    found = reader.find_document("ar_invoice", "DC1", key)
    assert found is not None
    assert found["Invoice_Date"] == date(2026, 1, 20)
    assert found["Remarks"] is None and found["lines"] == []


# --- errors: cause, fix, retryable or not --------------------------------------------------------


def _admin(spectrum_db: SpectrumDB, *statements: str) -> None:  # noqa: F811
    with psycopg.connect(spectrum_db.url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def test_login_refused_is_an_authorization_error(spectrum_db: SpectrumDB) -> None:  # noqa: F811
    config = dataclasses.replace(spectrum_db.odbc_config, user="no_such_infolink_user", password="wrong-pw-123")
    with pytest.raises(SpectrumAuthorizationError) as caught, SpectrumDatabase(config) as db:
        db.test()
    assert not caught.value.retryable
    assert "no_such_infolink_user" in caught.value.message and "Info-Link" in caught.value.message
    assert "wrong-pw-123" not in str(caught.value) + caught.value.detail


def test_missing_driver_names_the_fix(spectrum_db: SpectrumDB) -> None:  # noqa: F811
    config = dataclasses.replace(spectrum_db.odbc_config, driver="ODBC Driver 18 for SQL Server")
    with pytest.raises(SpectrumConfigurationError) as caught, SpectrumDatabase(config) as db:
        db.test()
    assert not caught.value.retryable
    assert "not installed" in caught.value.message and "odbcinst" in caught.value.message


def test_missing_table_names_the_table(spectrum_db: SpectrumDB, reader: SpectrumDatabase) -> None:  # noqa: F811
    _admin(spectrum_db, "DROP VIEW GL_DEPARTMENT_MASTER", "DROP TABLE GL_DEPARTMENT_MASTER_MC")
    with pytest.raises(SpectrumConfigurationError) as caught:
        list(reader.iter_records("gl_department", "DC1"))
    assert "GL_DEPARTMENT_MASTER_MC" in caught.value.message
    assert not caught.value.retryable
    assert reader.check_access(["gl_department", "gl_account"]) == {
        "gl_department": caught.value.message,
        "gl_account": "",
    }


def test_table_not_granted_names_the_grant(spectrum_db: SpectrumDB) -> None:  # noqa: F811
    role = f"{spectrum_db.name}_ro"[:60]
    _admin(spectrum_db, f'DROP ROLE IF EXISTS "{role}"', f'CREATE ROLE "{role}" LOGIN')
    try:
        _admin(spectrum_db, f'GRANT SELECT ON GL_ACCOUNT_MASTER_MC TO "{role}"')
        config = dataclasses.replace(spectrum_db.odbc_config, user=role)
        with SpectrumDatabase(config) as db:
            assert len(list(db.iter_records("gl_account", "DC1"))) == 25  # granted: readable
            with pytest.raises(SpectrumConfigurationError) as caught:
                list(db.iter_records("customer", "DC1"))
        assert "CR_CUSTOMER_MASTER_MC" in caught.value.message and "read-only access" in caught.value.message
        assert not caught.value.retryable
    finally:
        _admin(spectrum_db, f'REVOKE ALL ON GL_ACCOUNT_MASTER_MC FROM "{role}"')
        _admin(spectrum_db, f'DROP ROLE IF EXISTS "{role}"')


def test_unreachable_server_is_retryable(spectrum_db: SpectrumDB) -> None:  # noqa: F811
    config = dataclasses.replace(spectrum_db.odbc_config, port=1, timeout=3)  # nothing listens on 127.0.0.1:1
    with pytest.raises(SpectrumRetryableError) as caught, SpectrumDatabase(config) as db:
        db.test()
    assert caught.value.retryable and "cannot reach" in caught.value.message


def test_statement_timeout_is_retryable(spectrum_db: SpectrumDB, reader: SpectrumDatabase) -> None:  # noqa: F811
    # A table that answers slowly: the server cancels the statement (SQLSTATE 57014).
    _admin(
        spectrum_db,
        "DROP VIEW JC_COST_TYPE_MASTER",
        "ALTER TABLE JC_COST_TYPE_MASTER_MC RENAME TO ct_real",
        "CREATE VIEW JC_COST_TYPE_MASTER_MC AS SELECT c.* FROM ct_real c CROSS JOIN (SELECT pg_sleep(2)) s",
        f'ALTER DATABASE "{spectrum_db.name}" SET statement_timeout = 200',
    )
    with pytest.raises(SpectrumRetryableError) as caught:
        list(reader.iter_records("cost_type", "DC1"))
    assert caught.value.retryable and "did not answer" in caught.value.message


# --- the demo-only sqlite3 path ------------------------------------------------------------------


def test_demo_sqlite_path_reads_the_same_records(
    spectrum_db: SpectrumDB,  # noqa: F811
    reader: SpectrumDatabase,
    tmp_path: Any,
) -> None:
    path = tmp_path / "spectrum.sqlite3"
    with Store.open(f"sqlite:///{path}") as store:
        store.create_schema()
        seed(store, "demo")
    demo_config = dataclasses.replace(
        spectrum_db.odbc_config, driver="sqlite3", database=str(path), port=None, drivers=("sqlite3",)
    )
    with SpectrumDatabase(demo_config, page_size=5) as demo:
        assert demo.test().startswith("SQLite")
        for object_type in ("gl_account", "sales_tax", "phase", "ar_payment", "vendor"):
            assert list(demo.iter_records(object_type, "DC1")) == list(reader.iter_records(object_type, "DC1"))


def test_connection_strings_for_sql_server_drivers_brace_awkward_values() -> None:
    from connectors.spectrum.config import DatabaseConfig

    msodbc = DatabaseConfig(
        driver="ODBC Driver 18 for SQL Server",
        host="xxxx-data.dexterchaney.com",
        port=14330,
        database="Spectrum_0012345",
        user="XYZSyncReader",
        password="p;w}d",
        options="Encrypt=yes;TrustServerCertificate=no",
    )
    assert connection_string(msodbc) == (
        "DRIVER={ODBC Driver 18 for SQL Server};SERVER=xxxx-data.dexterchaney.com,14330;"
        "DATABASE=Spectrum_0012345;UID=XYZSyncReader;PWD={p;w}}d};Encrypt=yes;TrustServerCertificate=no;"
    )
    freetds = dataclasses.replace(msodbc, driver="FreeTDS", password="plain", options="TDS_Version=7.4")
    assert connection_string(freetds) == (
        "DRIVER={FreeTDS};SERVER=xxxx-data.dexterchaney.com;PORT=14330;DATABASE=Spectrum_0012345;"
        "UID=XYZSyncReader;PWD=plain;TDS_Version=7.4;"
    )
    assert "p;w}d" not in repr(msodbc)


def test_a_lookup_in_the_middle_of_a_read_does_not_disturb_it(reader: SpectrumDatabase) -> None:
    whole = list(reader.iter_records("customer", "DC1"))
    with SpectrumDatabase(reader.config, page_size=10) as paged:
        stream = paged.iter_records("customer", "DC1")
        head = [next(stream) for _ in range(15)]  # inside the second page
        assert paged.find_document("job", "DC1", {"job_number": "24001"}) is not None
        assert head + list(stream) == whole


# --- connections kept between read-backs ----------------------------------------------------------


def backend(db: SpectrumDatabase) -> int:
    """The PostgreSQL server process behind the reader's ODBC connection."""
    return int(db._run("SELECT pg_backend_pid()", [], table="pg_backend_pid").fetchone()[0])


def server_has(spectrum_db: SpectrumDB, pid: int) -> bool:  # noqa: F811
    with psycopg.connect(spectrum_db.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() == (1,)


def test_a_kept_connection_serves_the_next_read_back(spectrum_db: SpectrumDB) -> None:  # noqa: F811
    kept.forget()
    first = SpectrumDatabase(spectrum_db.odbc_config, keep=True)
    pid = backend(first)
    first.close()
    assert server_has(spectrum_db, pid)  # still open, for the next reader
    second = SpectrumDatabase(spectrum_db.odbc_config, keep=True)
    assert backend(second) == pid and second.catalog(["CR_CUSTOMER_MASTER_MC"])
    second.close()
    # Negative control: a reader that does not keep closes its connection, and a new one is opened.
    plain = SpectrumDatabase(spectrum_db.odbc_config)
    other = backend(plain)
    plain.close()
    assert other != pid and not server_has(spectrum_db, other)
    kept.forget()
    assert not server_has(spectrum_db, pid)


def test_a_kept_connection_the_server_dropped_is_replaced(spectrum_db: SpectrumDB) -> None:  # noqa: F811
    kept.forget()
    first = SpectrumDatabase(spectrum_db.odbc_config, keep=True)
    pid = backend(first)
    first.close()
    with psycopg.connect(spectrum_db.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", [pid])
    again = SpectrumDatabase(spectrum_db.odbc_config, keep=True)
    assert backend(again) != pid  # the read went through on a new connection, no error shown
    again.close()
    kept.forget()


def test_a_reader_whose_statement_failed_does_not_keep_its_connection(spectrum_db: SpectrumDB) -> None:  # noqa: F811
    kept.forget()
    db = SpectrumDatabase(spectrum_db.odbc_config, keep=True)
    pid = backend(db)
    with pytest.raises(SpectrumConfigurationError):
        db._run("SELECT no_such_column FROM no_such_table", [], table="no_such_table")
    db.close()
    assert not server_has(spectrum_db, pid)
