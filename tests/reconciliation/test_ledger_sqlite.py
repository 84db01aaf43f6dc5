"""The demo path (`make run`): the same ledger statements on the simulator's SQLite store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from connectors.spectrum import ledger
from connectors.spectrum.config import DEMO_DRIVER, DatabaseConfig
from connectors.spectrum.database import SpectrumDatabase
from connectors.spectrum.simulator.seed import build, seed
from connectors.spectrum.simulator.store import Store


def test_seeded_invoices_of_a_period_read_alike_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "spectrum.sqlite3"
    with Store.open(f"sqlite:///{path}") as store:
        store.create_schema()
        seed(store, "demo")
    seeded = [r for r in build("demo")["CR_INVOICE_HEADER_MC"] if r["Company_Code"] == "DC1"]
    first = min(r["Invoice_Date"] for r in seeded)
    last = max(r["Invoice_Date"] for r in seeded)
    config = DatabaseConfig(driver=DEMO_DRIVER, host="", port=None, database=str(path), user="", drivers=(DEMO_DRIVER,))
    with SpectrumDatabase(config) as database:
        found = ledger.documents_in_period(database, "ar_invoice", "DC1", first, last)
        # Negative control: the day before the first invoice holds none.
        before = ledger.documents_in_period(
            database, "ar_invoice", "DC1", first - dt.timedelta(days=1), first - dt.timedelta(days=1)
        )
    assert sorted(d.number for d in found) == sorted(r["Invoice_Or_Transaction"] for r in seeded)
    totals = {r["Invoice_Or_Transaction"]: r["Invoice_Extension"] + r["Sales_Tax_Amount"] for r in seeded}
    assert all(d.total == Decimal(totals[d.number]) and d.line_count == 1 for d in found)
    assert before == []
